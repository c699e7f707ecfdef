"""Clients as an administrator manages them: :class:`ClientRegistry`'s rules, plus what
only an operator sees (every client, a client's live tokens, revoking them all)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from authgate.audit.events import CLIENT_TOKENS_REVOKED, Actor
from authgate.audit.log import AuditLog
from authgate.domain import AccessToken, Client, ClientPk, TokenId
from authgate.errors import InsufficientScope
from authgate.protocol.admin.errors import NotFound, PreconditionFailed
from authgate.protocol.admin.scopes import ADMIN, is_reserved
from authgate.protocol.registration import ClientRegistry, Registered, RegistrationError
from authgate.storage.base import AdminStore, ClientStore, RevisionMismatch

Announce = Callable[[], Awaitable[None]]


def guard_reserved(scopes: Iterable[str] | None, privileged: bool) -> None:
    """Only an ``authgate:admin`` caller gives ``authgate:*`` scopes: a narrower admin
    token must not mint a client more powerful than itself."""
    if not privileged and scopes is not None and any(is_reserved(s) for s in scopes):
        raise InsufficientScope(f"only a token with {ADMIN} may give authgate:* scopes", ADMIN)


class ClientAdmin:
    def __init__(
        self,
        registry: ClientRegistry,
        clients: ClientStore,
        store: AdminStore,
        audit: AuditLog,
        clock: Callable[[], float],
        announce: Announce,
    ) -> None:
        self._registry = registry
        self._clients = clients
        self._store = store
        self._audit = audit
        self._clock = clock
        #: drops cached token rows on every worker after a revocation
        self._announce = announce

    async def get(self, client_id: str) -> Client:
        client = await self._clients.by_client_id(client_id)
        if client is None:
            raise NotFound(f"no client with id {client_id[:100]!r}")
        return client

    async def by_pk(self, pk: ClientPk) -> Client | None:
        return await self._clients.by_pk(pk)

    async def page(self, *, after: ClientPk | None, limit: int) -> list[Client]:
        """Clients by creation (pk), those after ``after``. Clients are few (registered by
        people): read them all and slice."""
        return [c for c in await self._clients.all() if after is None or c.pk > after][:limit]

    async def create(
        self, name: str, *, actor: Actor, privileged: bool = False, **fields: Any
    ) -> Registered:
        """Register a client (:meth:`ClientRegistry.register`'s fields)."""
        guard_reserved(fields.get("scopes"), privileged)
        return await self._registry.register(name, actor=actor, privileged=privileged, **fields)

    async def update(
        self,
        client_id: str,
        *,
        actor: Actor,
        revision: int | None,
        privileged: bool = False,
        **fields: Any,
    ) -> Client:
        """Change a client (:meth:`ClientRegistry.update`'s fields), only at ``revision``."""
        client = await self.get(client_id)
        guard_reserved(fields.get("scopes"), privileged)
        if revision is not None and client.revision != revision:
            raise PreconditionFailed("the client changed since it was read")
        try:
            return await self._registry.update(
                client_id, actor=actor, privileged=privileged, revision=revision, **fields
            )
        except RevisionMismatch:
            raise PreconditionFailed("the client changed since it was read") from None
        except RegistrationError:
            await self.get(client_id)  # deleted meanwhile: 404, not the registry's 400
            raise

    async def rotate_secret(self, client_id: str, *, actor: Actor) -> str:
        """A new secret, shown once; the old one stops working at once."""
        await self.get(client_id)
        return await self._registry.rotate_secret(client_id, actor=actor)

    async def delete(self, client_id: str, *, actor: Actor, revision: int | None) -> None:
        """Delete the client and every token issued to it, only at ``revision``."""
        await self.get(client_id)
        try:
            await self._registry.delete(client_id, actor=actor, revision=revision)
        except RevisionMismatch:
            raise PreconditionFailed("the client changed since it was read") from None

    async def tokens(
        self, client: Client, *, after: TokenId | None, limit: int
    ) -> list[AccessToken]:
        """The client's live access tokens (their rows: never a secret)."""
        return await self._store.client_tokens(
            client.pk, int(self._clock()), after=after, limit=limit
        )

    async def revoke_tokens(self, client: Client, *, actor: Actor) -> int:
        """Revoke every access and refresh token of the client, on every worker."""
        count = await self._store.revoke_client_tokens(client.pk, int(self._clock()))
        await self._announce()
        self._audit.record(
            CLIENT_TOKENS_REVOKED, actor, target_type="client", target=client.client_id, count=count
        )
        return count
