"""Storage Protocols of dynamic client registration (RFC 7591, RFC 7592): the operator's
initial access tokens, and what a dynamically registered client holds besides its
:class:`~authgate.domain.Client` row (its registration access token, the metadata
authgate has no column of its own for).

Kept apart from :mod:`authgate.storage.base` so that the feature is one module per layer;
``storage.sql.registrations`` implements both over SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from authgate.domain import ClientPk


@dataclass(frozen=True, slots=True)
class InitialAccessToken:
    """RFC 7591 §3: what an operator hands out to let someone register a client. Only
    the digest of its secret is stored."""

    id: int
    secret_digest: bytes
    created_at: int
    #: ``None``: it never expires
    expires_at: int | None
    #: ``None``: any number of registrations
    max_uses: int | None
    #: registrations made (or reserved) with it
    uses: int
    #: who created it (the audit log's actor name)
    created_by: str | None = None


@dataclass(frozen=True, slots=True)
class ClientRegistration:
    """A client registered through ``/oauth/register`` (RFC 7592 manages only those)."""

    client_pk: ClientPk
    #: SHA-256 of the registration access token (RFC 7592 §1.2)
    token_digest: bytes
    #: RFC 7591 §2: client_secret_basic, client_secret_post or none
    auth_method: str
    #: RFC 7591 §2, as registered (normalized: values sorted within each type)
    response_types: tuple[str, ...]
    created_at: int
    #: the initial access token it was registered with, if any
    initial_token_id: int | None = None


class InitialTokenStore(Protocol):
    async def create(
        self,
        secret_digest: bytes,
        now: int,
        expires_at: int | None,
        max_uses: int | None,
        created_by: str | None,
    ) -> InitialAccessToken: ...

    async def get(self, token_id: int) -> InitialAccessToken | None: ...

    async def reserve(self, token_id: int, now: int) -> bool:
        """Count one use of the token, atomically with the check that it is unexpired
        and not used up: of N concurrent reservations of a token with one use left,
        exactly one succeeds."""
        ...

    async def release(self, token_id: int) -> None:
        """Give back a use :meth:`reserve` took (the registration failed)."""
        ...

    async def page(self, *, after: int | None, limit: int) -> list[InitialAccessToken]:
        """Tokens by id (creation order), those after ``after``."""
        ...

    async def delete(self, token_id: int) -> bool:
        """Revoke the token: no registration reserves a use of it from then on."""
        ...


class ClientRegistrationStore(Protocol):
    async def add(self, registration: ClientRegistration) -> None: ...

    async def get(self, client_pk: ClientPk) -> ClientRegistration | None:
        """``None`` also once the client is deleted (the row goes with it)."""
        ...

    async def replace(
        self,
        client_pk: ClientPk,
        old_digest: bytes,
        new_digest: bytes,
        auth_method: str,
        response_types: tuple[str, ...],
    ) -> bool:
        """Store a new token digest and metadata only while the token is ``old_digest``
        (compare-and-set: of two updates with one token, one wins)."""
        ...

    async def reset(self, client_pk: ClientPk, new_digest: bytes) -> bool:
        """Replace the token whatever it is (the operator's reissue); ``False`` when the
        client has no registration."""
        ...
