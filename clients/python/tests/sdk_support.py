"""What the SDK's tests share: the users and space of the root server, and short ways to
register a client and to sign a user in through the real pages."""

from __future__ import annotations

from typing import Any

from tests.e2e.profile_support import PASSWORD, Browser, ProfileServer, callback_uri

#: a member of the space ``acme`` on the root server; ``OUTSIDER`` is in no space
MEMBER = "member@example.com"
OUTSIDER = "outsider@example.com"
SPACE = "acme"

__all__ = ["MEMBER", "OUTSIDER", "PASSWORD", "SPACE", "register", "sign_in"]


def register(server: ProfileServer, *grants: str, public: bool = False, **options: str) -> Any:
    """``authgate client create`` with these grants (and a fresh loopback redirect URI
    for the browser flows); its JSON, plus ``redirect_uri``."""
    args = ["--grant", *" --grant ".join(grants).split()] if grants else []
    redirect_uri = callback_uri()
    if {"authorization_code", "implicit"} & set(grants):
        args += ["--redirect-uri", redirect_uri]
    if public:
        args.append("--public")
    for name, value in options.items():  # a flag when its value is ""
        args += [f"--{name.replace('_', '-')}", *([value] if value else [])]
    registered: dict[str, Any] = server.client("sdk test app", *args)
    registered["redirect_uri"] = redirect_uri
    return registered


def sign_in(
    server: ProfileServer, url: str, redirect_uri: str, email: str = MEMBER, **kw: Any
) -> str:
    """A person signs in and allows the app; the URL the browser is redirected to."""
    browser = Browser(server.url)
    try:
        return browser.authorize(url, redirect_uri, email=email, **kw)
    finally:
        browser.close()
