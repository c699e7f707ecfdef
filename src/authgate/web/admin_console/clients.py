"""The console's clients (``/admin/clients``): every client with paging, a client's page
(settings, owner, live tokens a page at a time), editing it at the revision the form was
shown at, rotating its secret (shown once), revoking all its tokens and deleting it (both
after a confirmation page)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from authgate.crypto.tokens import matches
from authgate.domain import Client, ClientPk, TokenId
from authgate.errors import OAuthError
from authgate.protocol.admin.errors import NotFound, PreconditionFailed
from authgate.protocol.registration import SecretChanged
from authgate.protocol.rules import RegistrationError
from authgate.web.admin_console.base import (
    CONSOLE,
    PAGE_SIZE,
    STALE,
    ConsoleBase,
    cursor,
    revision_of,
)
from authgate.web.admin_console.client_form import ClientForm
from authgate.web.pages.signed_in import PageForm, SignedIn
from authgate.web.pages.signed_in_pages import actor_of
from authgate.web.pages.site import Site

CLIENTS = CONSOLE + "/clients"


def client_path(client_id: str, tail: str = "") -> str:
    return f"{CLIENTS}/{quote(client_id, safe='')}{tail}"


class ClientPages(ConsoleBase):
    async def _client(
        self, request: Request, tail: str = ""
    ) -> tuple[Site, SignedIn, Client] | Response:
        client_id = request.path_params.get("client_id", "")[:200]
        return await self._found(
            request, client_path(client_id, tail), lambda: self._find(client_id)
        )

    async def _find(self, client_id: str) -> Client | None:
        try:
            return await self._services.client_admin.get(client_id[:200])
        except NotFound:
            return None

    async def _posted_client(
        self, request: Request, tail: str = ""
    ) -> tuple[Site, SignedIn, PageForm, Client | None] | Response:
        """A posted form about a client (``None``: it no longer exists)."""
        client_id = request.path_params.get("client_id", "")[:200]
        return await self._posted_found(
            request, client_path(client_id, tail), lambda: self._find(client_id)
        )

    async def list(self, request: Request) -> Response:
        gate = await self._gate(request, CLIENTS)
        if isinstance(gate, Response):
            return gate
        site, me = gate
        after = cursor(request)
        found = await self._services.client_admin.page(
            after=None if after is None else ClientPk(after), limit=PAGE_SIZE + 1
        )
        clients = found[:PAGE_SIZE]
        owners = {}
        for client in clients:
            if client.owner_id is not None and client.owner_id not in owners:
                owners[client.owner_id] = await self._services.users.by_id(client.owner_id)
        return self._page(
            request,
            site,
            me,
            "admin_clients.html",
            area="clients",
            images=tuple(c.logo_url for c in clients),
            notice=self._notice(request, me).get("notice", ""),
            clients=clients,
            owners=owners,
            first=after is None,
            next_after=clients[-1].pk if len(found) > PAGE_SIZE else None,
        )

    async def show(self, request: Request) -> Response:
        found = await self._client(request)
        if isinstance(found, Response):
            return found
        site, me, client = found
        flash = self._notice(request, me)
        mine = flash.get("client_id") == client.client_id
        secret = flash.get("secret", "") if mine else ""
        if secret and not matches(secret, client.secret_digest):
            secret = ""  # rotated again since: that one is dead
        after = cursor(request)
        tokens = await self._services.client_admin.tokens(
            client, after=None if after is None else TokenId(after), limit=PAGE_SIZE + 1
        )
        owner = (
            None if client.owner_id is None else await self._services.users.by_id(client.owner_id)
        )
        return self._page(
            request,
            site,
            me,
            "admin_client.html",
            area="clients",
            images=(client.logo_url,),
            notice=flash.get("notice", "") if mine else "",
            client=client,
            owner=owner,
            secret=secret,
            rotation_mark=self._services.developer.rotation_mark(client),
            tokens=tokens[:PAGE_SIZE],
            first=after is None,
            next_after=tokens[PAGE_SIZE - 1].id if len(tokens) > PAGE_SIZE else None,
        )

    # ------------------------------------------------------------------ edit

    async def edit(self, request: Request) -> Response:
        found = await self._client(request, "/edit")
        if isinstance(found, Response):
            return found
        site, me, client = found
        return self._form(request, site, me, client, ClientForm.of(client), {})

    def _form(
        self,
        request: Request,
        site: Site,
        me: SignedIn,
        client: Client,
        form: ClientForm,
        errors: dict[str, str],
        status: int | None = None,
    ) -> Response:
        return self._page(
            request,
            site,
            me,
            "admin_client_form.html",
            status or (400 if errors else 200),
            area="clients",
            images=(client.logo_url,),
            client=client,
            form=form,
            errors=errors,
            catalog=sorted(self._services.settings.scope_catalog.items()),
            offered=sorted(self._services.grants.offered),
        )

    async def update(self, request: Request) -> Response:
        found = await self._posted_client(request, "/edit")
        if isinstance(found, Response):
            return found
        site, me, posted, client = found
        if client is None:
            return self.not_found(request)
        form = ClientForm.posted(posted)
        if revision_of(posted) != client.revision:
            return self._stale(request, site, me, client)
        try:
            changes = form.changes(client)
            if changes:
                await self._services.client_admin.update(
                    client.client_id,
                    actor=actor_of(request, me),
                    revision=client.revision,
                    **changes,
                )
        except PreconditionFailed:
            return self._stale(request, site, me, await self._find(client.client_id) or client)
        except OAuthError as exc:
            field = getattr(exc, "field", None) or (
                "scopes" if exc.error == "insufficient_scope" else ""
            )
            return self._form(
                request, site, me, client, form, {field: exc.description or exc.error}
            )
        notice = "Saved." if changes else "Nothing was changed."
        return self._done(
            site, me, client_path(client.client_id), client_id=client.client_id, notice=notice
        )

    def _stale(self, request: Request, site: Site, me: SignedIn, client: Client) -> Response:
        errors = {"": f"This client {STALE}"}
        return self._form(request, site, me, client, ClientForm.of(client), errors, 409)

    # ------------------------------------------------------------------ secret, tokens

    async def rotate(self, request: Request) -> Response:
        found = await self._posted_client(request)
        if isinstance(found, Response):
            return found
        site, me, posted, client = found
        if client is None:
            return self.not_found(request)
        path = client_path(client.client_id)
        if client.is_public:
            return self._done(site, me, path)
        stale = {
            "client_id": client.client_id,
            "notice": "The secret was rotated by someone else meanwhile; nothing was changed. "
            "Rotate it again if you need a new one.",
        }
        if posted.get("seen") != self._services.developer.rotation_mark(client):
            return self._done(site, me, path, **stale)
        try:
            secret = await self._services.registry.rotate_secret(
                client.client_id, expected=client.secret_digest, actor=actor_of(request, me)
            )
        except SecretChanged:
            return self._done(site, me, path, **stale)
        return self._done(
            site,
            me,
            path,
            client_id=client.client_id,
            secret=secret,
            notice="The secret was rotated; the old one no longer works.",
        )

    def _ask(
        self, request: Request, site: Site, me: SignedIn, client: Client, **context: Any
    ) -> Response:
        crumbs = [("Clients", CLIENTS), (client.name, client_path(client.client_id))]
        return self._confirm(
            request, site, me, area="clients", crumbs=crumbs, revision=client.revision, **context
        )

    async def confirm_revoke(self, request: Request) -> Response:
        found = await self._client(request, "/revoke-tokens")
        if isinstance(found, Response):
            return found
        site, me, client = found
        return self._ask(
            request,
            site,
            me,
            client,
            title=f"Revoke every token of {client.name}?",
            message="Every access and refresh token the client holds stops working at once, "
            "on every worker. People have to sign in to it again; its consents stay.",
            action=client_path(client.client_id, "/revoke-tokens"),
            button="Revoke all tokens",
        )

    async def revoke(self, request: Request) -> Response:
        found = await self._posted_client(request, "/revoke-tokens")
        if isinstance(found, Response):
            return found
        site, me, _, client = found
        if client is None:
            return self.not_found(request)
        count = await self._services.client_admin.revoke_tokens(client, actor=actor_of(request, me))
        return self._done(
            site,
            me,
            client_path(client.client_id),
            client_id=client.client_id,
            notice=f"{count} tokens were revoked.",
        )

    # ------------------------------------------------------------------ delete

    async def confirm_delete(self, request: Request) -> Response:
        found = await self._client(request, "/delete")
        if isinstance(found, Response):
            return found
        site, me, client = found
        return self._delete_page(request, site, me, client)

    def _delete_page(
        self, request: Request, site: Site, me: SignedIn, client: Client, **context: Any
    ) -> Response:
        return self._ask(
            request,
            site,
            me,
            client,
            title=f"Delete {client.name}?",
            message="This cannot be undone. Its client ID and secret stop working, every "
            "token it holds is revoked, and people lose it from their connected apps.",
            action=client_path(client.client_id, "/delete"),
            button="Delete client",
            typed_name=client.name,
            **context,
        )

    async def delete(self, request: Request) -> Response:
        found = await self._posted_client(request, "/delete")
        if isinstance(found, Response):
            return found
        site, me, posted, client = found
        if client is None:  # deleted already (a form sent twice)
            return self._done(site, me, CLIENTS)
        typed = posted.get("confirm")
        if typed.strip() != client.name:
            return self._delete_page(
                request, site, me, client, confirm=typed, error="Type the name exactly."
            )
        stale = "This client changed meanwhile; check what the page says now and confirm again."
        if revision_of(posted) != client.revision:
            return self._delete_page(request, site, me, client, confirm=typed, error=stale)
        try:
            await self._services.client_admin.delete(
                client.client_id, actor=actor_of(request, me), revision=client.revision
            )
        except PreconditionFailed:
            fresh = await self._find(client.client_id)
            if fresh is None:
                return self._done(site, me, CLIENTS)
            return self._delete_page(request, site, me, fresh, confirm=typed, error=stale)
        except (NotFound, RegistrationError):  # deleted by a request sent at once
            return self._done(site, me, CLIENTS)
        return self._done(site, me, CLIENTS, notice=f"{client.name} was deleted.")
