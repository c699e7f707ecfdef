"""The composition of stores and protocol objects, shared by the server and the CLI.

Everything is built here, explicitly, from settings and one database: no registries.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from authgate.audit.log import AuditLog
from authgate.crypto.csrf import CsrfSigner
from authgate.crypto.form_secrets import FormSecrets
from authgate.crypto.passwords import PasswordVerifier
from authgate.crypto.secretbox import SecretBox
from authgate.crypto.tokens import CLIENT_ID_GENERATORS
from authgate.invalidation import Invalidation
from authgate.protocol.accounts import Accounts
from authgate.protocol.admin.clients import ClientAdmin
from authgate.protocol.admin.space_edits import SpaceEdits
from authgate.protocol.admin.spaces import SpaceAdmin
from authgate.protocol.admin.user_access import UserAccess
from authgate.protocol.authorization import AuthorizePolicy
from authgate.protocol.authorize import AuthorizeEndpoint
from authgate.protocol.client_auth import ClientAuthenticator
from authgate.protocol.developer import DeveloperPortal
from authgate.protocol.dynamic_registration import DynamicRegistration
from authgate.protocol.endpoints.introspect import IntrospectionEndpoint
from authgate.protocol.endpoints.revoke import RevocationEndpoint
from authgate.protocol.endpoints.token import TokenEndpoint, TokenExtension
from authgate.protocol.grant_policy import GrantPolicy
from authgate.protocol.grants.authorization_code import AuthorizationCodeGrant
from authgate.protocol.grants.base import Grant
from authgate.protocol.grants.client_credentials import ClientCredentialsGrant
from authgate.protocol.grants.password import PasswordGrant
from authgate.protocol.grants.refresh_token import RefreshTokenGrant
from authgate.protocol.grants.token_exchange import TokenExchangeGrant
from authgate.protocol.initial_tokens import InitialTokens
from authgate.protocol.issuers import IssuerResolver
from authgate.protocol.keyring import KeyRing
from authgate.protocol.login import SessionManager
from authgate.protocol.minting import TokenMinter
from authgate.protocol.oidc.id_token import IdTokenMinter
from authgate.protocol.oidc.token_extension import IdTokenExtension
from authgate.protocol.oidc.userinfo import UserInfo
from authgate.protocol.password_check import PasswordCheck, PasswordThrottles
from authgate.protocol.permissions import Permissions
from authgate.protocol.registration import ClientRegistry
from authgate.protocol.spaces import SpaceMembers
from authgate.protocol.token_check import AccessTokenChecker
from authgate.protocol.token_formats import AccessTokenFormats, JwtFormat, OpaqueFormat
from authgate.protocol.token_username import UsernameExtension
from authgate.protocol.user_admin import UserAdmin
from authgate.ratelimit.failures import ThrottleFactory
from authgate.ratelimit.limiter import RateLimiter
from authgate.ratelimit.notation import parse_limit
from authgate.ratelimit.registrations import RegistrationLimit
from authgate.ratelimit.token_requests import ClientTokenLimit
from authgate.redis_pool import connect
from authgate.settings import Settings
from authgate.storage.base import GrantStore, TokenStore, UserStore
from authgate.storage.cache import (
    AnnouncingGrantStore,
    CachedClientStore,
    CachedSpaceStore,
    CachedTokenStore,
    CachedUserStore,
)
from authgate.storage.sql.admin import SqlAdminStore
from authgate.storage.sql.audit import SqlAuditStore
from authgate.storage.sql.clients import SqlClientStore
from authgate.storage.sql.driver import Database
from authgate.storage.sql.grants import SqlGrantStore
from authgate.storage.sql.registrations import SqlClientRegistrationStore, SqlInitialTokenStore
from authgate.storage.sql.space_edits import SqlSpaceEdits
from authgate.storage.sql.spaces import SqlSpaceStore
from authgate.storage.sql.stores import (
    SqlCodeStore,
    SqlConsentStore,
    SqlKeyStore,
    SqlSessionStore,
    SqlTokenStore,
)
from authgate.storage.sql.users import SqlUserStore


@dataclass(frozen=True)
class Services:
    settings: Settings
    users: UserStore
    clients: CachedClientStore
    tokens: TokenStore
    minter: TokenMinter
    registry: ClientRegistry
    token_endpoint: TokenEndpoint
    revocation: RevocationEndpoint
    introspection: IntrospectionEndpoint
    checker: AccessTokenChecker
    #: client authentication of the token, revocation and introspection endpoints
    authenticator: ClientAuthenticator
    authorize: AuthorizeEndpoint
    sessions: SessionManager
    csrf: CsrfSigner
    verifier: PasswordVerifier
    throttles: ThrottleFactory
    keys: KeyRing
    #: memberships are cached (``token_cache_seconds``); changes through it clear the cache
    spaces: CachedSpaceStore
    #: what users may do in spaces (seed 001), for the checker, the grants and the API
    permissions: Permissions
    #: which space an issuer URL names, the root issuer's URL and the spaces'
    issuers: IssuerResolver
    id_tokens: IdTokenMinter
    userinfo: UserInfo
    token_formats: AccessTokenFormats
    #: the process's Redis client (``redis_url``), shared by everything below; or None
    redis: Any
    #: every in-process cache registers here; ``changed()`` drops them on every worker
    invalidation: Invalidation
    #: request rate limits (the API's and the token endpoint's), memory or Redis
    rate_limiter: RateLimiter
    #: fixed error_description texts by error code (``error_descriptions``), for the
    #: authorization endpoint and the token, revocation and introspection endpoints
    error_descriptions: Mapping[str, str]
    #: the grants the server offers and those every client has (``grant_types``,
    #: ``client_base_grants``)
    grants: GrantPolicy
    #: seals what pages show once more after a redirect (test tokens, new secrets)
    box: SecretBox
    #: what users granted apps, and how apps are used
    user_grants: GrantStore
    #: the signed-in user's own account and connected apps
    accounts: Accounts
    #: the developer portal's apps
    developer: DeveloperPortal
    #: security-relevant events, queued and written in batches (``audit_retention_days``)
    audit: AuditLog
    #: users as operators manage them: disable, delete, passwords (the CLI, the admin API)
    user_admin: UserAdmin
    #: RFC 7591 initial access tokens (the CLI makes them; ``dynamic_registration``)
    initial_tokens: InitialTokens
    #: RFC 7591 / 7592 registration at /oauth/register, over the registry
    dynamic_registration: DynamicRegistration
    #: clients as the admin API and console manage them (their tokens too)
    client_admin: ClientAdmin
    #: a user's sessions and grants, every consent (the admin API and console)
    user_access: UserAccess
    #: spaces and members with the rules of ``authgate space`` (the admin API and console)
    space_admin: SpaceAdmin
    #: renaming a space, its domains, deleting it (the admin console)
    space_edits: SpaceEdits

    async def close(self) -> None:
        """Write the queued audit events, give back what the services hold besides the
        database (threads, Redis pool)."""
        await self.audit.close()
        self.verifier.close()
        if self.redis is not None:
            await self.redis.aclose(close_connection_pool=True)


def build_services(
    settings: Settings, db: Database, *, clock: Callable[[], float] = time.time
) -> Services:
    redis = connect(settings.redis_url) if settings.redis_url else None
    audit = AuditLog(SqlAuditStore(db), clock, retention_days=settings.audit_retention_days)
    invalidation = Invalidation(redis, settings.redis_namespace)
    users = CachedUserStore(
        SqlUserStore(db), ttl=settings.token_cache_seconds, changes=invalidation
    )
    sql_clients = SqlClientStore(db)
    clients = CachedClientStore(
        sql_clients, ttl=settings.client_cache_seconds, changes=invalidation
    )
    tokens = CachedTokenStore(
        SqlTokenStore(db), ttl=settings.token_cache_seconds, changes=invalidation
    )
    for cache in (users, clients, tokens):
        invalidation.register(cache.forget)
    rate_limiter = (
        RateLimiter.for_redis(
            redis,
            settings.redis_namespace,
            on_redis_error=settings.rate_limit_on_redis_error,
            clock=clock,
        )
        if redis is not None
        else RateLimiter()
    )
    codes = SqlCodeStore(db)
    throttle = ThrottleFactory(redis, clock, settings.redis_namespace)
    window = settings.password_failure_window
    verifier = PasswordVerifier(settings.password_hash_workers, settings.password_hash_queue)
    per_account = throttle(settings.password_max_failures, window, "account")
    per_address = throttle(settings.login_max_failures_per_address, window, "address")
    passwords = PasswordCheck(
        users, verifier, PasswordThrottles(per_account, per_address), audit=audit
    )
    grant_passwords = PasswordCheck(
        users,
        verifier,
        PasswordThrottles(
            per_account,
            per_address,
            throttle(settings.password_max_failures_per_client, window, "client"),
        ),
        audit=audit,
        via="password_grant",
    )
    secret_key = settings.resolved_secret_key()
    box = SecretBox(secret_key)
    keys = KeyRing(
        SqlKeyStore(db),
        box,
        clock,
        alg=settings.id_token_signing_alg,
        refresh=settings.signing_key_refresh_seconds,
        grace=settings.signing_key_grace_seconds,
        audit=audit,
    )
    spaces = CachedSpaceStore(
        SqlSpaceStore(db), ttl=settings.token_cache_seconds, changes=invalidation
    )
    members = SpaceMembers(spaces)
    permissions = Permissions(spaces, settings.admin_scopes)
    issuers = IssuerResolver(
        settings.issuer, settings.base_domain, spaces, cache_seconds=settings.client_cache_seconds
    )
    invalidation.register(spaces.forget)
    invalidation.register(issuers.forget)
    formats = AccessTokenFormats(
        OpaqueFormat(),
        JwtFormat(keys, issuers, users, spaces, audience=settings.access_token_audience),
        default=settings.access_token_format,
    )
    policy = GrantPolicy(frozenset(settings.grant_types), frozenset(settings.client_base_grants))
    minter = TokenMinter(
        tokens,
        codes,
        access_lifetime=settings.access_token_lifetime,
        refresh_lifetime=settings.refresh_token_lifetime,
        clock=clock,
        formats=formats,
        root=issuers.root,
        grants=policy,
    )
    id_tokens = IdTokenMinter(keys, clock, lifetime=settings.id_token_lifetime)
    authenticator = ClientAuthenticator(clients)
    checker = AccessTokenChecker(tokens, clients, clock, permissions, formats=formats)
    extensions: list[TokenExtension] = [IdTokenExtension(id_tokens, users, spaces)]
    if settings.token_response_username:
        extensions.append(UsernameExtension(users))
    error_descriptions = {str(code): text for code, text in settings.error_descriptions.items()}
    # Every grant authgate has; the token endpoint keeps those the settings offer.
    grants: list[Grant] = [
        AuthorizationCodeGrant(
            minter,
            codes,
            tokens,
            require_redirect_uri=settings.require_redirect_uri,
            audit=audit,
            users=users,
        ),
        ClientCredentialsGrant(minter, require_scope=settings.require_scope),
        PasswordGrant(minter, grant_passwords, members, require_scope=settings.require_scope),
        RefreshTokenGrant(minter, tokens, members, audit=audit, users=users),
        TokenExchangeGrant(minter, checker, permissions, issuers, users=users),
    ]
    registry = ClientRegistry(
        clients,
        users,
        minter,
        box,
        settings.scopes,
        settings.admin_scopes,
        client_ids=CLIENT_ID_GENERATORS[settings.client_id_format],
        grants=policy,
        default_refresh_policy=settings.default_refresh_policy,
        tokens=tokens,
        audit=audit,
    )
    session_store = SqlSessionStore(db)
    initial_tokens = InitialTokens(SqlInitialTokenStore(db), clock, audit=audit)
    user_grants = AnnouncingGrantStore(SqlGrantStore(db), invalidation, tokens.forget)
    admin_store = SqlAdminStore(db)
    return Services(
        settings=settings,
        users=users,
        clients=clients,
        tokens=tokens,
        minter=minter,
        registry=registry,
        token_endpoint=TokenEndpoint(
            authenticator,
            grants,
            extensions,
            ClientTokenLimit(rate_limiter, parse_limit(settings.token_rate_limit))
            if settings.rate_limits_enabled
            else None,
            token_type=settings.token_type_name,
            policy=policy,
        ),
        revocation=RevocationEndpoint(authenticator, tokens, minter, formats),
        checker=checker,
        authenticator=authenticator,
        introspection=IntrospectionEndpoint(
            authenticator,
            checker,
            tokens,
            clients,
            users,
            clock,
            token_type=settings.token_type_name,
            audience=settings.access_token_audience,
        ),
        authorize=AuthorizeEndpoint(
            clients,
            codes,
            SqlConsentStore(db),
            minter,
            AuthorizePolicy(
                require_redirect_uri=settings.require_redirect_uri,
                redirect_uri_matching=settings.redirect_uri_matching,
                allow_plain_pkce=settings.allow_plain_pkce,
                code_lifetime=settings.authorization_code_lifetime,
                require_scope=settings.require_scope,
                token_type=settings.token_type_name,
            ),
            settings.scope_catalog,
            id_tokens,
            users,
            spaces,
            members,
            descriptions=error_descriptions,
            grants=policy,
            audit=audit,
        ),
        sessions=SessionManager(
            session_store, passwords, lifetime=settings.session_lifetime, clock=clock
        ),
        csrf=CsrfSigner(secret_key),
        verifier=verifier,
        throttles=throttle,
        keys=keys,
        spaces=spaces,
        permissions=permissions,
        issuers=issuers,
        id_tokens=id_tokens,
        userinfo=UserInfo(users, spaces),
        token_formats=formats,
        redis=redis,
        invalidation=invalidation,
        rate_limiter=rate_limiter,
        error_descriptions=error_descriptions,
        grants=policy,
        box=box,
        user_grants=user_grants,
        accounts=Accounts(
            users,
            session_store,
            user_grants,
            clients,
            spaces,
            passwords,
            verifier,
            settings.scope_catalog,
            clock,
            audit=audit,
        ),
        developer=DeveloperPortal(
            registry,
            # read past the cache: the page after a rotation, on any worker, must see the
            # secret it shows
            sql_clients,
            user_grants,
            policy,
            minter,
            FormSecrets(secret_key),
            settings.scopes,
            lifetimes=settings.developer_token_lifetimes,
        ),
        audit=audit,
        user_admin=UserAdmin(users, clients, audit, clock),
        initial_tokens=initial_tokens,
        dynamic_registration=DynamicRegistration(
            registry,
            clients,
            SqlClientRegistrationStore(db),
            initial_tokens,
            mode=settings.dynamic_registration,
            limit=RegistrationLimit(
                rate_limiter, parse_limit(settings.dynamic_registration_rate_limit)
            ),
            audit=audit,
        ),
        client_admin=ClientAdmin(
            registry, clients, admin_store, audit, clock, invalidation.changed
        ),
        user_access=UserAccess(admin_store, session_store, user_grants, clients, audit, clock),
        space_admin=SpaceAdmin(
            spaces,
            audit,
            clock,
            issuer=settings.issuer,
            base_domain=settings.base_domain,
            catalog=settings.scope_catalog,
        ),
        space_edits=SpaceEdits(
            SqlSpaceEdits(db),
            invalidation,
            audit,
            issuer=settings.issuer,
            base_domain=settings.base_domain,
        ),
    )
