"""The kit for FastAPI apps: a security dependency that checks the token and its scopes,
and shows up in the app's OpenAPI document as an OAuth 2.0 scheme.

    bearer = FastApiBearer(BearerAuth(verifier, realm="notes", allow_query=False), ...)
    app = FastAPI()
    bearer.install(app)

    @app.get("/notes")
    async def notes(token: VerifiedToken = Security(bearer, scopes=["read"])): ...

Errors are RFC 6750's (``WWW-Authenticate`` challenge, JSON body), not FastAPI's
``{"detail": …}``.
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
    ) -> None:
        self.bearer = bearer
        self.scheme_name = scheme_name
        self.model = OAuth2(
            flows=OAuthFlows(
                authorizationCode=OAuthFlowAuthorizationCode(
                    authorizationUrl=authorization_url, tokenUrl=token_url, scopes=scopes
                ),
                clientCredentials=OAuthFlowClientCredentials(tokenUrl=token_url, scopes=scopes),
            )
        )

    async def __call__(self, request: Request, security_scopes: SecurityScopes) -> VerifiedToken:
        try:
            return await self.bearer.authenticate(request, frozenset(security_scopes.scopes))
        except OAuthError as exc:
            raise BearerRefused(exc) from None

    def install(self, app: FastAPI) -> None:
        """Answer refused tokens as RFC 6750 §3 says."""

        async def refused(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, BearerRefused)
            return self.bearer.error_response(exc.error)

        app.add_exception_handler(BearerRefused, refused)
