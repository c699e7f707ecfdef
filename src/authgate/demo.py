"""Demo data for ``authgate serve --demo``: a user and a client, created once.

Their secrets are kept in a file beside the database (readable only by its owner), so that
every start can print the same ready-to-use credentials.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode

from authgate.crypto.passwords import hash_password
from authgate.services import Services
from authgate.settings import Settings

CALLBACK_PATH = "/demo/callback"

DEMO_EMAIL = "demo@example.com"


@dataclass(frozen=True)
class DemoData:
    email: str
    password: str
    client_id: str
    client_secret: str
    test_access_token: str
    created: bool = False


def demo_file(services: Services) -> Path:
    settings = services.settings
    folder = settings.sqlite_path.parent if settings.is_sqlite else Path("data")
    return folder / "demo-credentials.json"


async def ensure_demo(services: Services) -> DemoData:
    path = demo_file(services)
    if path.exists():
        saved = json.loads(path.read_text())
        client = await services.clients.by_client_id(saved.get("client_id", ""))
        if client is not None:
            callback = services.settings.issuer + CALLBACK_PATH
            if client.redirect_uris != (callback,):  # served on another address this time
                await services.registry.update(client.client_id, redirect_uris=[callback])
            return DemoData(**{**saved, "created": False})
    password = secrets.token_urlsafe(9)
    user = await services.users.by_email(DEMO_EMAIL)
    if user is None:
        user = await services.users.create(
            DEMO_EMAIL, "Demo User", hash_password(password), services.issuer.now()
        )
    else:
        password = "(unchanged: the demo user existed before)"
    issuer = services.settings.issuer
    registered = await services.registry.register(
        "Demo App",
        redirect_uris=[issuer + CALLBACK_PATH],
        grant_types=["authorization_code", "client_credentials", "password", "refresh_token"],
        owner_email=DEMO_EMAIL,
    )
    assert registered.client_secret and registered.test_access_token
    data = DemoData(
        email=user.email,
        password=password,
        client_id=registered.client.client_id,
        client_secret=registered.client_secret,
        test_access_token=registered.test_access_token,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({k: v for k, v in asdict(data).items() if k != "created"}, handle, indent=2)
    return DemoData(**{**asdict(data), "created": True})


def authorize_url(data: DemoData, settings: Settings) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": data.client_id,
            "redirect_uri": settings.issuer + CALLBACK_PATH,
            "scope": "read",
            "state": "demo-state",
        }
    )
    return f"{settings.issuer}{settings.authorize_endpoint}?{query}"


def describe(data: DemoData, settings: Settings) -> str:
    issuer = settings.issuer
    token_url = issuer + settings.token_endpoint
    verb = "Created" if data.created else "Using"
    return "\n".join(
        [
            f"{verb} demo data (kept in the demo-credentials.json file beside the database):",
            f"  demo user        {data.email}  password: {data.password}",
            f"  demo client      client_id: {data.client_id}",
            f"                   client_secret: {data.client_secret}",
            f"  test token       {data.test_access_token}",
            "",
            "Sign in through the browser (authorization code flow): open",
            f"  {authorize_url(data, settings)}",
            "",
            "Get a token (client credentials):",
            f"  curl -s -u '{data.client_id}:{data.client_secret}' "
            f"-d grant_type=client_credentials {token_url}",
            "Get a token for the demo user (password grant):",
            f"  curl -s -u '{data.client_id}:{data.client_secret}' -d grant_type=password "
            f"-d username={data.email} -d 'password={data.password}' {token_url}",
            "Call the API with the test token:",
            f"  curl -s -H 'Authorization: Bearer {data.test_access_token}' {issuer}/api/me",
        ]
    )
