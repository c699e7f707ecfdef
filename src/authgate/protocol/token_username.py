"""The ``username`` of a token response (seed 002): Cloud BOT's token endpoint answers
``{"username": "user@example.com", "token_type": "Bearer", …}``, the e-mail address the user
signs in with. RFC 6749 §5.1 lets a response carry more parameters; clients ignore those
they do not know.

Added to the responses of the grants that sign a user in or refresh that sign-in
(authorization code, password, refresh token: those that hand the extensions their
:class:`~authgate.domain.GrantFacts`), never to a client's own token (client credentials)
nor to a token exchange, whose client named the user itself; chosen at the composition
root with ``token_response_username``.
"""

from __future__ import annotations

from authgate.domain import IssuedTokens
from authgate.protocol.context import RequestContext
from authgate.storage.base import UserStore


class UsernameExtension:
    def __init__(self, users: UserStore) -> None:
        self._users = users

    async def extend(self, issued: IssuedTokens, context: RequestContext) -> dict[str, str | int]:
        facts = issued.facts
        if facts is None or facts.user_id is None:
            return {}
        user = await self._users.by_id(facts.user_id)
        return {} if user is None else {"username": user.email}
