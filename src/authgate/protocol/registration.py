"""Registering and managing clients, for the CLI and the developer portal alike; what
may be registered is checked in :mod:`authgate.protocol.rules`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from authgate.audit.events import (
    CLIENT_CREATED,
    CLIENT_DELETED,
    CLIENT_SECRET_ROTATED,
    CLIENT_UPDATED,
    Actor,
)
from authgate.audit.log import AuditLog
from authgate.crypto.secretbox import SecretBox
from authgate.crypto.tokens import digest, new_client_id, new_secret, parse_token
from authgate.domain import (
    GRANT_ALIASES,
    GRANT_TYPES,
    NEVER,
    TOKEN_FORMATS,
    Client,
    NewClient,
    RefreshPolicy,
    TokenFormat,
    TokenId,
)
from authgate.protocol import rules
from authgate.protocol.admin.scopes import ADMIN_SCOPES, is_reserved
from authgate.protocol.grant_policy import REFRESHING, GrantPolicy, grant_names
from authgate.protocol.minting import TokenMinter
from authgate.protocol.rules import RegistrationError
from authgate.protocol.scopes import format_scope
from authgate.storage.base import ClientIdTaken, ClientStore, TokenStore, UserStore

_REDIRECTING = frozenset({"authorization_code", "implicit"})
#: ``update(access_token_format=DEFAULT_FORMAT)``: follow the server's setting again
DEFAULT_FORMAT = "default"
_FORMATS: dict[str, TokenFormat] = {name: name for name in TOKEN_FORMATS}


#: how many new ids ``register`` tries before giving up: a collision is rare (one in
#: millions for integer ids, never seen for random ones), so do several in a row
ID_ATTEMPTS = 8

#: the longest access-token lifetime a client may have: ten years (``clients.token_lifetime``
#: is a 32-bit integer on PostgreSQL)
MAX_LIFETIME = 10 * 365 * 24 * 3600


__all__ = [
    "DEFAULT_FORMAT",
    "MAX_LIFETIME",
    "ClientRegistry",
    "Registered",
    "RegistrationError",
    "SecretChanged",
]


class SecretChanged(RegistrationError):
    """A rotation started from a secret that is no longer the client's."""


def _lifetime(value: int | None) -> int | None:
    """What ``token_lifetime`` may hold: ``None`` (the default), :data:`NEVER`, or seconds."""
    if value is not None and value != NEVER and not 0 < value <= MAX_LIFETIME:
        raise RegistrationError(
            "token lifetime must be between 1 second and 10 years", field="token_lifetime"
        )
    return value


@dataclass(frozen=True, slots=True)
class Registered:
    client: Client
    #: shown once; ``None`` for public clients
    client_secret: str | None
    test_access_token: str | None


def parse_lifetime(value: str | int | None) -> int | None:
    """``never`` → 0 (no expiry), a positive number of seconds, or ``None`` (default)."""
    if value is None:
        return None
    if isinstance(value, str):
        if value.strip().lower() == "never":
            return 0
        if not (value.strip().isascii() and value.strip().isdigit()) or len(value.strip()) > 12:
            raise RegistrationError(
                f"token lifetime {value[:20]!r} must be seconds or 'never'", field="token_lifetime"
            )
        value = int(value)
    if not 0 < value <= MAX_LIFETIME:
        raise RegistrationError(
            "token lifetime must be between 1 second and 10 years", field="token_lifetime"
        )
    return value


class ClientRegistry:
    def __init__(
        self,
        clients: ClientStore,
        users: UserStore,
        minter: TokenMinter,
        box: SecretBox,
        scope_catalog: Mapping[str, str],
        admin_scopes: Iterable[str] = (),
        client_ids: Callable[[], str] = new_client_id,
        *,
        grants: GrantPolicy | None = None,
        default_refresh_policy: RefreshPolicy = "rotate",
        tokens: TokenStore | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        self._audit = audit
        self._clients = clients
        #: revokes replaced test tokens
        self._tokens = tokens
        #: makes the ids of new clients (``client_id_format``, chosen at the composition root)
        self._new_id = client_ids
        self._users = users
        self._minter = minter
        self._box = box
        self._catalog = scope_catalog
        #: what a client gets without ``scopes``: the catalog less the admin scopes, which
        #: a client must be registered with explicitly
        self._default_scopes = frozenset(scope_catalog) - frozenset(admin_scopes)
        self._policy = grants or GrantPolicy()
        #: the refresh policy of a client registered without one (``default_refresh_policy``)
        self.default_refresh_policy: RefreshPolicy = default_refresh_policy

    @property
    def default_scopes(self) -> frozenset[str]:
        """What a client registered without ``scopes`` gets."""
        return self._default_scopes

    def _record(self, event: str, actor: Actor | None, client_id: str, **details: Any) -> None:
        """Every change to a client is an audit event; ``actor`` None is authgate itself."""
        if self._audit is not None:
            self._audit.record(
                event, actor or Actor.system(), target_type="client", target=client_id, **details
            )

    def _grants(
        self,
        grant_types: Iterable[str],
        refresh_policy: RefreshPolicy,
        *,
        chosen: bool = True,
        public: bool = False,
    ) -> frozenset[str]:
        """The grants to store. ``chosen`` ones (given to register or update) must be
        offered by the server and make a valid combination (:func:`rules.grant_choice`);
        a client's stored ones (``chosen=False``) may include grants the server stopped
        offering, which it simply cannot use."""
        grants = {GRANT_ALIASES.get(g, g) for g in grant_types}
        unknown = grants - set(GRANT_TYPES)
        if unknown:
            raise RegistrationError(
                f"unknown grant type {sorted(unknown)[0][:80]!r}; choose from "
                f"{grant_names(GRANT_TYPES)}",
                field="grant_types",
            )
        offered = self._policy.offered
        if chosen and grants - offered:
            refused = grant_names(grants - offered).split(", ")[0]
            raise RegistrationError(
                f"this server does not offer the {refused} grant; it offers "
                f"{grant_names(offered)} (setting grant_types)",
                field="grant_types",
            )
        if chosen:
            rules.grant_choice(grants, public=public)
        if grants & REFRESHING and refresh_policy != "none" and "refresh_token" in offered:
            grants.add("refresh_token")
        if not grants:
            raise RegistrationError("a client needs at least one grant type", field="grant_types")
        return frozenset(grants)

    def _scopes(
        self,
        scopes: Iterable[str],
        *,
        privileged: bool = False,
        grants: frozenset[str] = frozenset(),
        public: bool = False,
    ) -> frozenset[str]:
        """Scopes of the catalog; the reserved ``authgate:*`` ones only when
        ``privileged`` (protocol/admin/scopes.py), and only for a confidential client with
        the client_credentials grant alone: no token acting for a user ever holds them."""
        catalog = {**self._catalog, **ADMIN_SCOPES} if privileged else self._catalog
        chosen = rules.scope_choice(scopes, catalog)
        if any(is_reserved(s) for s in chosen) and (public or grants != {"client_credentials"}):
            raise RegistrationError(
                "authgate:* scopes are for confidential clients with the client_credentials "
                "grant only",
                field="scopes",
            )
        return chosen

    def _format(self, value: str | None, lifetime: int | None) -> TokenFormat | None:
        """A client's access-token format (``None``: the server's setting), checked against
        its lifetime (``None``: the server's ``access_token_lifetime``)."""
        chosen = None if value is None else _FORMATS.get(value)
        if value is not None and chosen is None:
            raise RegistrationError(
                f"access-token format {value[:20]!r} must be one of {', '.join(TOKEN_FORMATS)}",
                field="access_token_format",
            )
        server_never = lifetime is None and self._minter.default_access_lifetime is None
        if chosen == "jwt" and (lifetime == NEVER or server_never):
            # RFC 9068 §2.2: exp is REQUIRED; and a JWT that never expires could never be
            # revoked where it is only verified against the JWKS.
            why = " (the server's access_token_lifetime is 0: never)" if server_never else ""
            raise RegistrationError(
                f"JWT access tokens must expire{why}: give the client a --token-lifetime in "
                "seconds, or keep opaque tokens",
                field="token_lifetime",
            )
        return chosen

    @staticmethod
    def _redirects(
        uris: Iterable[str], grants: frozenset[str], *, stored: bool = False
    ) -> tuple[str, ...]:
        """New URIs are checked (:func:`rules.redirect_uris`); a client's ``stored`` ones
        were accepted when they were registered and are kept as they are."""
        checked = tuple(uris) if stored else rules.redirect_uris(uris)
        if grants & _REDIRECTING and not checked:
            raise RegistrationError(
                "authorization_code and implicit clients need at least one redirect URI "
                "(--redirect-uri)",
                field="redirect_uris",
            )
        return checked

    async def register(
        self,
        name: str,
        *,
        redirect_uris: Iterable[str] = (),
        grant_types: Iterable[str] = ("authorization_code",),
        scopes: Iterable[str] | None = None,
        public: bool = False,
        token_lifetime: int | None = None,
        refresh_policy: RefreshPolicy | None = None,
        owner_email: str | None = None,
        resource_server: bool = False,
        access_token_format: str | None = None,
        description: str | None = None,
        homepage_url: str | None = None,
        logo_url: str | None = None,
        privacy_url: str | None = None,
        client_secret: str | None = None,
        registration_digest: bytes | None = None,
        actor: Actor | None = None,
        privileged: bool = False,
    ) -> Registered:
        """Register a client; without ``refresh_policy``, the server's default one.

        ``client_secret`` (the portal's, derived from its form) replaces a random one;
        ``registration_digest`` names the form, and a second client from the same form is
        refused with :class:`RegistrationTaken`. Only a ``privileged`` caller (``authgate
        admin bootstrap``, the admin API for an ``authgate:admin`` token) may give the
        reserved ``authgate:*`` scopes."""
        name = rules.client_name(name)
        about = rules.description(description)
        homepage = rules.page_url(homepage_url, "homepage_url", "homepage")
        logo = rules.logo_url(logo_url)
        privacy = rules.page_url(privacy_url, "privacy_url", "privacy policy URL")
        token_lifetime = _lifetime(token_lifetime)
        refresh_policy = refresh_policy or self.default_refresh_policy
        grants = self._grants(grant_types, refresh_policy, public=public)
        if public and resource_server:
            raise RegistrationError("a resource server must be a confidential client")
        token_format = self._format(access_token_format, token_lifetime)
        owner = None
        if owner_email is not None:
            owner = await self._users.by_email(owner_email)
            if owner is None:
                raise RegistrationError(
                    f"no user with e-mail {owner_email!r}; create it first", field="owner"
                )
        secret = None if public else client_secret or new_secret()
        client = await self._create(
            functools.partial(
                NewClient,
                name=name,
                secret_digest=None if secret is None else digest(secret),
                is_public=public,
                redirect_uris=self._redirects(redirect_uris, grants),
                grant_types=grants,
                scopes=self._scopes(
                    self._default_scopes if scopes is None else scopes,
                    privileged=privileged,
                    grants=grants,
                    public=public,
                ),
                token_lifetime=token_lifetime,
                refresh_policy=refresh_policy,
                owner_id=None if owner is None else owner.id,
                resource_server=resource_server,
                access_token_format=token_format,
                created_at=self._minter.now(),
                registration_digest=registration_digest,
                description=about,
                homepage_url=homepage,
                logo_url=logo,
                privacy_url=privacy,
            )
        )
        test_token = None
        if owner is not None:
            client, test_token = await self._new_test_token(client)
        self._record(
            CLIENT_CREATED,
            actor,
            client.client_id,
            **_described(client),
            owner=None if owner is None else owner.email,
        )
        return Registered(client, secret, test_token)

    async def _create(self, new: Callable[..., NewClient]) -> Client:
        """Store the client ``new(client_id=…)`` under a fresh id, drawing another while the
        id is taken (integer ids are drawn from a space small enough to collide)."""
        for _ in range(ID_ATTEMPTS):
            try:
                return await self._clients.create(new(client_id=self._new_id()))
            except ClientIdTaken:
                continue
        raise RegistrationError(f"found no free client id in {ID_ATTEMPTS} tries")

    async def _new_test_token(self, client: Client) -> tuple[Client, str]:
        """Seed 000: a token for the owner with all the client's scopes, shown again later.

        It never expires (like seed 000's tokens); it is kept sealed with the secret key so
        that it can be shown again, and looked up like any token by its digest.
        """
        token = await self._issue_test_token(client)
        updated = await self._clients.update(
            client.client_id, test_token_sealed=self._box.seal(token)
        )
        assert updated is not None
        return updated, token

    async def _issue_test_token(self, client: Client) -> str:
        assert client.owner_id is not None
        issued = await self._minter.issue(
            client,
            client.owner_id,
            format_scope(client.scopes),
            "test",
            with_refresh=False,
            never_expires=True,
        )
        return issued.access_token

    def test_token(self, client: Client) -> str | None:
        if client.test_token_sealed is None:
            return None
        return self._box.open(client.test_token_sealed)

    async def get(self, client_id: str) -> Client:
        client = await self._clients.by_client_id(client_id)
        if client is None:
            raise RegistrationError(f"no client with id {client_id!r}")
        return client

    async def update(
        self,
        client_id: str,
        *,
        name: str | None = None,
        redirect_uris: Iterable[str] | None = None,
        grant_types: Iterable[str] | None = None,
        scopes: Iterable[str] | None = None,
        token_lifetime: int | None = None,
        refresh_policy: RefreshPolicy | None = None,
        access_token_format: str | None = None,
        description: str | None = None,
        homepage_url: str | None = None,
        logo_url: str | None = None,
        privacy_url: str | None = None,
        default_lifetime: bool = False,
        actor: Actor | None = None,
        privileged: bool = False,
        revision: int | None = None,
    ) -> Client:
        """Change a client (``""`` clears a description or URL; ``default_lifetime``
        makes it follow the server's ``access_token_lifetime`` again). Tokens issued
        before keep the scopes they were issued with, and their format.
        ``access_token_format`` is ``opaque``, ``jwt`` or :data:`DEFAULT_FORMAT` (follow
        the server's setting). ``privileged``: as for :meth:`register`. With
        ``revision``, only while the client is at it (:class:`RevisionMismatch`)."""
        given = (
            name,
            redirect_uris,
            grant_types,
            scopes,
            token_lifetime,
            refresh_policy,
            access_token_format,
            description,
            homepage_url,
            logo_url,
            privacy_url,
        )
        if all(value is None for value in given) and not default_lifetime:
            raise RegistrationError(
                "nothing to change: give a new name, redirect URIs, grants, scopes, token "
                "lifetime, refresh policy, access-token format, description, homepage, logo "
                "or privacy-policy URL"
            )
        client = await self.get(client_id)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = rules.client_name(name)
        if description is not None:
            changes["description"] = rules.description(description)
        if homepage_url is not None:
            changes["homepage_url"] = rules.page_url(homepage_url, "homepage_url", "homepage")
        if logo_url is not None:
            changes["logo_url"] = rules.logo_url(logo_url)
        if privacy_url is not None:
            changes["privacy_url"] = rules.page_url(
                privacy_url, "privacy_url", "privacy policy URL"
            )
        policy = refresh_policy or client.refresh_policy
        grants = client.grant_types
        if grant_types is not None:
            grants = self._grants(grant_types, policy, public=client.is_public)
            changes["grant_types"] = grants
        if refresh_policy is not None:
            changes["refresh_policy"] = refresh_policy
            # "none" takes the refresh grant away; "rotate" gives it to refreshing grants.
            base = grants - {"refresh_token"} if refresh_policy == "none" else grants
            grants = changes["grant_types"] = self._grants(base, refresh_policy, chosen=False)
        uris = client.redirect_uris if redirect_uris is None else redirect_uris
        checked = self._redirects(uris, grants, stored=redirect_uris is None)
        if redirect_uris is not None:
            changes["redirect_uris"] = checked
        if scopes is not None:
            changes["scopes"] = self._scopes(
                scopes, privileged=privileged, grants=grants, public=client.is_public
            )
        elif grants != client.grant_types and any(map(is_reserved, client.scopes)):
            self._scopes(client.scopes, privileged=True, grants=grants, public=client.is_public)
        if token_lifetime is not None:
            changes["token_lifetime"] = _lifetime(token_lifetime)
        elif default_lifetime and client.token_lifetime is not None:
            changes["token_lifetime"] = None
        token_format: str | None = client.access_token_format
        if access_token_format is not None:
            token_format = None if access_token_format == DEFAULT_FORMAT else access_token_format
        if access_token_format is not None or "token_lifetime" in changes:
            # Checked when either changes: a jwt client the server's lifetime setting has
            # since made never-expiring (its tokens are opaque then) can still be renamed.
            lifetime = changes.get("token_lifetime", client.token_lifetime)
            checked_format = self._format(token_format, lifetime)
            if access_token_format is not None:
                changes["access_token_format"] = checked_format
        updated = await self._clients.update(client_id, revision=revision, **changes)
        if updated is None:
            raise RegistrationError(f"no client with id {client_id!r}")
        before, after = _described(client), _described(updated)
        changed = {k: v for k, v in after.items() if before[k] != v}
        if changed:
            self._record(CLIENT_UPDATED, actor, client_id, **changed)
        return updated

    async def rotate_secret(
        self,
        client_id: str,
        *,
        secret: str | None = None,
        expected: bytes | None = None,
        actor: Actor | None = None,
    ) -> str:
        """A new secret (``secret``, else a random one); the old one stops working at once
        here and within ``client_cache_seconds`` on other workers. Only from the secret
        ``expected`` (default: the current one): of two rotations that start from the same
        secret one wins, and the other is refused, so there are never two live secrets."""
        client = await self.get(client_id)
        if client.is_public:
            raise RegistrationError("a public client has no secret to rotate")
        secret = secret or new_secret()
        old = client.secret_digest if expected is None else expected
        if not await self._clients.replace_secret(client_id, old, digest(secret)):
            raise SecretChanged("the secret was rotated meanwhile; rotate it again")
        self._record(CLIENT_SECRET_ROTATED, actor, client_id)
        return secret

    async def regenerate_test_token(self, client: Client) -> Client:
        """A new test token for the owner, the old one revoked at once; only while the
        stored one is still ``client``'s (as read by the caller): a form sent twice
        regenerates once."""
        if client.owner_id is None:
            raise RegistrationError("only an app with an owner has a test token")
        seen = client.test_token_sealed
        old = self.test_token(client)
        issued = await self._issue_test_token(client)
        sealed = self._box.seal(issued)
        if await self._clients.replace_test_token(client.client_id, seen, sealed):
            await self._revoke_test_token(old)
        else:
            await self._revoke_test_token(issued)  # another regeneration won
        return await self.get(client.client_id)

    async def _revoke_test_token(self, token: str | None) -> None:
        parsed = None if token is None else parse_token(token)
        if parsed is not None and self._tokens is not None:
            await self._tokens.revoke_access(TokenId(parsed[0]), self._minter.now())

    async def delete(
        self, client_id: str, *, actor: Actor | None = None, revision: int | None = None
    ) -> None:
        """Delete the client and its tokens (with ``revision``: only at that revision)."""
        client = await self._clients.by_client_id(client_id)
        if not await self._clients.delete(client_id, revision):
            raise RegistrationError(f"no client with id {client_id!r}")
        self._record(CLIENT_DELETED, actor, client_id, name=None if client is None else client.name)


def _described(client: Client) -> dict[str, Any]:
    """What the audit log says of a client: its settings, never its secret or test token."""
    return {
        "name": client.name,
        "public": client.is_public,
        "redirect_uris": list(client.redirect_uris),
        "grant_types": sorted(client.grant_types),
        "scope": format_scope(client.scopes),
        "token_lifetime": client.token_lifetime,
        "refresh_policy": client.refresh_policy,
        "resource_server": client.resource_server,
        "access_token_format": client.access_token_format,
        "description": client.description,
        "homepage_url": client.homepage_url,
        "logo_url": client.logo_url,
        "privacy_url": client.privacy_url,
    }
