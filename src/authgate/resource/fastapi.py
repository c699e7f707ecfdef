"""The kit for FastAPI apps: a security dependency that checks the token and its scopes,
and shows up in the app's OpenAPI document as an OAuth 2.0 scheme.

    bearer = FastApiBearer(BearerAuth(verifier, realm="notes", allow_query=False), ...)
    app = FastAPI()
    bearer.install(app)

    @app.get("/notes")
    async def notes(token: VerifiedToken = Security(bearer, scopes=["read"])): ...

Errors are RFC 6750's (``WWW-Authenticate`` challenge, JSON body), not FastAPI's
``{"detail": …}``.

For endpoints that are a user's resources, ``users = bearer.for_users()`` is the same check
that also refuses tokens acting for no user (client credentials) with ``403
insufficient_scope``; it appears in the OpenAPI document as a second scheme
(``oauth2_user``) with the authorization-code flow only:

    @app.get("/me")
    async def me(token: VerifiedToken = Security(users, scopes=["read"])): ...
"""

from fastapi import FastAPI, Request
from fastapi.openapi.models import (
    OAuth2,
    OAuthFlowAuthorizationCode,
    OAuthFlowClientCredentials,
    OAuthFlows,
)
from fastapi.security import SecurityScopes
from fastapi.security.base import SecurityBase
from starlette.responses import Response

from authgate.errors import OAuthError
from authgate.resource.bearer import BearerAuth
from authgate.resource.token import VerifiedToken


class BearerRefused(Exception):
    """Raised by the dependency; the handler :meth:`FastApiBearer.install` adds answers it."""

    def __init__(self, error: OAuthError) -> None:
        super().__init__(error.description)
        self.error = error


class FastApiBearer(SecurityBase):
    def __init__(
        self,
        bearer: BearerAuth,
        *,
        authorization_url: str,
        token_url: str,
        scopes: dict[str, str],
        scheme_name: str = "oauth2",
        user: bool = False,
    ) -> None:
        self.bearer = bearer
        self.scheme_name = scheme_name
        #: refuse tokens that act for no user (:meth:`for_users`)
        self.user = user
        self._urls = (authorization_url, token_url)
        self._scopes = scopes
        code = OAuthFlowAuthorizationCode(
            authorizationUrl=authorization_url, tokenUrl=token_url, scopes=scopes
        )
        if user:
            self.model = OAuth2(
                flows=OAuthFlows(authorizationCode=code),
                description="A token acting for a user; a client's own token (client "
                "credentials) gets 403 insufficient_scope",
            )
        else:
            self.model = OAuth2(
                flows=OAuthFlows(
                    authorizationCode=code,
                    clientCredentials=OAuthFlowClientCredentials(tokenUrl=token_url, scopes=scopes),
                )
            )

    def for_users(self, scheme_name: str | None = None) -> "FastApiBearer":
        """The same check for endpoints that need a token acting for a user (seed 004:
        resources "that require user authorization cannot be accessed using the Client
        Credentials flow"); its scheme is ``{scheme_name}_user`` unless named."""
        authorization_url, token_url = self._urls
        return FastApiBearer(
            self.bearer,
            authorization_url=authorization_url,
            token_url=token_url,
            scopes=self._scopes,
            scheme_name=scheme_name or f"{self.scheme_name}_user",
            user=True,
        )

    async def __call__(self, request: Request, security_scopes: SecurityScopes) -> VerifiedToken:
        try:
            return await self.bearer.authenticate(
                request, frozenset(security_scopes.scopes), user=self.user
            )
        except OAuthError as exc:
            raise BearerRefused(exc) from None

    def install(self, app: FastAPI) -> None:
        """Answer refused tokens as RFC 6750 §3 says."""

        async def refused(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, BearerRefused)
            return self.bearer.error_response(exc.error)

        app.add_exception_handler(BearerRefused, refused)
