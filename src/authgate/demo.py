"""Demo data for ``authgate serve --demo``: a user and a client, created once.

Their secrets are kept in a file beside the database (readable only by its owner), so that
every start can print the same ready-to-use credentials; what was deleted or changed since
(the client, its secret, the file) is made again, so that what is printed always works.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode

from authgate.audit.events import Actor
from authgate.crypto.passwords import hash_password
from authgate.crypto.tokens import matches
from authgate.demo_api.scopes import ApiScopes
from authgate.domain import User
from authgate.files import write_private_file
from authgate.services import Services
from authgate.settings import Settings

CALLBACK_PATH = "/demo/callback"
#: the developer portal's page (web/pages/developer.py), printed for newcomers
PORTAL_PATH = "/developer"
#: the admin console (web/admin_console/), for the demo user, who is an administrator
CONSOLE_PATH = "/admin"
#: the demo client's grants, those of them the server offers (setting ``grant_types``)
DEMO_GRANTS = ("authorization_code", "client_credentials", "password", "refresh_token")

DEMO_EMAIL = "demo@example.com"
#: who the audit log says made the demo user an administrator
DEMO_ACTOR = Actor("system", "authgate --demo", None)


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


def _saved(path: Path) -> dict[str, str]:
    """What an earlier start saved; nothing if the file is missing or damaged."""
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(saved, dict):
        return {}
    return {k: v for k, v in saved.items() if isinstance(k, str) and isinstance(v, str)}


async def _demo_user(services: Services, saved: dict[str, str]) -> tuple[User, str, bool]:
    """The demo user and a password that signs it in: the saved one while it still does,
    else a new one (it is the demo account). True if anything changed."""
    password = saved.get("password", "")
    user = await services.users.by_email(DEMO_EMAIL)
    if (
        user is not None
        and password
        and await services.verifier.verify(user.password_hash, password)
    ):
        return user, password, False
    password = secrets.token_urlsafe(9)
    hashed = await asyncio.to_thread(hash_password, password)
    if user is None:
        user = await services.users.create(DEMO_EMAIL, "Demo User", hashed, services.minter.now())
    else:
        await services.users.set_password(user.id, hashed)
    return user, password, True


async def _demo_admin(services: Services, user: User) -> None:
    """The demo user is a server administrator, so that the admin console (``/admin``)
    can be tried at once; made one again if the role was taken."""
    if not user.is_admin:
        await services.user_admin.update(user, actor=DEMO_ACTOR, is_admin=True)


async def _demo_client(services: Services, saved: dict[str, str]) -> tuple[str, str, str, bool]:
    """The demo client's id, secret and test token: the saved ones while they still work,
    a new secret if it was rotated, a new client if it was deleted. True if anything changed."""
    callback = services.settings.issuer + CALLBACK_PATH
    client = await services.clients.by_client_id(saved.get("client_id", ""))
    test_token = None if client is None else services.registry.test_token(client)
    if client is None or test_token is None:
        registered = await services.registry.register(
            "Demo App",
            redirect_uris=[callback],
            grant_types=[g for g in DEMO_GRANTS if g in services.settings.grant_types],
            owner_email=DEMO_EMAIL,
        )
        assert registered.client_secret and registered.test_access_token
        return (
            registered.client.client_id,
            registered.client_secret,
            registered.test_access_token,
            True,
        )
    if client.redirect_uris != (callback,):  # served on another address this time
        await services.registry.update(client.client_id, redirect_uris=[callback])
    secret = saved.get("client_secret", "")
    if matches(secret, client.secret_digest):
        return client.client_id, secret, test_token, False
    new_secret = await services.registry.rotate_secret(client.client_id)
    return client.client_id, new_secret, test_token, True


async def ensure_demo(services: Services) -> DemoData:
    """Make sure the demo user and client exist and that the saved credentials work, and
    save them (``0600``): the same ones on every start, new ones only for what is gone."""
    path = demo_file(services)
    saved = _saved(path)
    user, password, user_changed = await _demo_user(services, saved)
    await _demo_admin(services, user)
    client_id, client_secret, test_token, client_changed = await _demo_client(services, saved)
    data = DemoData(
        email=user.email,
        password=password,
        client_id=client_id,
        client_secret=client_secret,
        test_access_token=test_token,
        created=user_changed or client_changed,
    )
    if data.created or saved != _fields(data):
        write_private_file(path, json.dumps(_fields(data), indent=2))
    return data


def _fields(data: DemoData) -> dict[str, str]:
    return {k: v for k, v in asdict(data).items() if k != "created"}


def authorize_url(data: DemoData, settings: Settings) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": data.client_id,
            "redirect_uri": settings.issuer + CALLBACK_PATH,
            "scope": f"openid profile {ApiScopes.named(settings.demo_api_scopes).read}",
            "state": "demo-state",
        }
    )
    return f"{settings.issuer}{settings.authorize_endpoint}?{query}"


def describe(data: DemoData, settings: Settings) -> str:
    issuer = settings.issuer
    token_url = issuer + settings.token_endpoint
    verb = "Created" if data.created else "Using"
    offered = set(settings.grant_types)
    lines = [
        f"{verb} demo data (kept in the demo-credentials.json file beside the database):",
        f"  demo user        {data.email}  password: {data.password}  (an administrator)",
        f"  demo client      client_id: {data.client_id}",
        f"                   client_secret: {data.client_secret}",
        f"  test token       {data.test_access_token}",
        "",
        "Register your own app in the developer portal (sign in as the demo user): open",
        f"  {issuer}{PORTAL_PATH}",
        "Manage users, clients, spaces, keys and the audit log in the admin console (the",
        "demo user is an administrator): open",
        f"  {issuer}{CONSOLE_PATH}",
        "",
    ]
    if "authorization_code" in offered:
        lines += [
            "Sign in through the browser (authorization code flow): open",
            f"  {authorize_url(data, settings)}",
            "",
        ]
    if "client_credentials" in offered:
        lines += [
            "Get a token (client credentials):",
            f"  curl -s -u '{data.client_id}:{data.client_secret}' "
            f"-d grant_type=client_credentials {token_url}",
        ]
    if "password" in offered:
        lines += [
            "Get a token for the demo user (password grant):",
            f"  curl -s -u '{data.client_id}:{data.client_secret}' -d grant_type=password "
            f"-d username={data.email} -d 'password={data.password}' {token_url}",
        ]
    lines += [
        "Call the API with the test token:",
        f"  curl -s -H 'Authorization: Bearer {data.test_access_token}' {issuer}/api/me",
    ]
    return "\n".join(lines)
