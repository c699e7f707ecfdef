"""HTTP side of the UserInfo endpoint (OpenID Connect Core §5.3): GET or POST, the
access token as RFC 6750 says, errors as RFC 6750 §3 says."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.errors import OAuthError
from authgate.protocol.oidc.userinfo import UserInfo
from authgate.resource.bearer import BearerAuth
from authgate.resource.responses import JsonResponse
from authgate.web.issuers import issuer_of

USERINFO_PATH = "/oauth/userinfo"


class UserInfoHandler:
    def __init__(self, bearer: BearerAuth, userinfo: UserInfo) -> None:
        self._bearer = bearer
        self._userinfo = userinfo

    async def handle(self, request: Request) -> Response:
        try:
            verified = await self._bearer.authenticate(request, frozenset())
            assert verified.local is not None, "the UserInfo endpoint checks tokens locally"
            claims = await self._userinfo.claims(verified.local, issuer_of(request.scope))
        except OAuthError as exc:
            return self._bearer.error_response(exc)
        return JsonResponse(claims, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
