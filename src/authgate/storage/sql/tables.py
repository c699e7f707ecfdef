"""The schema, defined once with SQLAlchemy Core; Alembic migrations are written from it.

Times are integer seconds since the epoch, scopes are space-separated strings, and token
rows are keyed by an increasing integer so inserts append to the index.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# SQLite only makes INTEGER PRIMARY KEY an alias of its rowid; BIGINT elsewhere.
Id = BigInteger().with_variant(Integer(), "sqlite")

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False, server_default=""),
    Column("password_hash", Text, nullable=False),
    Column("is_active", Boolean, nullable=False, server_default="1"),
    Column("created_at", BigInteger, nullable=False),
    #: OpenID Connect ``sub``: random, never reused, never a client id (Core §2)
    Column("subject", String(36), nullable=False, unique=True),
    Column("email_verified", Boolean, nullable=False, server_default="0"),
    #: the user's own profile (the account page); OpenID Connect ``picture`` and
    #: ``phone_number`` on the root issuer
    Column("picture", Text, nullable=True),
    Column("phone_number", String(32), nullable=True),
    #: a server administrator: the admin console lets only such users in
    Column("is_admin", Boolean, nullable=False, server_default="0"),
    #: the row's ETag in the admin API: every UPDATE adds one (0008)
    Column("revision", BigInteger, nullable=False, server_default="1"),
)

clients = Table(
    "clients",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("client_id", String(100), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("secret_digest", LargeBinary(32), nullable=True),
    Column("is_public", Boolean, nullable=False),
    Column("redirect_uris", Text, nullable=False, server_default=""),
    Column("grant_types", Text, nullable=False),
    Column("scopes", Text, nullable=False, server_default=""),
    Column("token_lifetime", Integer, nullable=True),
    Column("refresh_policy", String(20), nullable=False, server_default="rotate"),
    Column("owner_id", Id, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("test_token_sealed", Text, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("is_resource_server", Boolean, nullable=False, server_default="0"),
    #: "jwt" or "opaque"; NULL follows the ``access_token_format`` setting
    Column("access_token_format", String(10), nullable=True),
    #: what the app tells its users (the developer portal; the consent page shows them)
    Column("description", Text, nullable=True),
    Column("homepage_url", Text, nullable=True),
    Column("logo_url", Text, nullable=True),
    Column("privacy_url", Text, nullable=True),
    #: SHA-256 of the portal form's one-time id the client was registered from: the
    #: same form sent twice finds this client instead of registering another
    Column("registration_digest", LargeBinary(32), nullable=True),
    Index("ux_clients_registration", "registration_digest", unique=True),
    Column("revision", BigInteger, nullable=False, server_default="1"),
)

access_tokens = Table(
    "access_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("secret_digest", LargeBinary(32), nullable=False),
    Column("client_pk", Id, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("scope", Text, nullable=False),
    Column("issued_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    Column("revoked_at", BigInteger, nullable=True),
    Column("family_id", Id, nullable=True),
    #: RFC 8693's grant URN is 47 characters
    Column("grant_type", String(64), nullable=False),
    Column(
        "space_id",
        Id,
        ForeignKey("spaces.id", ondelete="CASCADE", name="fk_access_tokens_space"),
        nullable=True,
    ),
    Index("ix_access_tokens_family", "family_id"),
    Index("ix_access_tokens_client", "client_pk"),
    #: a user's tokens: connected apps, revoking one app's grant
    Index("ix_access_tokens_user", "user_id", "client_pk"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("secret_digest", LargeBinary(32), nullable=False),
    Column("client_pk", Id, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("scope", Text, nullable=False),
    Column("issued_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    Column("used_at", BigInteger, nullable=True),
    Column("revoked_at", BigInteger, nullable=True),
    Column("family_id", Id, nullable=False),
    Column(
        "space_id",
        Id,
        ForeignKey("spaces.id", ondelete="CASCADE", name="fk_refresh_tokens_space"),
        nullable=True,
    ),
    Column("auth_time", BigInteger, nullable=True),
    Index("ix_refresh_tokens_family", "family_id"),
    #: a user's refresh tokens: revoking one app's grant, a password change
    Index("ix_refresh_tokens_user", "user_id", "client_pk"),
)

authorization_codes = Table(
    "authorization_codes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("secret_digest", LargeBinary(32), nullable=False),
    Column("client_pk", Id, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("redirect_uri", Text, nullable=True),
    Column("scope", Text, nullable=False),
    Column("code_challenge", String(128), nullable=True),
    Column("code_challenge_method", String(10), nullable=True),
    Column("nonce", Text, nullable=True),
    Column("issued_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger, nullable=True),
    Column("family_id", Id, nullable=True),
    Column(
        "space_id",
        Id,
        ForeignKey("spaces.id", ondelete="CASCADE", name="fk_authorization_codes_space"),
        nullable=True,
    ),
    Column("auth_time", BigInteger, nullable=True),
    Index("ix_authorization_codes_user", "user_id"),
)

consents = Table(
    "consents",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("client_pk", Id, ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    #: the issuer the consent was given on: a space's id, 0 for the root issuer
    Column("space_id", Id, primary_key=True, autoincrement=False),
    Column("scope", Text, nullable=False),
    Column("granted_at", BigInteger, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("secret_digest", LargeBinary(32), nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
    Column(
        "space_id",
        Id,
        ForeignKey("spaces.id", ondelete="CASCADE", name="fk_sessions_space"),
        nullable=True,
    ),
    Index("ix_sessions_user", "user_id"),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kid", String(64), nullable=False, unique=True),
    Column("alg", String(16), nullable=False),
    Column("public_jwk", Text, nullable=False),
    Column("private_sealed", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("signs_from", BigInteger, nullable=False),
    Column("retired_at", BigInteger, nullable=True),
)

spaces = Table(
    "spaces",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("slug", String(63), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

space_domains = Table(
    "space_domains",
    metadata,
    Column("domain", String(253), primary_key=True),
    Column("space_id", Id, ForeignKey("spaces.id", ondelete="CASCADE"), nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("space_id", Id, ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), nullable=False, server_default="member"),
    Column("name", String(200), nullable=True),
    Column("picture", Text, nullable=True),
    Column("phone_number", String(32), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    #: scopes this member may no longer use in the space (space-separated)
    Column("revoked_scopes", Text, nullable=False, server_default=""),
    Column("revision", BigInteger, nullable=False, server_default="1"),
    Index("ix_memberships_user", "user_id"),
)

#: Append-only (nothing updates a row); no foreign keys, so that an event outlives the user,
#: client or space it names. ``id`` orders the events and is the cursor of a page.
audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", BigInteger, nullable=False),
    Column("event", String(40), nullable=False),
    Column("actor_type", String(16), nullable=False),
    Column("actor", Text, nullable=True),
    Column("address", Text, nullable=True),
    Column("target_type", String(16), nullable=True),
    Column("target", Text, nullable=True),
    Column("request_id", Text, nullable=True),
    #: a JSON object
    Column("details", Text, nullable=False, server_default="{}"),
    Index("ix_audit_events_at", "at"),
)
