"""Check tokens remotely with RFC 7662 introspection: for an API that runs as another
service. Sees revocations within ``cache_seconds``."""

from __future__ import annotations

from typing import Any

import httpx

from authgate.errors import InvalidToken
from authgate.resource.remote import (
    Clock,
    VerdictCache,
    default_http,
    fetch_json,
    now_clock,
    plausible_token,
    token_key,
)
from authgate.resource.token import VerifiedToken

#: how long "not active" is remembered, so that a flood of bad tokens stays off the server
NEGATIVE_SECONDS = 5.0


def _verified(body: dict[str, Any]) -> VerifiedToken | None:
    """§2.2's members as a :class:`VerifiedToken`; ``None`` unless active and a bearer
    access token with the members authgate always sends (``token_type`` compared without
    case, RFC 6749 §5.1: "bearer" is Cobot's spelling)."""
    token_type = body.get("token_type")
    if body.get("active") is not True or not isinstance(token_type, str):
        return None
    if token_type.lower() != "bearer":
        return None
    client_id, subject, scope = body.get("client_id"), body.get("sub"), body.get("scope", "")
    if not (isinstance(client_id, str) and isinstance(subject, str) and isinstance(scope, str)):
        return None
    username, space = body.get("username"), body.get("space")
    iat, exp = body.get("iat"), body.get("exp")
    return VerifiedToken(
        client_id=client_id,
        scopes=frozenset(scope.split()),
        subject=subject,
        for_user=isinstance(username, str),
        username=username if isinstance(username, str) else None,
        space=space if isinstance(space, str) else None,
        issued_at=iat if isinstance(iat, int) else None,
        expires_at=exp if isinstance(exp, int) else None,
    )


class IntrospectionVerifier:
    """POSTs each new token to ``endpoint`` as a client registered with
    ``authgate client create … --resource-server``, and trusts the answer for at most
    ``cache_seconds`` (and never past the token's ``exp``)."""

    def __init__(
        self,
        endpoint: str,
        client_id: str,
        client_secret: str,
        *,
        cache_seconds: float = 30.0,
        http: httpx.AsyncClient | None = None,
        timeout: float = 5.0,
        max_entries: int = 100_000,
        clock: Clock = now_clock,
    ) -> None:
        self._endpoint = endpoint
        self._auth = httpx.BasicAuth(client_id, client_secret)
        self._cache_seconds = cache_seconds
        self._http = http or default_http(timeout)
        self._clock = clock
        self._cache = VerdictCache(max_entries, clock)

    async def verify(self, presented: str) -> VerifiedToken:
        if not plausible_token(presented):
            raise InvalidToken("invalid")
        key = token_key(presented)
        found, verdict = self._cache.get(key)
        if not found:
            body = await fetch_json(
                self._http,
                "POST",
                self._endpoint,
                data={"token": presented, "token_type_hint": "access_token"},
                auth=self._auth,
            )
            verdict = _verified(body) if isinstance(body, dict) else None
            now = self._clock()
            if verdict is None:
                self._cache.put(key, None, now + min(NEGATIVE_SECONDS, self._cache_seconds))
            else:
                until = now + self._cache_seconds
                if verdict.expires_at is not None:
                    until = min(until, verdict.expires_at)
                self._cache.put(key, verdict, until)
        if verdict is None:
            raise InvalidToken("invalid")
        if verdict.expires_at is not None and verdict.expires_at <= self._clock():
            raise InvalidToken("expired")
        return verdict

    def forget(self) -> None:
        """Drop every cached verdict (for example when told of a revocation)."""
        self._cache.clear()

    async def aclose(self) -> None:
        await self._http.aclose()
