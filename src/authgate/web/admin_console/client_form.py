"""The console's client form: every setting of a client as text an administrator edits
(grant types and scopes as space-separated names, so that what the CLI or the API set is
shown as it is), and the changes it asks for, for :meth:`ClientAdmin.update`."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from authgate.domain import Client
from authgate.protocol.registration import parse_lifetime
from authgate.protocol.rules import RegistrationError
from authgate.web.pages.signed_in import PageForm

_TEXTS = ("name", "description", "homepage_url", "logo_url", "privacy_url")


@dataclass(frozen=True)
class ClientForm:
    name: str = ""
    description: str = ""
    homepage_url: str = ""
    logo_url: str = ""
    privacy_url: str = ""
    #: one per line
    redirect_uris: str = ""
    #: space-separated
    grant_types: str = ""
    scopes: str = ""
    #: seconds, "never", or "" for the server's default
    token_lifetime: str = ""

    @classmethod
    def of(cls, client: Client) -> ClientForm:
        lifetime = client.token_lifetime
        return cls(
            name=client.name,
            description=client.description or "",
            homepage_url=client.homepage_url or "",
            logo_url=client.logo_url or "",
            privacy_url=client.privacy_url or "",
            redirect_uris="\n".join(client.redirect_uris),
            grant_types=" ".join(sorted(client.grant_types)),
            scopes=" ".join(sorted(client.scopes)),
            token_lifetime="" if lifetime is None else "never" if lifetime == 0 else str(lifetime),
        )

    @classmethod
    def posted(cls, form: PageForm) -> ClientForm:
        return cls(**{f.name: form.get(f.name) for f in fields(cls)})

    def changes(self, client: Client) -> dict[str, Any]:
        """The fields that differ from the client's, as :meth:`ClientRegistry.update`
        takes them; :class:`RegistrationError` (with its field) for a lifetime that is
        neither seconds nor ``never``."""
        stored = ClientForm.of(client)
        changes: dict[str, Any] = {
            name: getattr(self, name).strip()
            for name in _TEXTS
            if getattr(self, name).strip() != getattr(stored, name)
        }
        uris = [line.strip() for line in self.redirect_uris.splitlines() if line.strip()]
        if uris != list(client.redirect_uris):
            changes["redirect_uris"] = uris
        grants = self.grant_types.split()
        if set(grants) != set(client.grant_types):
            changes["grant_types"] = grants
        scopes = self.scopes.split()
        if set(scopes) != set(client.scopes):
            changes["scopes"] = scopes
        lifetime = self.token_lifetime.strip()
        if lifetime != stored.token_lifetime:
            if not lifetime:
                changes["default_lifetime"] = True
            else:
                try:
                    changes["token_lifetime"] = parse_lifetime(lifetime)
                except RegistrationError as exc:
                    raise RegistrationError(exc.description, field="token_lifetime") from None
        return changes
