"""What every grant module provides."""

from __future__ import annotations

from typing import ClassVar, Protocol

from authgate.domain import Client, IssuedTokens
from authgate.errors import InvalidRequest
from authgate.protocol.context import RequestContext
from authgate.protocol.requests import Params


class Grant(Protocol):
    grant_type: ClassVar[str]

    async def issue(self, client: Client, params: Params, context: RequestContext) -> IssuedTokens:
        """Validate the grant-specific parameters and issue tokens, or raise OAuthError."""
        ...


def require(params: Params, name: str) -> str:
    value = params.get(name)
    if value is None:
        raise InvalidRequest(f"missing required parameter {name!r}")
    return value
