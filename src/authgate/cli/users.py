"""``authgate user``: users (resource owners)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer

from authgate.cli.common import (
    ConfigOption,
    JsonOption,
    ProfileOption,
    emit,
    fail,
    group,
    run_with,
    settings_from,
)
from authgate.crypto.passwords import hash_password
from authgate.protocol import rules
from authgate.services import Services
from authgate.storage.base import EmailTaken

user_app = group("Users (resource owners).")


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(metavar="EMAIL", help="E-mail address (the login name).")],
    password: Annotated[
        str,
        typer.Option(
            metavar="PASSWORD",
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="Password (asked for, hidden, when omitted).",
        ),
    ],
    name: Annotated[str, typer.Option(metavar="TEXT", help="Display name.")] = "",
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Create a user who can sign in."""
    try:
        # The store keeps the address lowercased, which can lengthen it ("İ" is two
        # characters in lowercase): the column holds 320.
        email = rules.email(email)
        rules.password(password)
        name = rules.person_name(name)
    except rules.RegistrationError as exc:
        fail(exc.description)
    settings = settings_from(config, profile)

    async def work(services: Services) -> dict[str, Any]:
        try:
            user = await services.users.create(
                email,
                name,
                await asyncio.to_thread(hash_password, password),
                services.minter.now(),
            )
        except EmailTaken:
            fail(f"a user with e-mail {email!r} already exists")
        return {"id": user.id, "email": user.email, "name": user.name}

    data = run_with(settings, work)
    emit(as_json, data, f"created user {data['email']} (id {data['id']})")
