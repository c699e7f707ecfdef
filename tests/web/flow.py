"""A scripted browser for the login and consent pages (cookies kept by httpx)."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def hidden_inputs(page: str) -> dict[str, str]:
    return {html.unescape(k): html.unescape(v) for k, v in _INPUT.findall(page)}


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def fragment_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).fragment).items()}


class Browser:
    def __init__(
        self, http: httpx.AsyncClient, authorize_path: str = "/oauth/authorize", prefix: str = ""
    ) -> None:
        self.http = http
        #: an issuer's path prefix, e.g. "/spaces/acme"
        self.prefix = prefix
        self.authorize_path = prefix + authorize_path

    async def login(
        self,
        email: str = "alice@example.com",
        password: str = "correct horse",
        next_path: str = "/",
    ) -> httpx.Response:
        login = self.prefix + "/login"
        page = await self.http.get(login, params={"next": self.prefix + next_path})
        assert page.status_code == 200, page.text
        form = hidden_inputs(page.text)
        return await self.http.post(login, data={**form, "email": email, "password": password})

    async def authorize(self, method: str = "GET", **params: Any) -> httpx.Response:
        if method == "GET":
            return await self.http.get(self.authorize_path, params=params)
        return await self.http.post(self.authorize_path, data=params)

    async def decide(self, consent_page: httpx.Response, decision: str = "allow") -> httpx.Response:
        assert consent_page.status_code == 200, consent_page.text
        form = hidden_inputs(consent_page.text.split("</form>")[0])  # the decision form
        return await self.http.post(
            self.prefix + "/oauth/authorize/decision", data={**form, "decision": decision}
        )

    async def code_for(self, **params: Any) -> str:
        """Sign in if needed and allow: the code from the redirect."""
        r = await self.authorize(**params)
        if r.status_code == 303 and "/login" in r.headers["location"]:
            await self.login()
            r = await self.authorize(**params)
        if r.status_code == 200:
            r = await self.decide(r)
        assert r.status_code in (302, 303), r.text
        values = query_of(r.headers["location"])
        assert "code" in values, values
        return values["code"]
