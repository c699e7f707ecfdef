"""Helpers for the signed-in pages' HTTP tests: forms by their action, field errors,
values shown on a page."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from tests.web.flow import Browser, hidden_inputs

_FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S)
_ERROR = re.compile(r'<p class="field-error" id="([^"]+)-error">([^<]*)</p>')


def form_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's form that posts to ``action``."""
    for found, body in _FORM.findall(page):
        if html.unescape(found) == action:
            return hidden_inputs(body)
    raise AssertionError(f"no form posting to {action!r} on the page")


def field_errors(page: str) -> dict[str, str]:
    return {name: html.unescape(text) for name, text in _ERROR.findall(page)}


def input_value(page: str, element_id: str) -> str | None:
    match = re.search(rf'<input id="{re.escape(element_id)}"[^>]*value="([^"]*)"', page)
    return None if match is None else html.unescape(match.group(1))


def area_value(page: str, name: str) -> str | None:
    match = re.search(rf'<textarea id="{re.escape(name)}"[^>]*>(.*?)</textarea>', page, re.S)
    return None if match is None else html.unescape(match.group(1))


CB = "https://app.example.com/callback"


def app_fields(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": "Acme Notes",
        "description": "Notes for your team",
        "homepage_url": "https://notes.example.com/",
        "logo_url": "https://cdn.example.com/notes.png",
        "privacy_url": "https://notes.example.com/privacy",
        "redirect_uris": CB,
        "client_type": "confidential",
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        "scopes": ["read", "write"],
        "token_lifetime": "",
    }
    fields.update(changes)
    return fields


class Portal:
    """A signed-in browser on the developer portal."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.browser = Browser(http)

    async def sign_in(self, email: str = "alice@example.com") -> None:
        r = await self.browser.login(email=email)
        assert r.status_code == 303, r.text

    async def register(self, **changes: Any) -> httpx.Response:
        page = await self.http.get("/developer/apps/new")
        assert page.status_code == 200, page.text
        form = form_fields(page.text, "/developer/apps")
        return await self.http.post("/developer/apps", data={**form, **app_fields(**changes)})

    async def registered(self, **changes: Any) -> tuple[str, str, str | None]:
        """(client id, page after the redirect, the secret it shows)."""
        r = await self.register(**changes)
        assert r.status_code == 303, r.text
        location = r.headers["location"]
        page = await self.http.get(location)
        assert page.status_code == 200, page.text
        client_id = location.rsplit("/", 1)[1]
        return client_id, page.text, input_value(page.text, "shown-secret")

    async def app_page(self, client_id: str) -> str:
        page = await self.http.get(f"/developer/apps/{client_id}")
        assert page.status_code == 200, page.text
        return page.text

    async def post(self, client_id: str, tail: str, **data: Any) -> httpx.Response:
        """Send the form posting to ``/developer/apps/{client_id}{tail}`` from the page
        that has it (the edit page, the delete page or the app's page)."""
        app = f"/developer/apps/{client_id}"
        shown_on = {"": app + "/edit", "/delete": app + "/delete"}.get(tail, app)
        page = await self.http.get(shown_on)
        assert page.status_code == 200, page.text
        form = form_fields(page.text, app + tail)
        return await self.http.post(app + tail, data={**form, **data})
