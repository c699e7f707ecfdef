"""The composition of stores and protocol objects, shared by the server and the CLI.

Everything is built here, explicitly, from settings and one database: no registries.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from authgate.crypto.secretbox import SecretBox
from authgate.protocol.client_auth import ClientAuthenticator
from authgate.protocol.endpoints.token import TokenEndpoint
from authgate.protocol.grants.base import Grant
from authgate.protocol.grants.client_credentials import ClientCredentialsGrant
from authgate.protocol.grants.password import PasswordGrant
from authgate.protocol.grants.refresh_token import RefreshTokenGrant
from authgate.protocol.issuer import TokenIssuer
from authgate.protocol.registration import ClientRegistry
from authgate.protocol.token_check import AccessTokenChecker
from authgate.ratelimit import LimitsFailureThrottle, make_storage
from authgate.settings import Settings
from authgate.storage.cache import CachedClientStore
from authgate.storage.sql.driver import Database
from authgate.storage.sql.stores import SqlClientStore, SqlTokenStore, SqlUserStore


@dataclass(frozen=True)
class Services:
    settings: Settings
    users: SqlUserStore
    clients: CachedClientStore
    tokens: SqlTokenStore
    issuer: TokenIssuer
    registry: ClientRegistry
    token_endpoint: TokenEndpoint
    checker: AccessTokenChecker


def build_services(
    settings: Settings, db: Database, *, clock: Callable[[], float] = time.time
) -> Services:
    users = SqlUserStore(db)
    clients = CachedClientStore(SqlClientStore(db), ttl=settings.client_cache_seconds)
    tokens = SqlTokenStore(db)
    issuer = TokenIssuer(
        tokens,
        access_lifetime=settings.access_token_lifetime,
        refresh_lifetime=settings.refresh_token_lifetime,
        clock=clock,
    )
    throttle = LimitsFailureThrottle(
        make_storage(settings.redis_url),
        settings.password_max_failures,
        settings.password_failure_window,
        prefix="authgate-password",
    )
    grants: list[Grant] = [
        ClientCredentialsGrant(issuer),
        PasswordGrant(issuer, users, throttle),
        RefreshTokenGrant(issuer, tokens),
    ]
    return Services(
        settings=settings,
        users=users,
        clients=clients,
        tokens=tokens,
        issuer=issuer,
        registry=ClientRegistry(
            clients, users, issuer, SecretBox(settings.resolved_secret_key()), settings.scopes
        ),
        token_endpoint=TokenEndpoint(ClientAuthenticator(clients), grants),
        checker=AccessTokenChecker(tokens, clients, clock),
    )
