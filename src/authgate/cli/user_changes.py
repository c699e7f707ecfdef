"""``authgate user update | disable | enable | set-password | delete``: changing users, and
what disabling or deleting one revokes (protocol/accounts.py says why)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer

from authgate.cli.common import (
    ConfigOption,
    JsonOption,
    ProfileOption,
    cli_actor,
    emit,
    fail,
    run_with,
    settings_from,
)
from authgate.cli.users import (
    PasswordOption,
    UserArgument,
    checked,
    user_app,
    user_dict,
    user_text,
)
from authgate.protocol.accounts import (
    AccountError,
    OwnedClients,
    checked_email,
    checked_name,
    checked_password,
)
from authgate.services import Services


@user_app.command("update")
def user_update(
    user: UserArgument,
    email: Annotated[
        str | None, typer.Option(metavar="EMAIL", help="New e-mail address (login name).")
    ] = None,
    name: Annotated[str | None, typer.Option(metavar="TEXT", help="New display name.")] = None,
    email_verified: Annotated[
        bool | None,
        typer.Option(
            "--email-verified/--email-unverified",
            help="Whether the e-mail address is verified (the email_verified claim).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Change a user's e-mail address, name or verified flag."""
    if email is not None:
        email = checked(checked_email, email)
    if name is not None:
        checked(checked_name, name)
    if email is None and name is None and email_verified is None:
        fail("nothing to change: give --email, --name or --email-verified/--email-unverified")
    settings = settings_from(config, profile)

    async def work(services: Services) -> dict[str, Any]:
        found = await services.accounts.find(user)
        updated = await services.accounts.update(
            found, actor=cli_actor(), email=email, name=name, email_verified=email_verified
        )
        return user_dict(updated)

    data = run_with(settings, work)
    emit(as_json, data, user_text(data))


@user_app.command("disable")
def user_disable(
    user: UserArgument,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Stop a user signing in, and revoke their sessions and tokens at once (every
    worker refuses them from now; other servers within token_cache_seconds)."""
    settings = settings_from(config, profile)

    async def work(services: Services) -> dict[str, Any]:
        found = await services.accounts.find(user)
        revoked = await services.accounts.disable(found, actor=cli_actor())
        return {
            "email": found.email,
            "active": False,
            "revoked": {
                "sessions": revoked.sessions,
                "access_tokens": revoked.access_tokens,
                "refresh_tokens": revoked.refresh_tokens,
                "codes": revoked.codes,
            },
        }

    data = run_with(settings, work)
    r = data["revoked"]
    emit(
        as_json,
        data,
        f"disabled {data['email']}: revoked {r['sessions']} sessions, {r['access_tokens']} "
        f"access tokens, {r['refresh_tokens']} refresh tokens, {r['codes']} codes",
    )


@user_app.command("enable")
def user_enable(
    user: UserArgument,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Let a disabled user sign in again (what was revoked stays revoked)."""
    settings = settings_from(config, profile)

    async def work(services: Services) -> dict[str, Any]:
        found = await services.accounts.find(user)
        await services.accounts.enable(found, actor=cli_actor())
        return {"email": found.email, "active": True}

    data = run_with(settings, work)
    emit(as_json, data, f"enabled {data['email']}")


@user_app.command("set-password")
def user_set_password(
    user: UserArgument,
    password: PasswordOption,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Give a user a new password. Their sessions and tokens keep working: `authgate user
    disable` ends them."""
    checked(checked_password, password)
    settings = settings_from(config, profile)

    async def work(services: Services) -> dict[str, Any]:
        found = await services.accounts.find(user)
        await services.accounts.set_password(found, password, actor=cli_actor())
        return {"email": found.email, "password_set": True}

    data = run_with(settings, work)
    emit(as_json, data, f"set a new password for {data['email']}")


@user_app.command("delete")
def user_delete(
    user: UserArgument,
    delete_clients: Annotated[
        bool,
        typer.Option(
            "--delete-clients", help="Also delete the clients the user owns, and their tokens."
        ),
    ] = False,
    keep_clients: Annotated[
        bool,
        typer.Option("--keep-clients", help="Keep the clients the user owns, without an owner."),
    ] = False,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Delete a user and what they hold: sessions, tokens, consents, memberships. A user
    who owns clients needs --delete-clients or --keep-clients."""
    if delete_clients and keep_clients:
        fail("--delete-clients contradicts --keep-clients")
    owned: OwnedClients = "delete" if delete_clients else "keep" if keep_clients else "refuse"
    settings = settings_from(config, profile)

    async def work(services: Services) -> dict[str, Any]:
        found = await services.accounts.find(user)
        try:
            held, deleted = await services.accounts.delete(
                found, actor=cli_actor(), owned_clients=owned
            )
        except AccountError as exc:
            fail(f"{exc.description}: add --delete-clients or --keep-clients")
        return {
            "email": found.email,
            "deleted": True,
            "deleted_clients": deleted,
            "removed": {k: v for k, v in asdict(held).items() if k != "owned_clients"},
        }

    data = run_with(settings, work)
    r = data["removed"]
    text = (
        f"deleted {data['email']} with {r['sessions']} sessions, {r['access_tokens']} access "
        f"tokens, {r['refresh_tokens']} refresh tokens, {r['consents']} consents and "
        f"{r['memberships']} memberships"
    )
    if data["deleted_clients"]:
        text += f"; deleted clients {', '.join(data['deleted_clients'])}"
    emit(as_json, data, text)
