"""``authgate admin bootstrap``: the first client of the admin REST API.

It is the only command that gives the reserved ``authgate:admin`` scope (see
protocol/admin/scopes.py); once it exists, the API itself registers further admin clients.
A second run refuses while an admin client exists (a secret printed once cannot be shown
again: rotate it with ``authgate client rotate-secret``), unless ``--another`` asks for one
more.
"""

from __future__ import annotations

import shlex
from typing import Annotated, Any

import typer

from authgate.cli.common import (
    ConfigOption,
    JsonOption,
    ProfileOption,
    cli_actor,
    emit,
    fail,
    group,
    run_with,
    settings_from,
)
from authgate.protocol.admin.scopes import ADMIN
from authgate.services import Services

admin_app = group("The admin REST API (/admin/api/v1): its first client.")
API_PATH = "/admin/api/v1"


@admin_app.command("bootstrap")
def admin_bootstrap(
    name: Annotated[str, typer.Option(metavar="TEXT", help="The client's name.")] = (
        "authgate admin"
    ),
    another: Annotated[
        bool, typer.Option("--another", help="Create one more even if an admin client exists.")
    ] = False,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Create an admin client (confidential, client_credentials only, scope
    authgate:admin) and print its id and secret, once."""
    settings = settings_from(config, profile)

    async def work(services: Services) -> dict[str, Any]:
        existing = [c for c in await services.clients.all() if ADMIN in c.scopes]
        if existing and not another:
            ids = ", ".join(c.client_id for c in existing[:5])
            fail(
                f"an admin client exists already ({ids}): its secret was shown when it was "
                "made; get a new one with `authgate client rotate-secret CLIENT_ID`, or add "
                "--another to create one more"
            )
        registered = await services.client_admin.create(
            name,
            actor=cli_actor(),
            privileged=True,
            grant_types=["client_credentials"],
            scopes=[ADMIN],
            refresh_policy="none",
        )
        return {
            "client_id": registered.client.client_id,
            "client_secret": registered.client_secret,
            "scope": ADMIN,
            "token_endpoint": settings.issuer + settings.token_endpoint,
            "api": settings.issuer + API_PATH,
        }

    data = run_with(settings, work)
    token = shlex.quote(data["token_endpoint"])
    user = shlex.quote(f"{data['client_id']}:{data['client_secret']}")
    emit(
        as_json,
        data,
        f"created admin client {data['client_id']}\n\n"
        f"client_id      {data['client_id']}\n"
        f"client_secret  {data['client_secret']}\n"
        "(the secret is shown only now; keep it in a secret store)\n\n"
        "Get a token and call the API:\n\n"
        f"  TOKEN=$(curl -s -u {user} -d grant_type=client_credentials \\\n"
        f"    -d scope={ADMIN} {token} | python3 -c 'import json,sys; "
        'print(json.load(sys.stdin)["access_token"])\')\n'
        f'  curl -H "Authorization: Bearer $TOKEN" {shlex.quote(data["api"] + "/users")}\n',
    )
