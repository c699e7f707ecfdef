"""RFC 7591 dynamic client registration and RFC 7592 management, over the registry.

Every client registered here goes through :class:`~authgate.protocol.registration.ClientRegistry`,
so through the rules of the portal and the CLI: redirect URIs, the grants the server
offers, the scope catalog, reserved scopes. What this adds is the protocol around it:

- who may register (``dynamic_registration``): ``initial_token`` asks for an operator's
  initial access token (RFC 7591 §3), whose use is reserved before any work and given back
  when the registration is refused; ``open`` lets anyone register, a few times per address,
  and still takes an initial access token (which then skips the address's limit);
- the registration access token (RFC 7592 §1.2): 256 random bits, only its digest stored
  beside the client; reads echo it, each successful update replaces it (compare-and-set,
  so that of two updates made with one token only one succeeds), deletion ends it;
- errors as §3.2.2 names them: ``invalid_redirect_uri`` for redirect URIs, else
  ``invalid_client_metadata``; any failing token, or a client that is not there, is the
  same ``401 invalid_token`` (RFC 7592 §2.1), so that one client's token reaches no other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from authgate.audit.events import CLIENT_REGISTRATION_TOKEN_ISSUED, Actor
from authgate.audit.log import AuditLog
from authgate.crypto.tokens import digest, matches, new_secret
from authgate.domain import Client
from authgate.errors import InvalidClientMetadata, OAuthError
from authgate.protocol.client_metadata import (
    ClientMetadata,
    client_information,
    field_error,
    read_metadata,
)
from authgate.protocol.context import RequestContext
from authgate.protocol.initial_tokens import InitialTokens, RefusedToken
from authgate.protocol.registration import ClientRegistry
from authgate.protocol.rules import RegistrationError
from authgate.ratelimit.registrations import RegistrationLimit
from authgate.storage.base import ClientStore
from authgate.storage.registrations import (
    ClientRegistration,
    ClientRegistrationStore,
    InitialAccessToken,
)

Mode = Literal["off", "initial_token", "open"]
REGISTRATION_PATH = "/oauth/register"
#: a client registered without ``client_name`` and without a redirect URI to name it by
UNNAMED = "Unnamed client"


#: the one answer for a registration access token that is not the client's (or no client)
NOT_ITS_TOKEN = "the registration access token is not valid for this client"


class MissingToken(RefusedToken):
    """RFC 6750 §3.1: no token where one is needed. The challenge carries no error code."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A client information response (RFC 7591 §3.2.1, RFC 7592 §3)."""

    body: dict[str, Any]
    status: int = 200


def _name(metadata: ClientMetadata) -> str:
    """``client_name``, else the host of the first redirect URI (what the user would see
    in the browser's address bar anyway), else :data:`UNNAMED`."""
    if metadata.client_name is not None and metadata.client_name.strip():
        return metadata.client_name
    for uri in metadata.redirect_uris:
        try:
            host = urlsplit(uri.strip()).hostname
        except ValueError:
            host = None
        if host:
            return host[:200]
    return UNNAMED


def refused(exc: RegistrationError) -> OAuthError:
    """RFC 7591 §3.2.2: the registry's refusal as the error a registration answers."""
    return field_error(exc.field or "", exc.description)


class DynamicRegistration:
    def __init__(
        self,
        registry: ClientRegistry,
        clients: ClientStore,
        registrations: ClientRegistrationStore,
        initial_tokens: InitialTokens,
        *,
        mode: Mode,
        limit: RegistrationLimit | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        self._audit = audit
        self._registry = registry
        self._clients = clients
        self._registrations = registrations
        self._tokens = initial_tokens
        self.mode: Mode = mode
        self._limit = limit

    @staticmethod
    def client_uri(context: RequestContext, client_id: str) -> str:
        """RFC 7592 §1.2: the client configuration endpoint, on the request's issuer."""
        return f"{context.issuer.url}{REGISTRATION_PATH}/{client_id}"

    async def _admit(
        self, bearer: str | None, context: RequestContext
    ) -> InitialAccessToken | None:
        """Who may register: a reserved use of an initial access token, or in ``open``
        mode an address under its limit."""
        if bearer is not None:
            return await self._tokens.reserve(bearer)
        if self.mode != "open":
            raise MissingToken("registration needs an initial access token (RFC 7591 §3)")
        if self._limit is not None:
            await self._limit.check(context.client_address)
        return None

    async def register(
        self, document: Mapping[str, Any], bearer: str | None, context: RequestContext
    ) -> Answer:
        """RFC 7591 §3.1: register a client; ``201`` with its credentials."""
        initial = await self._admit(bearer, context)
        try:
            metadata = read_metadata(document)
            actor = Actor(
                "client",
                "dynamic registration" if initial is None else f"initial access token {initial.id}",
                context.client_address,
            )
            registered = await self._registry.register(
                _name(metadata),
                redirect_uris=metadata.redirect_uris,
                grant_types=metadata.grant_types,
                scopes=metadata.scopes,
                public=metadata.public,
                homepage_url=metadata.client_uri,
                logo_url=metadata.logo_uri,
                privacy_url=metadata.policy_uri,
                actor=actor,
            )
        except BaseException as exc:
            if initial is not None:
                await self._tokens.release(initial)
            if isinstance(exc, RegistrationError):
                raise refused(exc) from None
            raise
        client = registered.client
        token = new_secret()
        try:
            await self._registrations.add(
                ClientRegistration(
                    client_pk=client.pk,
                    token_digest=digest(token),
                    auth_method=metadata.auth_method,
                    response_types=metadata.response_types,
                    created_at=client.created_at,
                    initial_token_id=None if initial is None else initial.id,
                )
            )
        except BaseException:
            # No client without the token that manages it: undo, and give the use back.
            await self._registry.delete(client.client_id, actor=actor)
            if initial is not None:
                await self._tokens.release(initial)
            raise
        body = client_information(
            client,
            auth_method=metadata.auth_method,
            response_types=metadata.response_types,
            registration_access_token=token,
            registration_client_uri=self.client_uri(context, client.client_id),
            client_secret=registered.client_secret,
        )
        return Answer(body, 201)

    async def _authenticate(
        self, client_id: str, bearer: str | None
    ) -> tuple[Client, ClientRegistration]:
        """RFC 7592 §2: the registration access token of ``client_id``, or ``401``. A client
        that does not exist, or was not registered here, answers the same."""
        if bearer is None:
            raise MissingToken("send the registration access token as a bearer token")
        client = await self._clients.by_client_id(client_id)
        registration = None if client is None else await self._registrations.get(client.pk)
        if client is None or registration is None or not matches(bearer, registration.token_digest):
            raise RefusedToken(NOT_ITS_TOKEN)
        return client, registration

    async def read(self, client_id: str, bearer: str | None, context: RequestContext) -> Answer:
        """RFC 7592 §2.1: the client as registered now. The token is not rotated by a
        read (a lost answer must not lock the client out), so the answer repeats it."""
        client, registration = await self._authenticate(client_id, bearer)
        assert bearer is not None
        return Answer(self._information(client, registration, bearer, context))

    def _information(
        self,
        client: Client,
        registration: ClientRegistration,
        token: str,
        context: RequestContext,
    ) -> dict[str, Any]:
        return client_information(
            client,
            auth_method=registration.auth_method,
            response_types=registration.response_types,
            registration_access_token=token,
            registration_client_uri=self.client_uri(context, client.client_id),
        )

    async def update(
        self,
        client_id: str,
        document: Mapping[str, Any],
        bearer: str | None,
        context: RequestContext,
    ) -> Answer:
        """RFC 7592 §2.2: replace the client's metadata ("omitted fields MUST be treated as
        null or empty values": cleared, or the registry's default), through the registry's
        rules; a new registration access token in the answer."""
        client, registration = await self._authenticate(client_id, bearer)
        metadata = read_metadata(document, update=True)
        if metadata.client_id != client.client_id:
            raise InvalidClientMetadata(
                "client_id must be the client's own (RFC 7592 §2.2)"
                if metadata.client_id is not None
                else "an update must include the client's client_id (RFC 7592 §2.2)"
            )
        if metadata.client_secret is not None and not matches(
            metadata.client_secret, client.secret_digest
        ):
            raise InvalidClientMetadata("client_secret is not the client's (RFC 7592 §2.2)")
        method = metadata.auth_method
        if "token_endpoint_auth_method" not in document:
            method = "none" if client.is_public else registration.auth_method
        if (method == "none") != client.is_public:
            raise InvalidClientMetadata(
                "token_endpoint_auth_method cannot turn a public client into a confidential "
                "one or back: register a new client"
            )
        # Reserve first: the new token replaces the presented one, or another update won.
        token = new_secret()
        if not await self._registrations.replace(
            client.pk, registration.token_digest, digest(token), method, metadata.response_types
        ):
            raise RefusedToken(NOT_ITS_TOKEN)
        try:
            updated = await self._registry.update(
                client.client_id,
                name=_name(metadata),
                redirect_uris=metadata.redirect_uris,
                grant_types=metadata.grant_types,
                scopes=self._registry.default_scopes
                if metadata.scopes is None
                else metadata.scopes,
                homepage_url=metadata.client_uri or "",
                logo_url=metadata.logo_uri or "",
                privacy_url=metadata.policy_uri or "",
                actor=Actor("client", client.client_id, context.client_address),
            )
        except BaseException as exc:
            # The update did not happen: the presented token stays the client's.
            await self._registrations.replace(
                client.pk,
                digest(token),
                registration.token_digest,
                registration.auth_method,
                registration.response_types,
            )
            if isinstance(exc, RegistrationError):
                raise refused(exc) from None
            raise
        stored = ClientRegistration(
            client.pk, digest(token), method, metadata.response_types, registration.created_at
        )
        return Answer(self._information(updated, stored, token, context))

    async def delete(self, client_id: str, bearer: str | None, context: RequestContext) -> None:
        """RFC 7592 §2.3: deprovision the client; its tokens, grants and registration access
        token go with it."""
        client, _ = await self._authenticate(client_id, bearer)
        try:
            await self._registry.delete(
                client.client_id, actor=Actor("client", client.client_id, context.client_address)
            )
        except RegistrationError:
            raise RefusedToken(NOT_ITS_TOKEN) from None  # deleted meanwhile

    async def reissue(self, client_id: str, *, actor: Actor | None = None) -> str:
        """A new registration access token for a client that lost its own (the operator's
        way back in: the CLI, later the admin API); the old one stops working at once."""
        client = await self._registry.get(client_id)
        token = new_secret()
        if not await self._registrations.reset(client.pk, digest(token)):
            raise RegistrationError(
                f"client {client_id!r} was not registered at {REGISTRATION_PATH}: it has no "
                "registration access token"
            )
        if self._audit is not None:
            self._audit.record(
                CLIENT_REGISTRATION_TOKEN_ISSUED,
                actor or Actor.system(),
                target_type="client",
                target=client.client_id,
            )
        return token
