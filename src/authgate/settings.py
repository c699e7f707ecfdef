"""Settings: defaults < profile (``--profile`` / ``AUTHGATE_PROFILE``, a preset of
``authgate.profiles``) < TOML file (``--config`` / ``AUTHGATE_CONFIG``) < ``AUTHGATE_*`` env.

Validated once at start-up; every field is documented in ``docs/configuration.md``.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from authgate import profiles
from authgate.domain import GRANT_ALIASES, GRANT_TYPES, GrantType, RefreshPolicy, TokenTypeName
from authgate.errors import EndpointError, TokenReason
from authgate.files import write_private_file
from authgate.protocol.grant_policy import grant_names
from authgate.protocol.requests import DESCRIPTION_CHARS
from authgate.ratelimit.notation import endpoint_key, parse_limit

DEFAULT_SCOPES = {
    "read": "Read your profile and the data you can see",
    "write": "Create and change data on your behalf",
    "admin": "Manage the spaces you are an admin of, with the rights you have there",
}


#: the longest lifetime a setting may give (times are stored as 64-bit seconds)
TEN_YEARS = 10 * 365 * 24 * 3600

_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


class SettingsError(Exception):
    """Settings could not be loaded; the message says which and how to fix it."""


def _chosen_profile(init: dict[str, Any], config_file: str | None) -> str:
    """The profile asked for: by the command line, the environment or the config file."""
    if "profile" in init:
        return str(init["profile"])
    if os.environ.get("AUTHGATE_PROFILE"):
        return os.environ["AUTHGATE_PROFILE"]
    if config_file:
        try:
            with open(config_file, "rb") as f:
                named = tomllib.load(f).get("profile")
        except (OSError, tomllib.TOMLDecodeError):
            return profiles.DEFAULT  # the config file's own source reports it
        if isinstance(named, str):
            return named
    return profiles.DEFAULT


class ProfileSource(PydanticBaseSettingsSource):
    """The settings of the chosen profile, below the config file and the environment."""

    def __init__(self, settings_cls: type[BaseSettings], name: str) -> None:
        super().__init__(settings_cls)
        self._name = name

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ answers for every field

    def __call__(self) -> dict[str, Any]:
        try:
            return dict(profiles.load(self._name).settings)
        except profiles.UnknownProfile:
            return {}  # the profile field's validator names the choices


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTHGATE_", extra="forbid", frozen=True)

    profile: str = Field(
        profiles.DEFAULT,
        description="preset of settings for one platform's documented behaviour "
        "(`authgate profile list`); default: the secure modern server",
    )
    database_url: str = Field(
        "sqlite:///data/authgate.db",
        description="sqlite:///PATH (embedded) or postgresql://USER@HOST:PORT/DB",
    )
    issuer: str = Field("http://127.0.0.1:8000", description="public base URL of the server")
    secret_key: SecretStr | None = Field(
        None, description="key for encrypting stored test tokens and signing sessions"
    )
    realm: str = Field("authgate", description='realm in WWW-Authenticate: Bearer realm="…"')
    bearer_error_descriptions: dict[TokenReason, str] = Field(
        default_factory=dict,
        description="error_description of refused access tokens, by reason (expired, "
        "invalid, revoked, not_a_member, other_issuer, other_space), over neutral texts",
    )
    error_descriptions: dict[EndpointError, str] = Field(
        default_factory=dict,
        description="fixed error_description per error code at the authorization, token, "
        "revocation and introspection endpoints; unset codes keep the specific text",
    )
    access_token_lifetime: int = Field(
        3600,
        ge=0,
        le=TEN_YEARS,
        description="default access-token seconds (at most 10 years); 0 means they never expire",
    )
    access_token_format: Literal["opaque", "jwt"] = Field(
        "opaque",
        description="format of new access tokens for clients that choose none: opaque or "
        "jwt (RFC 9068)",
    )
    access_token_audience: str | None = Field(
        None,
        min_length=1,
        max_length=2048,
        description="aud of JWT access tokens; unset: the issuer URL they are minted for",
    )
    refresh_token_lifetime: int = Field(
        30 * 24 * 3600,
        ge=0,
        le=TEN_YEARS,
        description="refresh-token seconds; 0 means no expiry (at most 10 years)",
    )
    grant_types: list[GrantType] = Field(
        default_factory=lambda: list(GRANT_TYPES),
        description="the grants this server offers at all (token-exchange for RFC 8693's "
        "URN); default: every grant authgate has",
    )
    client_base_grants: list[GrantType] = Field(
        default_factory=list,
        description="grants every client may use without being registered with them "
        "(password, client_credentials, token-exchange)",
    )
    default_refresh_policy: RefreshPolicy = Field(
        "rotate",
        description="refresh policy of clients created without one: rotate, or none (no "
        "refresh tokens)",
    )
    scopes: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_SCOPES), description="scope catalog: name → text"
    )
    admin_scopes: list[str] = Field(
        default_factory=lambda: ["admin"],
        description="scopes only a space's admins may use; clients get them only when "
        "registered with them",
    )
    demo_api_scopes: dict[Literal["read", "write", "admin"], str] = Field(
        default_factory=dict,
        description="the catalog's scope each demo API role needs: read, write, admin "
        "(unset: a scope of the role's own name)",
    )
    client_id_format: Literal["random", "integer"] = Field(
        "random",
        description="ids of new clients: random (22 URL-safe characters) or integer (9 or 10 "
        "digits, random); clients with either kind of id keep working",
    )
    token_response_username: bool = Field(
        False,
        description="token responses for a user carry username, the user's e-mail address "
        "(seed 002)",
    )
    token_type_name: TokenTypeName = Field(
        "Bearer",
        description="spelling of token_type in token and introspection responses (case "
        "insensitive, RFC 6749 §5.1)",
    )
    token_endpoint: str = Field("/oauth/token", description="path of the token endpoint")
    token_endpoint_aliases: list[str] = Field(
        default_factory=list, description="more paths that serve the token endpoint"
    )
    token_params_in_query: bool = Field(
        False,
        description="also take token-request parameters from the URL's query string "
        "(credentials in URLs reach logs; RFC 6749 §2.3.1 forbids it; off by default)",
    )
    authorize_endpoint: str = Field("/oauth/authorize", description="authorization endpoint path")
    authorize_endpoint_aliases: list[str] = Field(
        default_factory=list,
        description='more paths for the authorization endpoint, e.g. ["/oauth/auth"]',
    )
    require_redirect_uri: bool = Field(
        False, description="require redirect_uri even when a client registered only one"
    )
    redirect_uri_matching: Literal["exact", "host_and_path"] = Field(
        "exact",
        description="exact string match, or same scheme, host and path (query may differ)",
    )
    allow_plain_pkce: bool = Field(False, description='accept code_challenge_method "plain"')
    require_scope: bool = Field(
        False,
        description="requests for authorization (the authorization endpoint, the password and "
        "client-credentials grants) must send scope: no default scope (RFC 6749 §3.3)",
    )
    authorization_code_lifetime: int = Field(
        600, gt=0, le=600, description="seconds an authorization code lives (at most 600)"
    )
    session_lifetime: int = Field(
        14 * 24 * 3600, gt=0, le=TEN_YEARS, description="seconds a login session lasts"
    )
    login_max_failures_per_address: int = Field(
        20,
        gt=0,
        description="failed password attempts (sign-in page and password grant) per client "
        "address before throttling",
    )
    frame_ancestors: list[str] = Field(
        default_factory=list,
        description="origins allowed to embed the login and consent pages (CSP frame-ancestors)",
    )
    frame_ancestors_space_origins: bool = Field(
        False,
        description="a space's pages may also be embedded by that space's own origins: its "
        "subdomain and its custom domains",
    )
    developer_token_lifetimes: bool = Field(
        True,
        description="the developer portal lets app developers choose their app's "
        "access-token lifetime (off where a platform documents one lifetime for every app)",
    )
    platform_name: str = Field("authgate", description="name shown on the pages")
    logo_url: str | None = Field(None, description="logo shown on the pages (https URL or /path)")
    demo: bool = Field(False, description="mount the demo callback page (set by serve --demo)")
    allow_access_token_query: bool = Field(
        False, description="accept ?access_token= on API calls (RFC 6750 §2.3; off by default)"
    )
    client_cache_seconds: float = Field(
        2.0, ge=0, le=60, description="how stale a cached client may be (deletes, rotations)"
    )
    token_cache_seconds: float = Field(
        2.0,
        ge=0,
        le=60,
        description="how stale a cached access-token row or user may be on another worker",
    )
    password_max_failures: int = Field(
        5, gt=0, description="failed password attempts per account before throttling"
    )
    password_failure_window: int = Field(
        300, gt=0, description="seconds over which failed password attempts are counted"
    )
    password_max_failures_per_client: int = Field(
        100, gt=0, description="failed password-grant attempts per client before throttling"
    )
    password_hash_workers: int = Field(
        0, ge=0, le=256, description="Argon2 verifications run at once; 0 means one per core"
    )
    password_hash_queue: int = Field(
        8, ge=0, le=10_000, description="verifications that may wait; more get 503 at once"
    )
    redis_url: str | None = Field(
        None,
        description="redis://… to share throttle and rate-limit counters and cache "
        "invalidations between workers and machines",
    )
    redis_namespace: str = Field(
        "authgate",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="prefix of authgate's Redis keys, to share one Redis between deployments",
    )
    rate_limits_enabled: bool = Field(
        True, description="count API and token-endpoint requests against the limits below"
    )
    api_rate_limit: str = Field(
        "60/minute",
        description="requests per user (per client for client-credentials tokens) to the API",
    )
    api_rate_limits: dict[str, str] = Field(
        default_factory=dict,
        description='per-endpoint budgets: {"GET /api/spaces/{slug}/members" = "10/minute"}',
    )
    token_rate_limit: str = Field(
        "600/minute", description="token requests per authenticated client"
    )
    rate_limit_on_redis_error: Literal["open", "closed"] = Field(
        "open",
        description="Redis down: count in each worker's memory (open) or answer 503 (closed)",
    )
    base_domain: str | None = Field(
        None,
        description="spaces' issuers on {slug}.{base_domain}; unset: {issuer}/spaces/{slug}",
    )
    id_token_lifetime: int = Field(3600, gt=0, le=86400, description="seconds an id token is valid")
    id_token_signing_alg: Literal["RS256", "ES256", "EdDSA"] = Field(
        "RS256", description="algorithm of new signing keys (RS256 is what every RP accepts)"
    )
    signing_key_refresh_seconds: float = Field(
        5.0, ge=0, le=60, description="how soon a key rotated elsewhere reaches this worker"
    )
    signing_key_grace_seconds: int = Field(
        86400, ge=0, le=TEN_YEARS, description="how long a replaced signing key stays published"
    )
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        "NORMAL", description="SQLite durability: NORMAL survives a crash, FULL a power loss"
    )
    forwarded_allow_ips: list[str] = Field(
        default_factory=list,
        description="proxy addresses or networks whose X-Forwarded-For/-Proto are trusted",
    )
    max_request_head_bytes: int = Field(
        16 * 1024, ge=1024, le=1024 * 1024, description="largest request line plus headers"
    )
    request_read_timeout: int = Field(
        10, gt=0, le=3600, description="seconds for a request head, and between body reads"
    )
    keep_alive_timeout: int = Field(
        5, gt=0, le=3600, description="seconds an idle connection is kept open"
    )
    database_timeout: float = Field(
        5.0,
        gt=0,
        le=300,
        description="seconds to wait for a PostgreSQL connection or statement before the "
        "request is answered 503",
    )
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="port of the Prometheus metrics (GET /metrics, on metrics_host); unset: "
        "no metrics",
    )
    metrics_host: str | None = Field(
        None,
        min_length=1,
        max_length=253,
        description="address the metrics port listens on; unset: the address serve listens on",
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="server log lines: text (uvicorn's readable lines) or json (one object "
        "per line, with the request id)",
    )
    audit_retention_days: int = Field(
        365,
        ge=0,
        le=36500,
        description="days the audit log keeps an event; 0 keeps every event forever",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("AUTHGATE_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        init = getattr(init_settings, "init_kwargs", {})
        sources.append(ProfileSource(settings_cls, _chosen_profile(init, config_file)))
        return tuple(sources)

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        if value not in profiles.names():
            raise ValueError(str(profiles.UnknownProfile(value)))
        return value

    @field_validator("access_token_format")
    @classmethod
    def _jwt_tokens_expire(cls, value: str, info: ValidationInfo) -> str:
        # RFC 9068 §2.2: exp is REQUIRED in a JWT access token.
        if value == "jwt" and info.data.get("access_token_lifetime") == 0:
            raise ValueError(
                "JWT access tokens must expire (RFC 9068 §2.2): set access_token_lifetime to "
                "seconds, or keep opaque tokens with access_token_lifetime = 0 (never)"
            )
        return value

    @field_validator("grant_types", "client_base_grants", mode="before")
    @classmethod
    def _grant_names(cls, value: Any) -> Any:
        """The CLI's short names (``token-exchange``) too; each grant once."""
        if not isinstance(value, list | tuple):
            return value
        named = [GRANT_ALIASES.get(g, g) if isinstance(g, str) else g for g in value]
        for grant in named:
            if grant not in GRANT_TYPES:
                shown = str(grant)[:60]
                raise ValueError(
                    f"unknown grant type {shown!r}; choose from {grant_names(GRANT_TYPES)}"
                )
        return list(dict.fromkeys(named))

    @field_validator("grant_types")
    @classmethod
    def _offers_a_grant(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("the server must offer at least one grant")
        return value

    @field_validator("client_base_grants")
    @classmethod
    def _base_grants(cls, value: list[str], info: ValidationInfo) -> list[str]:
        for grant in value:
            if grant in {"authorization_code", "implicit"}:
                raise ValueError(
                    f"{grant} cannot be a base grant: it needs the redirect URIs a client is "
                    "registered with"
                )
            if grant == "refresh_token":
                raise ValueError(
                    "refresh_token cannot be a base grant: clients have it with "
                    "authorization_code or password, unless their refresh policy is none"
                )
        offered = info.data.get("grant_types")
        missing = [g for g in value if offered is not None and g not in offered]
        if missing:
            raise ValueError(
                f"{grant_names(missing)} is not offered: add it to grant_types "
                f"(now {grant_names(offered or [])})"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value.startswith("sqlite:///") and len(value) > len("sqlite:///"):
            return value
        if value.startswith(("postgresql://", "postgres://")):
            return value
        raise ValueError("must start with sqlite:///PATH or postgresql://")

    @field_validator("base_domain")
    @classmethod
    def _base_domain(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().lower().strip(".")
        host = value.rsplit(":", 1)[0] if value.count(":") == 1 else value
        labels = host.split(".")
        if not all(
            label and len(label) <= 63 and set(label) <= _HOST_CHARS and label[0] != "-"
            for label in labels
        ) or value.endswith(":"):
            raise ValueError("must be a domain name such as example.com (optionally :PORT)")
        return value

    @field_validator("issuer")
    @classmethod
    def _issuer_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")) or "#" in value or "?" in value:
            raise ValueError("must be an http(s) URL without query or fragment")
        return value.rstrip("/")

    @field_validator(
        "token_endpoint",
        "token_endpoint_aliases",
        "authorize_endpoint",
        "authorize_endpoint_aliases",
    )
    @classmethod
    def _paths(cls, value: str | list[str]) -> str | list[str]:
        for path in [value] if isinstance(value, str) else value:
            if not path.startswith("/") or any(c in path for c in "?#{} "):
                raise ValueError(f"{path!r} must be a path starting with / (no query)")
        return value

    @field_validator("scopes", "admin_scopes")
    @classmethod
    def _scope_names(cls, value: dict[str, str] | list[str]) -> dict[str, str] | list[str]:
        for name in value:
            if not name or any(not (0x21 <= ord(c) <= 0x7E) or c in '"\\' for c in name):
                raise ValueError(f"scope name {name!r} is not a valid RFC 6749 §3.3 scope token")
            if name.startswith("authgate:"):
                raise ValueError(
                    f"scope name {name!r}: authgate:* scopes are reserved for the admin API "
                    "(docs/admin-api.md) and cannot be in the catalog"
                )
        return value

    @field_validator("bearer_error_descriptions", "error_descriptions")
    @classmethod
    def _descriptions(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            if not text or any(c not in DESCRIPTION_CHARS for c in text):
                raise ValueError(
                    f"the text for {key!r} must be one or more printable ASCII characters "
                    'other than " and \\ (error_description, RFC 6749 §5.2, RFC 6750 §3)'
                )
        return value

    @field_validator("api_rate_limit", "token_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        parse_limit(value)
        return value.strip()

    @field_validator("api_rate_limits")
    @classmethod
    def _endpoint_rate_limits(cls, value: dict[str, str]) -> dict[str, str]:
        normalized: dict[str, str] = {}
        for endpoint, limit in value.items():
            key = endpoint_key(endpoint)
            if key in normalized:
                raise ValueError(f"{endpoint!r} is given twice")
            parse_limit(limit)
            normalized[key] = limit.strip()
        return normalized

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxy_addresses(cls, value: list[str]) -> list[str]:
        if "*" in value and len(value) > 1:
            raise ValueError('"*" (trust every peer) must be the only entry')
        for entry in value:
            try:
                _ = entry == "*" or ipaddress.ip_network(entry)
            except ValueError:
                raise ValueError(
                    f"{entry!r} must be an IP address, a network like 10.0.0.0/8, or *"
                ) from None
        return value

    @model_validator(mode="after")
    def _demo_api_scopes_in_catalog(self) -> Settings:
        for role, scope in self.demo_api_scopes.items():
            if scope not in self.scope_catalog:
                raise ValueError(f"demo_api_scopes: {role} = {scope!r} is not in the scope catalog")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))

    @field_validator("frame_ancestors")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not origin.startswith(("https://", "http://")) or any(c in origin for c in " ;,'"):
                raise ValueError(f"{origin!r} must be an origin like https://app.example.com")
        return value

    @property
    def token_paths(self) -> list[str]:
        return [self.token_endpoint, *self.token_endpoint_aliases]

    @property
    def authorize_paths(self) -> list[str]:
        return [self.authorize_endpoint, *self.authorize_endpoint_aliases]

    @property
    def scope_catalog(self) -> dict[str, str]:
        """The OpenID Connect scopes (Core §5.4), then the platform's own."""
        from authgate.protocol.scopes import OIDC_SCOPES

        return {**OIDC_SCOPES, **self.scopes}

    @property
    def secure_cookies(self) -> bool:
        return self.issuer.startswith("https://")

    def resolved_secret_key(self, *, create: bool = False) -> str:
        """The configured key, or on SQLite the one kept beside the database, which only
        ``create`` (``serve``, ``db upgrade``) generates when it is missing."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if not self.is_sqlite:
            raise SettingsError(
                "secret_key is required with PostgreSQL: set AUTHGATE_SECRET_KEY "
                "(for example to the output of `python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'`) on every worker"
            )
        path = self.sqlite_path.with_suffix(".secret")
        if path.exists():
            return path.read_text().strip()
        if not create:
            raise SettingsError(
                f"no secret key file at {path}: create it with `authgate db upgrade` or "
                "`authgate serve`, or set AUTHGATE_SECRET_KEY"
            )
        key = secrets.token_urlsafe(32)
        write_private_file(path, key + "\n", replace=False)
        return key


def load_settings(**overrides: Any) -> Settings:
    """Load and validate settings, turning validation errors into one readable message."""
    config_file = os.environ.get("AUTHGATE_CONFIG")
    if config_file and not Path(config_file).is_file():
        raise SettingsError(f"config file {config_file!r} does not exist")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]) or "settings"
            env = "AUTHGATE_" + str(err["loc"][0]).upper() if err["loc"] else ""
            where = f" (TOML key {name!r} or {env})" if env else ""
            lines.append(f"  {name}{where}: {err['msg']}")
        raise SettingsError("invalid settings:\n" + "\n".join(lines)) from None
    except ValueError as exc:  # e.g. malformed TOML
        raise SettingsError(f"cannot read settings: {exc}") from None
