"""What the profile suites share: a real ``authgate serve --profile NAME`` process with its
CLI, and a browser played by httpx that signs in and answers the consent page.

Each suite (``test_profile_<name>.py``) replays the requests its seed page shows against
that process, with the page's parameter names, methods, encodings and headers.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from tests.e2e.test_server_process import AUTHGATE, Server, clean_env, free_port

PASSWORD = "correct horse battery staple"


@dataclass
class ProfileServer:
    """``authgate serve --profile NAME`` on SQLite, and the CLI on the same settings."""

    profile: str
    cwd: Path
    env: dict[str, str]
    port: int = 0
    server: Server = field(init=False)

    def __post_init__(self) -> None:
        self.server = Server(self.cwd, self.env, "--profile", self.profile, port=self.port)

    @property
    def url(self) -> str:
        return self.server.url

    def cli(self, *args: str) -> dict[str, Any]:
        """``authgate ARGS --profile NAME --json``: its JSON, or the test fails."""
        done = self.run(*args, "--json")
        assert done.returncode == 0, done.stderr
        data: dict[str, Any] = json.loads(done.stdout)
        return data

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [AUTHGATE, *args, "--profile", self.profile],
            cwd=self.cwd,
            env={**self.env, "AUTHGATE_ISSUER": self.url},
            capture_output=True,
            text=True,
            timeout=60,
        )

    def user(self, email: str, name: str = "") -> dict[str, Any]:
        return self.cli("user", "create", "--email", email, "--password", PASSWORD, "--name", name)

    def client(self, name: str, *args: str) -> dict[str, Any]:
        return self.cli("client", "create", "--name", name, *args)

    def stop(self) -> None:
        self.server.kill(signal.SIGTERM)


def serve_profile(
    profile: str, tmp_path_factory: pytest.TempPathFactory, **settings: str
) -> Iterator[ProfileServer]:
    """A module fixture's body: the server of ``profile`` for the whole module. In a
    setting's value, ``{port}`` is the port the server will listen on."""
    cwd = tmp_path_factory.mktemp(f"profile-{profile}")
    port = free_port()
    env = clean_env(
        AUTHGATE_DATABASE_URL=f"sqlite:///{cwd}/data/authgate.db",
        **{f"AUTHGATE_{k.upper()}": v.format(port=port) for k, v in settings.items()},
    )
    found = ProfileServer(profile, cwd, env, port)
    try:
        yield found
    finally:
        found.stop()


def callback_uri() -> str:
    """A loopback redirect URI nothing listens on: the flow stops at the redirect."""
    return f"http://127.0.0.1:{free_port()}/callback"


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": {}, "buttons": set()})
        elif self.forms and tag == "input" and "name" in a:
            self.forms[-1]["fields"][a["name"]] = a.get("value", "")
        elif self.forms and tag == "button" and a.get("name"):
            self.forms[-1]["buttons"].add((a["name"], a.get("value", "")))


def page_form(html: str) -> dict[str, Any]:
    """The sign-in form, or the consent page's decision form (not "use another account")."""
    parser = _Forms()
    parser.feed(html)
    forms = [f for f in parser.forms if not f["action"].endswith("/logout")]
    assert len(forms) == 1, html
    return forms[0]


class LoopbackTransport(httpx.HTTPTransport):
    """Every host is this machine: a space's subdomain or custom domain reaches the test
    server, with its own name in ``Host`` (and its own cookies in the client's jar)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        # A copy: the response keeps the request as sent, with its real URL.
        local = httpx.Request(
            request.method,
            request.url.copy_with(host="127.0.0.1"),
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )
        return super().handle_request(local)


def loopback_client() -> httpx.Client:
    return httpx.Client(transport=LoopbackTransport(), follow_redirects=False, timeout=30)


class Browser:
    """A person at a browser: follows redirects on the server, signs in, decides."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = loopback_client()
        self.sign_ins = 0

    def close(self) -> None:
        self.http.close()

    def authorize(
        self,
        url: str,
        redirect_uri: str,
        *,
        email: str,
        password: str = PASSWORD,
        decision: str = "allow",
        method: str = "GET",
        data: dict[str, str] | None = None,
    ) -> str:
        """Open the authorization URL (or POST ``data`` to it), sign in and answer the
        consent page as needed; the Location of the redirect to ``redirect_uri``."""
        r = self.http.request(method, url, data=data)
        for _ in range(8):
            if r.is_redirect:
                location = urljoin(str(r.url), r.headers["location"])
                if location.startswith(redirect_uri):
                    return location
                assert urlsplit(location).port == urlsplit(self.base).port, location
                r = self.http.get(location)
                continue
            assert r.status_code == 200, f"{r.status_code} {r.text[:500]}"
            form = page_form(r.text)
            fields = dict(form["fields"])
            assert fields.get("csrf_token")
            if "password" in fields:
                fields.update(email=email, password=password)
                self.sign_ins += 1
            else:
                assert ("decision", decision) in form["buttons"], form
                fields["decision"] = decision
            r = self.http.post(urljoin(str(r.url), form["action"]), data=fields)
        raise AssertionError(f"no redirect to the client; last: {r.status_code} {r.text[:500]}")


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def fragment_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}


def redirect_params(location: str) -> dict[str, str]:
    """The parameters of a redirect to the client, from its query or its fragment (an
    error answering response_type=token comes in the fragment, RFC 6749 §4.2.2.1)."""
    return {**query_of(location), **fragment_of(location)}
