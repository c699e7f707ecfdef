"""The developer portal's rules: the apps a user owns, what the registration form offers
(the flows of the server's profile, the scope catalog), registering and changing apps with
the registry's rules, secrets a double submit cannot double, and usage at a glance."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from authgate.audit.events import Actor
from authgate.crypto.form_secrets import FormSecrets
from authgate.crypto.tokens import matches
from authgate.domain import (
    GRANT_TYPES,
    TOKEN_EXCHANGE,
    Client,
    ClientUsage,
    RefreshPolicy,
    User,
)
from authgate.protocol import rules
from authgate.protocol.grant_policy import GrantPolicy
from authgate.protocol.minting import TokenMinter
from authgate.protocol.registration import (
    ClientRegistry,
    Registered,
    RegistrationError,
    SecretChanged,
    parse_lifetime,
)
from authgate.storage.base import ClientStore, GrantStore, RegistrationTaken

#: usage at a glance covers this many days
USAGE_DAYS = 30


@dataclass(frozen=True, slots=True)
class Flow:
    grant: str
    #: the form's value (the CLI's short name)
    value: str
    label: str
    about: str


FLOWS: dict[str, Flow] = {
    f.grant: f
    for f in (
        Flow(
            "authorization_code",
            "authorization_code",
            "Authorization code with PKCE",
            "Web, mobile and desktop apps that sign people in through the browser.",
        ),
        Flow(
            "client_credentials",
            "client_credentials",
            "Client credentials",
            "The app acting for itself, with no person involved: bots, scheduled jobs.",
        ),
        Flow(
            "password",
            "password",
            "Password (resource owner)",
            "The app asks for the person's e-mail and password itself. Only for your own "
            "trusted apps; prefer the authorization code flow.",
        ),
        Flow(
            "implicit",
            "implicit",
            "Implicit",
            "Tokens handed straight to the browser, for older single-page apps. Prefer the "
            "authorization code flow with PKCE.",
        ),
        Flow(
            TOKEN_EXCHANGE,
            "token-exchange",
            "Token exchange",
            "Trade a person's token for one bound to a space they belong to (RFC 8693).",
        ),
        Flow(
            "refresh_token",
            "refresh_token",
            "Refresh tokens",
            "Keep access without asking again: comes with the authorization code and "
            "password flows.",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class AppForm:
    """What the registration and edit forms hold, as typed."""

    name: str = ""
    description: str = ""
    homepage_url: str = ""
    logo_url: str = ""
    privacy_url: str = ""
    redirect_uris: str = ""
    public: bool = False
    grant_types: tuple[str, ...] = ("authorization_code",)
    scopes: tuple[str, ...] = ()
    #: seconds, "never", or "" for the server's default
    token_lifetime: str = ""

    @property
    def uris(self) -> list[str]:
        return [line.strip() for line in self.redirect_uris.splitlines() if line.strip()]

    @classmethod
    def of(cls, client: Client) -> AppForm:
        shown = {FLOWS[g].value if g in FLOWS else g for g in client.grant_types}
        lifetime = client.token_lifetime
        return cls(
            name=client.name,
            description=client.description or "",
            homepage_url=client.homepage_url or "",
            logo_url=client.logo_url or "",
            privacy_url=client.privacy_url or "",
            redirect_uris="\n".join(client.redirect_uris),
            public=client.is_public,
            grant_types=tuple(sorted(shown)),
            scopes=tuple(sorted(client.scopes)),
            token_lifetime="" if lifetime is None else "never" if lifetime == 0 else str(lifetime),
        )


@dataclass(frozen=True, slots=True)
class Created:
    registered: Registered
    #: ``False`` when the form had already registered this client (a double submit)
    new: bool


class FieldErrors(Exception):
    """Messages by form field; ``""`` is the form as a whole."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class DeveloperPortal:
    def __init__(
        self,
        registry: ClientRegistry,
        clients: ClientStore,
        grants: GrantStore,
        policy: GrantPolicy,
        minter: TokenMinter,
        forms: FormSecrets,
        catalog: Mapping[str, str],
        *,
        lifetimes: bool,
    ) -> None:
        self.registry = registry
        #: the clients as stored (not a cache): the portal shows what is true now
        self._clients = clients
        self._grants = grants
        self._policy = policy
        self._minter = minter
        self.forms = forms
        #: the scope catalog the form offers (the platform's; OpenID Connect's are free)
        self.catalog = dict(catalog)
        #: whether the form offers the access-token lifetime (``developer_token_lifetimes``)
        self.lifetimes = lifetimes

    # ------------------------------------------------------------------ what is offered

    def flows(self) -> list[Flow]:
        """The flows the server offers, in the order of :data:`GRANT_TYPES`."""
        order = [g for g in GRANT_TYPES if g in self._policy.offered]
        return [FLOWS[g] for g in sorted(order, key=list(FLOWS).index)]

    def base_flows(self) -> list[Flow]:
        """Flows every app has without choosing them (``client_base_grants``)."""
        return [f for f in self.flows() if f.grant in self._policy.base]

    def usable(self, client: Client) -> list[Flow]:
        grants = self._policy.grants_of(client)
        return [f for f in self.flows() if f.grant in grants]

    def lifetime_of(self, client: Client) -> int | None:
        return self._minter.access_lifetime(client)

    # ------------------------------------------------------------------ checking

    def check(self, form: AppForm) -> dict[str, str]:
        """Every field's error at once (the registry checks them again, with the same
        rules, and the combination of grants and redirect URIs)."""
        errors: dict[str, str] = {}
        checks: dict[str, Callable[[], object]] = {
            "name": lambda: rules.client_name(form.name),
            "description": lambda: rules.description(form.description),
            "homepage_url": lambda: rules.page_url(form.homepage_url, "homepage_url", "homepage"),
            "logo_url": lambda: rules.logo_url(form.logo_url),
            "privacy_url": lambda: rules.page_url(
                form.privacy_url, "privacy_url", "privacy policy URL"
            ),
            "redirect_uris": lambda: rules.redirect_uris(form.uris),
            "scopes": lambda: rules.scope_choice(form.scopes, self.catalog),
            "token_lifetime": lambda: self._lifetime(form),
        }
        for field, check in checks.items():
            try:
                check()
            except RegistrationError as exc:
                errors[exc.field or field] = exc.description
        if len(form.uris) > 20:
            errors["redirect_uris"] = "register at most 20 redirect URIs"
        known = {f.value for f in self.flows()}
        chosen = set(form.grant_types)
        if chosen - known:
            errors["grant_types"] = "choose among the flows this server offers"
        elif "grant_types" not in errors:
            try:
                rules.grant_choice(form.grant_types, public=form.public)
            except RegistrationError as exc:
                errors[exc.field or "grant_types"] = exc.description
        return errors

    def _grant_values(self, form: AppForm) -> list[str]:
        """The form's flows less the refresh-token box (the refresh policy says it)."""
        return [g for g in form.grant_types if g != "refresh_token"]

    def _refresh_policy(self, form: AppForm) -> RefreshPolicy | None:
        """The refresh-token box, when the server offers refresh tokens at all; else the
        server's default policy (``None``)."""
        if "refresh_token" not in self._policy.offered:
            return None
        return "rotate" if "refresh_token" in form.grant_types else "none"

    def _lifetime(self, form: AppForm) -> int | None:
        if not self.lifetimes or not form.token_lifetime.strip():
            return None
        text = form.token_lifetime.strip()
        if len(text) > 12:
            raise RegistrationError(
                "token lifetime must be between 1 second and 10 years", field="token_lifetime"
            )
        return parse_lifetime(text)

    def _refused(self, exc: RegistrationError) -> FieldErrors:
        return FieldErrors({exc.field or "": exc.description})

    # ------------------------------------------------------------------ the apps

    async def mine(self, owner: User) -> list[tuple[Client, int | None]]:
        """The user's apps, newest first, with when each last got a token."""
        apps = await self._clients.owned_by(owner.id)
        last = await self._grants.last_used([c.pk for c in apps])
        return [(c, last.get(c.pk)) for c in reversed(apps)]

    async def owned(self, owner: User, client_id: str) -> Client | None:
        """The app, if ``owner`` owns it (anyone else's is as good as missing)."""
        if len(client_id) > 100:
            return None
        client = await self._clients.by_client_id(client_id)
        return client if client is not None and client.owner_id == owner.id else None

    async def usage(self, client: Client) -> ClientUsage:
        now = self._minter.now()
        start = now - now % 86400 - (USAGE_DAYS - 1) * 86400  # whole days, today last
        return await self._grants.usage(client.pk, start, USAGE_DAYS)

    def _registration_digest(self, form_id: str) -> bytes:
        return hashlib.sha256(b"authgate-registration:" + form_id.encode()).digest()

    async def register(
        self, owner: User, form: AppForm, form_id: str, *, actor: Actor | None = None
    ) -> Created:
        """Register the form's app for ``owner``, or, when this form (``form_id``) has
        registered one already, that one again: a double submit registers one app."""
        errors = self.check(form)
        if errors:
            raise FieldErrors(errors)
        registration = self._registration_digest(form_id)
        secret = None if form.public else self.forms.secret("register", form_id, str(owner.id))
        try:
            registered = await self.registry.register(
                form.name,
                redirect_uris=form.uris,
                grant_types=self._grant_values(form),
                scopes=form.scopes,
                public=form.public,
                token_lifetime=self._lifetime(form),
                refresh_policy=self._refresh_policy(form),
                owner_email=owner.email,
                description=form.description,
                homepage_url=form.homepage_url,
                logo_url=form.logo_url,
                privacy_url=form.privacy_url,
                client_secret=secret,
                registration_digest=registration,
                actor=actor or Actor("user", owner.email),
            )
        except RegistrationTaken:
            client = await self._clients.by_registration(registration)
            if client is None or client.owner_id != owner.id:
                raise FieldErrors({"": "This form was already used. Please start again."}) from None
            shown = secret if secret and matches(secret, client.secret_digest) else None
            token = self.registry.test_token(client)
            return Created(Registered(client, shown, token), new=False)
        except RegistrationError as exc:
            raise self._refused(exc) from None
        return Created(registered, new=True)

    async def update(self, client: Client, form: AppForm, *, actor: Actor | None = None) -> Client:
        """Change everything the form holds; the app's type (public or confidential)
        stays what it was registered as."""
        form = dataclasses.replace(form, public=client.is_public)
        errors = self.check(form)
        if errors:
            raise FieldErrors(errors)
        lifetime = self._lifetime(form)
        try:
            return await self.registry.update(
                client.client_id,
                name=form.name,
                description=form.description,
                homepage_url=form.homepage_url,
                logo_url=form.logo_url,
                privacy_url=form.privacy_url,
                redirect_uris=form.uris,
                grant_types=self._grant_values(form),
                scopes=form.scopes,
                refresh_policy=self._refresh_policy(form),
                token_lifetime=lifetime,
                default_lifetime=self.lifetimes and lifetime is None,
                actor=actor,
            )
        except RegistrationError as exc:
            raise self._refused(exc) from None

    def rotation_mark(self, client: Client) -> str:
        """What the rotate form carries to name the secret it replaces."""
        return self.forms.fingerprint(client.secret_digest)

    async def rotate(
        self, client: Client, form_id: str, seen: str, *, actor: Actor | None = None
    ) -> str | None:
        """A new secret, derived from the form: the request that rotates and a second
        one from the same form (a double submit) both answer the same new secret, and
        only one rotation happens. ``None`` when the secret was rotated by another form
        since this one was shown (nothing is changed then)."""
        secret = self.forms.secret("rotate", form_id, client.client_id, seen)
        if seen == self.rotation_mark(client):
            try:
                return await self.registry.rotate_secret(
                    client.client_id, secret=secret, expected=client.secret_digest, actor=actor
                )
            except SecretChanged:
                fresh = await self._clients.by_client_id(client.client_id)
                client = fresh or client
        return secret if matches(secret, client.secret_digest) else None

    def test_token_mark(self, client: Client) -> str:
        return self.forms.fingerprint(client.test_token_sealed)

    async def regenerate_test_token(self, client: Client, seen: str) -> Client:
        """A new test token, the old one revoked; a second request from the same page
        finds it regenerated already and leaves the newest one."""
        if seen != self.test_token_mark(client):
            return client
        return await self.registry.regenerate_test_token(client)
