"""The demo client's redirect URI: shows the code and a working curl line (serve --demo)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from authgate.demo import CALLBACK_PATH
from authgate.web.issuers import issuer_of
from authgate.web.pages.render import Pages

__all__ = ["CALLBACK_PATH", "DemoCallback"]


class DemoCallback:
    def __init__(
        self,
        pages: Pages,
        credentials_file: Path,
        issuer: str,
        token_path: str,
        client_of_code: Callable[[str], Awaitable[str | None]] | None = None,
    ) -> None:
        self._pages = pages
        self._file = credentials_file
        self._redirect_uri = issuer + CALLBACK_PATH
        self._token_url = issuer + token_path
        #: the client id a code was issued to (an app registered in the portal may use
        #: this page as its redirect URI too)
        self._client_of_code = client_of_code

    def _credentials(self) -> tuple[str, str]:
        try:
            saved = json.loads(self._file.read_text())
            return saved["client_id"], saved["client_secret"]
        except (OSError, ValueError, KeyError):
            return "CLIENT_ID", "CLIENT_SECRET"

    async def callback(self, request: Request) -> Response:
        q = request.query_params
        code = q.get("code", "")[:300]
        curl = ""
        other_app = False
        if code:
            client_id, secret = self._credentials()
            host = request.client.host if request.client else ""
            if host not in {"127.0.0.1", "::1"}:  # the secret is shown on this machine only
                secret = "CLIENT_SECRET"
            issued_to = None if self._client_of_code is None else await self._client_of_code(code)
            other_app = issued_to is not None and issued_to != client_id
            credentials = (
                '"$CLIENT_ID:$CLIENT_SECRET"' if other_app else shlex.quote(f"{client_id}:{secret}")
            )
            curl = " ".join(
                [
                    "curl -s",
                    "-u",
                    credentials,
                    "-d grant_type=authorization_code",
                    "-d",
                    shlex.quote(f"code={code}"),
                    "--data-urlencode",
                    shlex.quote(f"redirect_uri={self._redirect_uri}"),
                    *(['-d code_verifier="$VERIFIER"'] if other_app else []),
                    self._token_url,
                ]
            )
        return self._pages.render(
            issuer_of(request.scope),
            "callback.html",
            code=code,
            curl=curl,
            other_app=other_app,
            state=q.get("state", "")[:300],
            iss=q.get("iss", "")[:300],
            error=q.get("error", "")[:100],
            error_description=q.get("error_description", "")[:500],
        )
