"""``authgate user``: users (resource owners)."""

from __future__ import annotations

import json
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
    group,
    run_with,
    settings_from,
    table,
    utc,
)
from authgate.domain import User, UserId
from authgate.protocol.user_admin import (
    AccountError,
    OwnedClients,
    checked_email,
    checked_name,
    checked_password,
)
from authgate.services import Services

user_app = group("Users (resource owners). USER is an e-mail address or a user id.")

#: Named in the usage line only (``user show [OPTIONS] USER``), like client ids.
UserArgument = Annotated[str, typer.Argument(metavar="USER", hidden=True)]
PasswordOption = Annotated[
    str,
    typer.Option(
        metavar="PASSWORD",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="Password (asked for, hidden, when omitted).",
    ),
]


def user_dict(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "active": user.is_active,
        "email_verified": user.email_verified,
        "admin": user.is_admin,
        "subject": user.subject,
        "created_at": user.created_at,
    }


def user_text(data: dict[str, Any]) -> str:
    rows: list[tuple[str, str]] = []
    for key, value in data.items():
        if key in ("holdings", "spaces", "owned_clients"):
            continue
        if key == "created_at":
            value = utc(value)
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        rows.append((key.replace("_", " "), str(value) if value != "" else "-"))
    if "spaces" in data:
        spaces = [f"{s['slug']} ({s['role']})" for s in data["spaces"]]
        rows.append(("spaces", ", ".join(spaces) or "-"))
    if "owned_clients" in data:
        rows.append(("owned clients", ", ".join(data["owned_clients"]) or "-"))
    for key, value in data.get("holdings", {}).items():
        rows.append((key.replace("_", " "), str(value)))
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


def checked(check: Any, value: str) -> str:
    try:
        result: str = check(value)
    except AccountError as exc:
        fail(exc.description)
    return result


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(metavar="EMAIL", help="E-mail address (the login name).")],
    password: PasswordOption,
    name: Annotated[str, typer.Option(metavar="TEXT", help="Display name.")] = "",
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Create a user who can sign in."""
    email = checked(checked_email, email)
    checked(checked_password, password)
    checked(checked_name, name)
    settings = settings_from(config, profile)

    async def work(services: Services) -> dict[str, Any]:
        user = await services.user_admin.create(email, password, name, actor=cli_actor())
        return {"id": user.id, "email": user.email, "name": user.name}

    data = run_with(settings, work)
    emit(as_json, data, f"created user {data['email']} (id {data['id']})")


@user_app.command("list")
def user_list(
    search: Annotated[
        str | None,
        typer.Option(metavar="TEXT", help="Only users whose e-mail or name contains TEXT."),
    ] = None,
    limit: Annotated[int, typer.Option(metavar="N", min=1, max=1000, help="Users per page.")] = 100,
    after: Annotated[
        int | None,
        typer.Option(metavar="ID", min=0, help="Continue after a page: its next_cursor."),
    ] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """List users by id, a page at a time."""
    settings = settings_from(config, profile)

    async def work(services: Services) -> list[User]:
        start = None if after is None else UserId(after)
        return await services.users.page(after=start, limit=limit + 1, search=search)

    found = run_with(settings, work)
    users, more = found[:limit], len(found) > limit
    cursor = str(users[-1].id) if more else None
    if as_json:
        typer.echo(
            json.dumps({"users": [user_dict(u) for u in users], "next_cursor": cursor}, indent=2)
        )
        return
    if not users:
        typer.echo(
            "no users match"
            if search or after
            else "no users yet: create one with `authgate user create --email EMAIL`"
        )
        return
    header = ("ID", "EMAIL", "NAME", "ACTIVE", "VERIFIED", "ADMIN", "CREATED")
    rows = [
        (
            str(u.id),
            u.email,
            u.name or "-",
            "yes" if u.is_active else "no",
            "yes" if u.email_verified else "no",
            "yes" if u.is_admin else "no",
            utc(u.created_at),
        )
        for u in users
    ]
    typer.echo(table(header, rows))
    if cursor is not None:
        typer.echo(f"\nmore users: add --after {cursor}")


@user_app.command("show")
def user_show(
    user: UserArgument,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Show a user: their spaces, the clients they own, and what they hold now (live
    sessions and tokens, consents)."""
    settings = settings_from(config, profile)

    async def work(services: Services) -> dict[str, Any]:
        found = await services.user_admin.find(user)
        held = await services.user_admin.holdings(found)
        spaces = await services.spaces.spaces_of(found.id)
        owned = await services.user_admin.owned_clients(found)
        return {
            **user_dict(found),
            "spaces": [{"slug": s.slug, "role": m.role} for s, m in spaces],
            "owned_clients": [c.client_id for c in owned],
            "holdings": {k: v for k, v in asdict(held).items() if k != "owned_clients"},
        }

    data = run_with(settings, work)
    emit(as_json, data, user_text(data))


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
    admin: Annotated[
        bool | None,
        typer.Option(
            "--admin/--no-admin",
            help="Whether the user is a server administrator (the admin console's users).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Change a user's e-mail address, name, verified flag or server-admin role."""
    if email is not None:
        email = checked(checked_email, email)
    if name is not None:
        checked(checked_name, name)
    if email is None and name is None and email_verified is None and admin is None:
        fail(
            "nothing to change: give --email, --name, --email-verified/--email-unverified "
            "or --admin/--no-admin"
        )
    settings = settings_from(config, profile)

    async def work(services: Services) -> dict[str, Any]:
        found = await services.user_admin.find(user)
        updated = await services.user_admin.update(
            found,
            actor=cli_actor(),
            email=email,
            name=name,
            email_verified=email_verified,
            is_admin=admin,
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
        found = await services.user_admin.find(user)
        revoked = await services.user_admin.disable(found, actor=cli_actor())
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
        found = await services.user_admin.find(user)
        await services.user_admin.enable(found, actor=cli_actor())
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
        found = await services.user_admin.find(user)
        await services.user_admin.set_password(found, password, actor=cli_actor())
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
        found = await services.user_admin.find(user)
        try:
            held, deleted = await services.user_admin.delete(
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
