"""Storage Protocols: one small async interface per concern.

The protocol layer depends only on these; ``storage.sql`` implements them over SQLite and
PostgreSQL, and the shared contract tests in ``tests/storage`` hold every backend to them.

A look-up by a string no row can hold (NUL, a lone surrogate: :mod:`authgate.text`) finds
nothing, on every backend; writes expect values validated above this layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from authgate.audit.events import AuditPage, AuditQuery, NewAuditEvent
from authgate.domain import (
    AccessToken,
    AuthorizationCode,
    Client,
    ClientPk,
    ClientUsage,
    Consent,
    Membership,
    NewAccessToken,
    NewAuthorizationCode,
    NewClient,
    NewRefreshToken,
    RefreshToken,
    Session,
    SigningKey,
    Space,
    SpaceId,
    TokenId,
    User,
    UserGrant,
    UserId,
)


class DatabaseUnavailable(Exception):
    """The database does not answer (not reachable, restarting, too slow, not connected
    yet, or its schema is not this authgate's). Retrying later may work: the web edge
    answers 503."""


class EmailTaken(Exception):
    """A user with this e-mail address already exists."""


class ClientIdTaken(Exception):
    """A client with this client_id already exists."""


class SlugTaken(Exception):
    """A space with this slug or one of these domains already exists."""


class KeysChanged(Exception):
    """A key was added since the caller looked (KeyStore.add with ``newest``)."""


class SpaceChanged(Exception):
    """The space is no longer as the caller read it (or is gone): nothing was written."""


class DomainTaken(Exception):
    """Another space serves one of the domains."""


class RevisionMismatch(Exception):
    """The row is no longer at the revision the caller read (``If-Match``): another
    change came first; nothing was written."""


class RegistrationTaken(Exception):
    """A client was already registered from this portal form (its one-time id's digest)."""


@dataclass(frozen=True, slots=True)
class UserHoldings:
    """What a user holds now (live rows), or what disabling the user revoked."""

    sessions: int = 0
    access_tokens: int = 0
    refresh_tokens: int = 0
    #: authorization codes not yet redeemed
    codes: int = 0
    consents: int = 0
    memberships: int = 0
    owned_clients: int = 0


#: a store's ``peek_*`` answer when it holds nothing in memory (the SQL stores: always)
NOT_HELD: tuple[bool, None] = (False, None)


class UserStore(Protocol):
    async def create(self, email: str, name: str, password_hash: str, now: int) -> User:
        """Raises :class:`EmailTaken`; e-mail addresses are compared case-insensitively."""
        ...

    async def by_id(self, user_id: UserId) -> User | None: ...
    def peek_by_id(self, user_id: UserId) -> tuple[bool, User | None]:
        """``(True, user)`` when this store holds the answer in memory (a cache hit: no
        await, no coroutine); ``(False, None)``: ask :meth:`by_id`."""
        ...

    async def by_email(self, email: str) -> User | None: ...
    async def set_password(self, user_id: UserId, password_hash: str) -> None: ...

    async def update_profile(
        self, user_id: UserId, *, name: str, picture: str | None, phone_number: str | None
    ) -> User | None:
        """Replace the user's own profile; ``None`` if there is no such user."""
        ...

    async def set_email(self, user_id: UserId, email: str) -> User | None:
        """Change the login address (stored lowercased; no longer verified). Raises
        :class:`EmailTaken` when another user has it."""
        ...

    async def page(
        self, *, after: UserId | None = None, limit: int = 100, search: str | None = None
    ) -> list[User]:
        """Users by id, those after ``after`` (a page's cursor); ``search`` matches a part
        of the e-mail address or the name, in any case."""
        ...

    async def update(
        self,
        user_id: UserId,
        *,
        email: str | None = None,
        name: str | None = None,
        email_verified: bool | None = None,
        is_admin: bool | None = None,
        revision: int | None = None,
    ) -> User | None:
        """Change the given fields; raises :class:`EmailTaken`; ``None`` if no such user.
        With ``revision``, only while the row is at it (in the same statement), else
        :class:`RevisionMismatch`; every change adds one to the revision."""
        ...

    async def disable(self, user_id: UserId, now: int) -> UserHoldings | None:
        """Mark the user inactive and, in the same transaction, revoke every session,
        access and refresh token of the user and delete their unredeemed codes; returns
        what was revoked, ``None`` if there is no such user."""
        ...

    async def enable(self, user_id: UserId) -> bool: ...

    async def holdings(self, user_id: UserId, now: int) -> UserHoldings:
        """What the user holds: live sessions and tokens, consents, memberships, clients."""
        ...

    async def delete(self, user_id: UserId, revision: int | None = None) -> bool:
        """(With ``revision``: only at that revision, else :class:`RevisionMismatch`.)
        Delete the user and, with it, their sessions, codes, tokens, consents and
        memberships; clients they own lose their owner (and their test token)."""
        ...


class ClientStore(Protocol):
    async def create(self, new: NewClient) -> Client:
        """Raises :class:`ClientIdTaken` when ``new.client_id`` is in use."""
        ...

    async def by_client_id(self, client_id: str) -> Client | None: ...
    async def by_pk(self, pk: ClientPk) -> Client | None: ...
    def peek_by_client_id(self, client_id: str) -> tuple[bool, Client | None]:
        """``(True, client)`` when this store holds the answer in memory (a cache hit: no
        await, no coroutine); ``(False, None)``: ask :meth:`by_client_id`."""
        ...

    def peek_by_pk(self, pk: ClientPk) -> tuple[bool, Client | None]:
        """``(True, client)`` when this store holds the answer in memory (a cache hit: no
        await, no coroutine); ``(False, None)``: ask :meth:`by_pk`."""
        ...

    async def all(self) -> list[Client]: ...

    async def page(self, *, after: ClientPk | None = None, limit: int = 100) -> list[Client]:
        """Clients by id (creation order), those after ``after``, at most ``limit``."""
        ...

    async def update(
        self, client_id: str, *, revision: int | None = None, **changes: Any
    ) -> Client | None:
        """Change the named fields of :class:`Client`; ``None`` if there is no such client.
        With ``revision``, only while the row is at it, else :class:`RevisionMismatch`."""
        ...

    async def owned_by(self, owner_id: UserId) -> list[Client]:
        """The clients a user owns, oldest first."""
        ...

    async def by_registration(self, registration_digest: bytes) -> Client | None:
        """The client registered from the portal form with this digest."""
        ...

    async def replace_secret(self, client_id: str, old: bytes | None, new: bytes) -> bool:
        """Set the secret digest to ``new`` only while it is ``old`` (compare-and-set:
        of two rotations that start from one secret, one wins)."""
        ...

    async def replace_test_token(self, client_id: str, old: str | None, new: str) -> bool:
        """Set the sealed test token to ``new`` only while it is ``old``."""
        ...

    async def delete(self, client_id: str, revision: int | None = None) -> bool:
        """Delete the client and every token issued to it (with ``revision``: only at that
        revision, else :class:`RevisionMismatch`)."""
        ...


class TokenStore(Protocol):
    async def issue(
        self, access: NewAccessToken, refresh: NewRefreshToken | None = None
    ) -> tuple[TokenId, TokenId | None]:
        """Store an access token and, in the same transaction, its refresh token.

        A refresh token joins the access token's family (a new family when the access
        token has none).
        """
        ...

    async def access(self, token_id: TokenId) -> AccessToken | None: ...
    def peek_access(self, token_id: TokenId) -> tuple[bool, AccessToken | None]:
        """``(True, row)`` when this store holds the answer in memory (a cache hit: no
        await, no coroutine); ``(False, None)``: ask :meth:`access`."""
        ...

    async def refresh(self, token_id: TokenId) -> RefreshToken | None: ...

    async def rotate(
        self, old: RefreshToken, now: int, access: NewAccessToken, refresh: NewRefreshToken | None
    ) -> tuple[TokenId, TokenId | None] | None:
        """Atomically mark ``old`` used and store its successors.

        ``None`` when ``old`` was already used or revoked (a concurrent refresh won).
        """
        ...

    async def derive(self, subject_id: TokenId, access: NewAccessToken) -> TokenId | None:
        """Store ``access`` (which names the family of ``subject_id``) only if the access
        token ``subject_id`` is not revoked, atomically with that check; ``None`` if it is.
        A :meth:`revoke_family` racing with this revokes the new token too."""
        ...

    async def revoke_family(self, root_id: TokenId, now: int) -> int:
        """Revoke every access and refresh token of a family; returns how many."""
        ...

    async def revoke_access(self, token_id: TokenId, now: int) -> bool: ...


class CodeStore(Protocol):
    async def add(self, new: NewAuthorizationCode) -> TokenId: ...
    async def get(self, code_id: TokenId) -> AuthorizationCode | None: ...

    async def redeem(
        self,
        code: AuthorizationCode,
        now: int,
        access: NewAccessToken,
        refresh: NewRefreshToken | None,
    ) -> tuple[TokenId, TokenId | None] | None:
        """Atomically mark the code used, store its tokens and remember their family on the
        code. ``None`` when the code was already used (exactly one redemption wins)."""
        ...


class ConsentStore(Protocol):
    async def scopes(
        self, user_id: UserId, client_pk: ClientPk, space_id: SpaceId | None = None
    ) -> frozenset[str]:
        """The scopes the user has granted the client on the issuer of ``space_id``
        (empty when none)."""
        ...

    async def grant(
        self,
        user_id: UserId,
        client_pk: ClientPk,
        scopes: frozenset[str],
        now: int,
        space_id: SpaceId | None = None,
    ) -> None:
        """Remember ``scopes`` in addition to those granted before on that issuer."""
        ...


class SessionStore(Protocol):
    async def create(
        self,
        secret_digest: bytes,
        user_id: UserId,
        now: int,
        expires_at: int,
        space_id: SpaceId | None = None,
    ) -> TokenId: ...
    async def get(self, session_id: TokenId) -> tuple[Session, bytes] | None:
        """A live or dead session with its secret digest; callers check expiry."""
        ...

    async def revoke(self, session_id: TokenId, now: int) -> None: ...

    async def revoke_others(self, user_id: UserId, keep: TokenId | None, now: int) -> int:
        """Revoke every live session of the user but ``keep``; returns how many."""
        ...


class KeyStore(Protocol):
    async def all(self) -> list[SigningKey]:
        """Every key not yet deleted, oldest first."""
        ...

    async def add(
        self,
        kid: str,
        alg: str,
        public_jwk: str,
        private_sealed: str,
        now: int,
        signs_from: int,
        *,
        newest: str | None = None,
    ) -> SigningKey:
        """Store a new key; in the same transaction, every older key that has not been
        retired retires at ``signs_from``, when the new one takes over. With ``newest``
        (a kid), only while that is still the newest key, else :class:`KeysChanged` and
        nothing is written: of two rotations made after seeing one key, one happens."""
        ...

    async def delete_retired(self, before: int) -> int:
        """Delete keys retired before ``before``; returns how many."""
        ...


class SpaceStore(Protocol):
    async def create(self, slug: str, name: str, domains: tuple[str, ...], now: int) -> Space:
        """Raises :class:`SlugTaken` when the slug or a domain is taken."""
        ...

    async def by_slug(self, slug: str) -> Space | None: ...
    async def by_id(self, space_id: SpaceId) -> Space | None: ...
    async def by_domain(self, domain: str) -> Space | None: ...
    async def all(self) -> list[Space]: ...

    async def add_member(self, member: Membership, revision: int | None = None) -> Membership:
        """Add the membership, or replace the role and profile of an existing one; with
        ``revision``, replace only that revision of it, else :class:`RevisionMismatch`."""
        ...

    async def membership(self, space_id: SpaceId, user_id: UserId) -> Membership | None: ...
    async def remove_member(
        self, space_id: SpaceId, user_id: UserId, revision: int | None = None
    ) -> bool: ...
    async def members(self, space_id: SpaceId) -> list[Membership]: ...

    async def spaces_of(self, user_id: UserId) -> list[tuple[Space, Membership]]:
        """Every space the user is a member of, with the membership, by slug."""
        ...


class GrantStore(Protocol):
    """What users have granted apps, and how apps are used (connected apps, the portal).

    Test tokens (``grant_type`` "test") belong to their app's owner and are left out of
    both: the portal manages them.
    """

    async def of_user(self, user_id: UserId, now: int) -> list[UserGrant]:
        """Every (app, issuer) holding a consent or a live token of the user."""
        ...

    async def revoke(self, user_id: UserId, client_pk: ClientPk, now: int) -> int:
        """In one transaction: forget the user's consents to the app on every issuer, use
        up its unredeemed codes, revoke its refresh and access tokens (also those a
        refresh or code redemption racing with this adds). Returns how many tokens."""
        ...

    async def revoke_refresh_tokens(self, user_id: UserId, now: int) -> int:
        """Revoke every live refresh token of the user (RFC 9700 §4.14.2: after a password
        change), including one a rotation racing with this adds."""
        ...

    async def usage(self, client_pk: ClientPk, since: int, days: int) -> ClientUsage:
        """Tokens issued and distinct users from ``since`` on, per day for ``days`` days."""
        ...

    async def last_used(self, client_pks: list[ClientPk]) -> dict[ClientPk, int]:
        """When each app last got a token (apps that never did are left out)."""
        ...


class AuditStore(Protocol):
    """Append-only: events are added and, past the retention, deleted; never changed."""

    async def append(self, events: Sequence[NewAuditEvent]) -> None:
        """Write every event of ``events``, in one transaction."""
        ...

    async def page(self, query: AuditQuery) -> AuditPage:
        """The newest events that match ``query`` (older than its cursor), newest first."""
        ...

    async def delete_before(self, before: int) -> int:
        """Delete events that happened before ``before``; returns how many."""
        ...


class AdminStore(Protocol):
    """What the admin API and console list and revoke that no request path reads: a
    client's tokens, a user's sessions, every consent. Revocations here drop cached token
    rows through the caller (protocol/admin)."""

    async def client_tokens(
        self, client_pk: ClientPk, now: int, *, after: TokenId | None, limit: int
    ) -> list[AccessToken]:
        """The client's live access tokens by id, those after ``after``."""
        ...

    async def revoke_client_tokens(self, client_pk: ClientPk, now: int) -> int:
        """Revoke every access and refresh token of the client, including one a refresh
        racing with this adds; returns how many."""
        ...

    async def sessions_of(self, user_id: UserId, now: int) -> list[Session]:
        """The user's live sessions, oldest first."""
        ...

    async def revoke_session(self, user_id: UserId, session_id: TokenId, now: int) -> bool:
        """Revoke one live session of the user; ``False`` if there is none by that id."""
        ...

    async def consents(
        self,
        *,
        user_id: UserId | None = None,
        client_pk: ClientPk | None = None,
        after: tuple[int, int, int] | None = None,
        limit: int = 100,
    ) -> list[Consent]:
        """Consents by (user, client, issuer), those after ``after`` (a page's cursor:
        user id, client pk, space id or 0)."""
        ...


class SpaceEditStore(Protocol):
    """Renaming a space, replacing its domains, deleting it: each only while the space is
    as ``seen`` (its name and domains), else :class:`SpaceChanged`."""

    async def update(self, seen: Space, name: str, domains: tuple[str, ...]) -> None:
        """:class:`DomainTaken` when another space serves one of ``domains``."""
        ...

    async def delete(self, seen: Space) -> None: ...
