"""Who calls the admin API: an admin client, by a bearer token from its client-credentials
grant, checked by the server's own token check (revocation, expiry, the client's current
scopes). The token needs one of the operation's scopes (protocol/admin/scopes.py); a token
acting for a user, or bound to a space, is refused: the API acts for an operator's client,
and the admin console acts for users through the services, not through tokens."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.openapi.models import OAuth2, OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import SecurityScopes
from fastapi.security.base import SecurityBase

from authgate.audit.events import Actor
from authgate.errors import InsufficientScope, OAuthError
from authgate.protocol.admin.errors import NotFound
from authgate.protocol.admin.scopes import ADMIN, ADMIN_SCOPES, RESERVED_PREFIX, allowing
from authgate.resource.bearer import BearerAuth, MissingToken
from authgate.web.context import request_context


@dataclass(frozen=True, slots=True)
class Caller:
    client_id: str
    scopes: frozenset[str]
    address: str

    @property
    def actor(self) -> Actor:
        """How the audit log names the caller: the admin client, from its address."""
        return Actor("admin", self.client_id, self.address)

    @property
    def privileged(self) -> bool:
        """Holds ``authgate:admin``: may give ``authgate:*`` scopes and the admin role."""
        return ADMIN in self.scopes


class AdminBearer(SecurityBase):
    """A FastAPI security dependency: ``Security(bearer, scopes=["authgate:users:read"])``;
    the OpenAPI document shows it as OAuth 2.0 client credentials with the scopes."""

    def __init__(self, bearer: BearerAuth, token_url: str) -> None:
        self.bearer = bearer
        self.scheme_name = "admin"
        self.model = OAuth2(
            flows=OAuthFlows(
                clientCredentials=OAuthFlowClientCredentials(
                    tokenUrl=token_url, scopes=ADMIN_SCOPES
                )
            ),
            description="A client-credentials token of an admin client (`authgate admin "
            "bootstrap`). Each operation names the scopes that allow it; authgate:admin "
            "allows all.",
        )

    def _refuse(self, exc: OAuthError) -> OAuthError:
        exc.headers["WWW-Authenticate"] = self.bearer.challenge(exc)
        return exc

    async def __call__(self, request: Request, security_scopes: SecurityScopes) -> Caller:
        context = request_context(request)
        if context.issuer.space is not None:  # /spaces/{slug}/admin/...: not an API
            raise NotFound("the admin API is served on the root issuer only")
        try:
            info = await self.bearer.optional(request)
        except OAuthError as exc:
            raise self._refuse(exc) from None
        if info is None:
            raise self._refuse(MissingToken("an access token of an admin client is required"))
        allowed = allowing(security_scopes.scopes)
        needed = " ".join(sorted(allowed))
        if info.for_user:
            raise self._refuse(
                InsufficientScope("the admin API takes an admin client's own token", needed)
            )
        if info.space is not None:
            raise self._refuse(
                InsufficientScope("the admin API takes tokens of the root issuer", needed)
            )
        if not info.scopes & allowed:
            raise self._refuse(
                InsufficientScope(f"this request needs one of the scopes {needed!r}", needed)
            )
        return Caller(
            info.client_id,
            frozenset(s for s in info.scopes if s.startswith(RESERVED_PREFIX)),
            context.client_address,
        )
