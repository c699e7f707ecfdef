"""Plain data types shared by every layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal, NewType

UserId = NewType("UserId", int)
SpaceId = NewType("SpaceId", int)
ClientPk = NewType("ClientPk", int)
TokenId = NewType("TokenId", int)

#: RFC 8693 §2.1: the grant type of a token exchange (47 characters)
TOKEN_EXCHANGE: Final = "urn:ietf:params:oauth:grant-type:token-exchange"
GrantType = Literal[
    "authorization_code",
    "client_credentials",
    "password",
    "refresh_token",
    "implicit",
    "urn:ietf:params:oauth:grant-type:token-exchange",
]
GRANT_TYPES: tuple[GrantType, ...] = (
    "authorization_code",
    "client_credentials",
    "password",
    "refresh_token",
    "implicit",
    TOKEN_EXCHANGE,
)
#: Short names the CLI and registration accept for grant types with long URNs.
GRANT_ALIASES: dict[str, GrantType] = {"token-exchange": TOKEN_EXCHANGE}
RefreshPolicy = Literal["rotate", "none"]
#: how an access token is written: ``<id>.<secret>`` or an RFC 9068 JWT
TokenFormat = Literal["opaque", "jwt"]
TOKEN_FORMATS: tuple[TokenFormat, ...] = ("opaque", "jwt")

#: ``Client.token_lifetime`` value for tokens that never expire (seed 000).
NEVER = 0

#: RFC 6749 §7.1 / RFC 6750 §6.1.1: the ``token_type`` of an access token, as responses
#: spell it. The value is case insensitive (§5.1); Cobot's pages show "bearer" (seed 000).
TokenTypeName = Literal["Bearer", "bearer"]
BEARER: TokenTypeName = "Bearer"


@dataclass(frozen=True, slots=True)
class User:
    id: UserId
    email: str
    name: str
    password_hash: str
    created_at: int
    is_active: bool = True
    #: OpenID Connect ``sub`` (Core §2): random, stable, never reused
    subject: str = ""
    email_verified: bool = False
    #: the user's own profile (account page): an https URL, a phone number
    picture: str | None = None
    phone_number: str | None = None
    #: a server administrator (``authgate user update --admin``): the admin console's users
    is_admin: bool = False
    #: increases with every change of the row: the admin API's ETag (If-Match)
    revision: int = field(default=1, compare=False)


@dataclass(frozen=True, slots=True)
class Client:
    """A registered application."""

    pk: ClientPk
    client_id: str
    name: str
    secret_digest: bytes | None
    is_public: bool
    redirect_uris: tuple[str, ...]
    grant_types: frozenset[str]
    scopes: frozenset[str]
    #: seconds; ``None`` means the server default, ``NEVER`` (0) means no expiry
    token_lifetime: int | None
    refresh_policy: RefreshPolicy
    owner_id: UserId | None
    created_at: int
    test_token_sealed: str | None = None
    #: RFC 7662: a resource server may introspect any client's tokens
    resource_server: bool = False
    #: ``None`` follows the server's ``access_token_format`` setting
    access_token_format: TokenFormat | None = None
    #: what the app tells its users: shown in the portal and on the consent page
    description: str | None = None
    homepage_url: str | None = None
    #: an https URL or a /path, shown with no referrer and never fetched by the server
    logo_url: str | None = None
    privacy_url: str | None = None
    #: increases with every change of the row: the admin API's ETag (If-Match)
    revision: int = field(default=1, compare=False)

    def allows_grant(self, grant_type: str) -> bool:
        """Registered with ``grant_type``. Whether the client may use it now is
        ``GrantPolicy.allows`` (the grants the server offers, and every client's)."""
        return grant_type in self.grant_types


@dataclass(frozen=True, slots=True)
class NewClient:
    """What registration stores; the store assigns ``pk``."""

    client_id: str
    name: str
    secret_digest: bytes | None
    is_public: bool
    redirect_uris: tuple[str, ...]
    grant_types: frozenset[str]
    scopes: frozenset[str]
    token_lifetime: int | None
    refresh_policy: RefreshPolicy
    owner_id: UserId | None
    created_at: int
    resource_server: bool = False
    access_token_format: TokenFormat | None = None
    description: str | None = None
    homepage_url: str | None = None
    logo_url: str | None = None
    privacy_url: str | None = None
    #: digest of the portal form's one-time id (a form sent twice registers one client)
    registration_digest: bytes | None = None


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A stored access token row (the secret itself is never stored)."""

    id: TokenId
    secret_digest: bytes
    client_pk: ClientPk
    user_id: UserId | None
    scope: str
    issued_at: int
    expires_at: int | None
    revoked_at: int | None
    family_id: TokenId | None
    grant_type: str
    #: the space the token is bound to: issued by its issuer or exchanged for it (RFC 8693);
    #: its scopes are then narrowed to what its user may do there at each check
    space_id: SpaceId | None = None

    @property
    def root_id(self) -> TokenId:
        """The family a token belongs to is named by its first access token."""
        return self.family_id if self.family_id is not None else self.id


@dataclass(frozen=True, slots=True)
class RefreshToken:
    id: TokenId
    secret_digest: bytes
    client_pk: ClientPk
    user_id: UserId | None
    scope: str
    issued_at: int
    expires_at: int | None
    used_at: int | None
    revoked_at: int | None
    family_id: TokenId
    space_id: SpaceId | None = None
    #: when the user signed in for the grant this token continues (OpenID Connect)
    auth_time: int | None = None


@dataclass(frozen=True, slots=True)
class NewAccessToken:
    secret_digest: bytes
    client_pk: ClientPk
    user_id: UserId | None
    scope: str
    issued_at: int
    expires_at: int | None
    family_id: TokenId | None
    grant_type: str
    space_id: SpaceId | None = None


@dataclass(frozen=True, slots=True)
class NewRefreshToken:
    secret_digest: bytes
    client_pk: ClientPk
    user_id: UserId | None
    scope: str
    issued_at: int
    expires_at: int | None
    space_id: SpaceId | None = None
    auth_time: int | None = None


@dataclass(frozen=True, slots=True)
class GrantFacts:
    """What an issued grant stands for, for the token endpoint's extensions (the id token)."""

    client: Client
    user_id: UserId | None
    scope: str
    space_id: SpaceId | None = None
    #: when the user signed in (OpenID Connect ``auth_time``)
    auth_time: int | None = None
    nonce: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    """What a grant hands back to the token endpoint."""

    access_token: str
    expires_in: int | None
    scope: str
    refresh_token: str | None = None
    extra: dict[str, str | int] = field(default_factory=dict)
    facts: GrantFacts | None = field(default=None, repr=False, compare=False)
    #: how the response spells the type (the token endpoint's ``token_type_name``)
    token_type: TokenTypeName = BEARER

    def to_response(self) -> dict[str, str | int]:
        """RFC 6749 §5.1 successful response body."""
        body: dict[str, str | int] = {
            "access_token": self.access_token,
            "token_type": self.token_type,
        }
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        body["scope"] = self.scope
        body.update(self.extra)
        return body


@dataclass(frozen=True, slots=True)
class NewAuthorizationCode:
    secret_digest: bytes
    client_pk: ClientPk
    user_id: UserId
    #: the redirect_uri sent at authorization, if one was (RFC 6749 §4.1.3)
    redirect_uri: str | None
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    issued_at: int
    expires_at: int
    space_id: SpaceId | None = field(default=None, kw_only=True)
    #: when the user signed in (OpenID Connect ``auth_time``)
    auth_time: int | None = field(default=None, kw_only=True)


@dataclass(frozen=True, slots=True)
class AuthorizationCode(NewAuthorizationCode):
    id: TokenId
    used_at: int | None
    family_id: TokenId | None


@dataclass(frozen=True, slots=True)
class Session:
    id: TokenId
    user_id: UserId
    #: the sign-in time (OpenID Connect ``auth_time``)
    created_at: int
    expires_at: int
    space_id: SpaceId | None = None


@dataclass(frozen=True, slots=True)
class Space:
    """A tenant: its own issuer, its members (seed 001)."""

    id: SpaceId
    slug: str
    name: str
    created_at: int
    domains: tuple[str, ...] = ()


Role = Literal["admin", "member"]


@dataclass(frozen=True, slots=True)
class Membership:
    """A user in a space, with the profile the space's id tokens carry."""

    space_id: SpaceId
    user_id: UserId
    role: Role
    name: str | None
    picture: str | None
    phone_number: str | None
    created_at: int
    #: scopes the member may no longer use in this space (seed 001: revoked admin rights)
    revoked_scopes: frozenset[str] = frozenset()
    #: increases with every change of the row: the admin API's ETag (If-Match)
    revision: int = field(default=1, compare=False)


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A key that signs id tokens. Published from ``created_at``, it signs from
    ``signs_from`` (after every worker has had time to publish it) until a newer key takes
    over, and stays published for a grace period after ``retired_at``."""

    id: int
    kid: str
    alg: str
    public_jwk: str
    private_sealed: str
    created_at: int
    signs_from: int
    retired_at: int | None = None


@dataclass(frozen=True, slots=True)
class UserGrant:
    """What one app holds for one user on one issuer: a consent, live tokens, or both
    (connected apps). Test tokens are their owner's and not counted here."""

    client_pk: ClientPk
    space_id: SpaceId | None
    #: the consented scopes, with those of live tokens
    scopes: frozenset[str]
    #: when the user first authorized it (the consent, else the oldest live token)
    authorized_at: int
    #: when the app last got a token for the user on this issuer (``None``: never)
    last_used: int | None


@dataclass(frozen=True, slots=True)
class ClientUsage:
    """How an app was used since a day: tokens issued (test tokens aside) and users."""

    tokens_issued: int
    active_users: int
    #: tokens issued per day, oldest day first
    per_day: tuple[int, ...]
    #: when it last got a token, at any time (``None``: never)
    last_used: int | None


@dataclass(frozen=True, slots=True)
class Consent:
    """What a user granted an app on one issuer (the consent page's record)."""

    user_id: UserId
    client_pk: ClientPk
    space_id: SpaceId | None
    scopes: frozenset[str]
    granted_at: int
