"""What every grant module provides."""

from __future__ import annotations

from typing import ClassVar, Protocol

from authgate.audit.events import TOKEN_REUSE_DETECTED, Actor
from authgate.audit.log import AuditLog
from authgate.domain import Client, IssuedTokens, TokenId, UserId
from authgate.errors import InvalidRequest
from authgate.protocol.context import RequestContext
from authgate.protocol.requests import Params
from authgate.storage.base import UserStore


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


def record_reuse(
    audit: AuditLog | None,
    client: Client,
    context: RequestContext,
    *,
    kind: str,
    family: TokenId,
    user_id: UserId | None,
    revoked: int,
) -> None:
    """A used refresh token or authorization code came back (RFC 9700 §4.14.2, RFC 6749
    §4.1.2), and its family was revoked: an audit event, by the client that sent it."""
    if audit is not None:
        audit.record(
            TOKEN_REUSE_DETECTED,
            Actor("client", client.client_id, context.client_address),
            target_type="token_family",
            target=family,
            kind=kind,
            user_id=user_id,
            revoked=revoked,
            space_id=context.issuer.space_id,
        )


async def user_is_active(users: UserStore | None, user_id: UserId | None) -> bool:
    """A grant for a user goes on only while the user exists and is not disabled (a grant
    without a user, or a check without a user store, always does)."""
    if users is None or user_id is None:
        return True
    user = await users.by_id(user_id)
    return user is not None and user.is_active
