"""What a user holds, as an administrator sees and ends it: their sessions (signed-in
browsers) and their grants (consents and live tokens, per app and issuer)."""

from __future__ import annotations

from collections.abc import Callable

from authgate.audit.events import CONSENT_REVOKED, USER_SESSIONS_REVOKED, Actor
from authgate.audit.log import AuditLog
from authgate.domain import Client, Consent, Session, TokenId, User, UserGrant
from authgate.protocol.admin.errors import NotFound
from authgate.storage.base import AdminStore, ClientStore, GrantStore, SessionStore


class UserAccess:
    def __init__(
        self,
        store: AdminStore,
        sessions: SessionStore,
        grants: GrantStore,
        clients: ClientStore,
        audit: AuditLog,
        clock: Callable[[], float],
    ) -> None:
        self._store = store
        self._sessions = sessions
        #: revocations through it drop cached token rows on every worker
        self._grants = grants
        self._clients = clients
        self._audit = audit
        self._clock = clock

    def _now(self) -> int:
        return int(self._clock())

    async def sessions(self, user: User) -> list[Session]:
        return await self._store.sessions_of(user.id, self._now())

    async def revoke_session(self, user: User, session_id: TokenId, *, actor: Actor) -> None:
        if not await self._store.revoke_session(user.id, session_id, self._now()):
            raise NotFound(f"no live session {session_id} of this user")
        self._audit.record(
            USER_SESSIONS_REVOKED, actor, target_type="user", target=user.email, count=1
        )

    async def revoke_sessions(self, user: User, *, actor: Actor) -> int:
        """Sign the user out everywhere (their tokens stay: revoke grants for those)."""
        count = await self._sessions.revoke_others(user.id, None, self._now())
        self._audit.record(
            USER_SESSIONS_REVOKED, actor, target_type="user", target=user.email, count=count
        )
        return count

    async def grants(self, user: User) -> list[UserGrant]:
        """Every (app, issuer) holding a consent or a live token of the user."""
        return await self._grants.of_user(user.id, self._now())

    async def revoke_grant(self, user: User, client: Client, *, actor: Actor) -> int:
        """Forget the user's consents to the app and revoke its tokens for them."""
        count = await self._grants.revoke(user.id, client.pk, self._now())
        self._audit.record(
            CONSENT_REVOKED,
            actor,
            target_type="client",
            target=client.client_id,
            user=user.email,
            revoked_tokens=count,
        )
        return count

    async def revoke_grants(self, user: User, *, actor: Actor) -> int:
        """Revoke every grant of the user: each app's consents and tokens."""
        total = 0
        for pk in sorted({g.client_pk for g in await self.grants(user)}):
            client = await self._clients.by_pk(pk)
            if client is not None:
                total += await self.revoke_grant(user, client, actor=actor)
        return total

    async def consents(
        self,
        *,
        user: User | None = None,
        client: Client | None = None,
        after: tuple[int, int, int] | None = None,
        limit: int = 100,
    ) -> list[Consent]:
        """Consents, of one user or one app or all, by (user, app, issuer)."""
        return await self._store.consents(
            user_id=None if user is None else user.id,
            client_pk=None if client is None else client.pk,
            after=after,
            limit=limit,
        )
