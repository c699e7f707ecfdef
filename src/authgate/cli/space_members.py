"""``authgate space add-member | update-member | remove-member``: who belongs to a space,
with which role, profile and revoked scopes (seed 001)."""

from __future__ import annotations

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
from authgate.cli.spaces import member_dict, space_app, space_named
from authgate.domain import Membership, Role, Space, User
from authgate.services import Services


def role_option(value: str | None) -> Role | None:
    if value not in {None, "admin", "member"}:
        fail("--role must be 'admin' or 'member'")
    return None if value is None else "admin" if value == "admin" else "member"


@space_app.command("add-member")
def space_add_member(
    space: Annotated[str, typer.Option(metavar="SLUG", help="The space's slug.")],
    email: Annotated[str, typer.Option(metavar="EMAIL", help="E-mail of an existing user.")],
    role: Annotated[
        str | None, typer.Option(metavar="ROLE", help="admin or member (default: member).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(metavar="TEXT", help="Name in this space (id token 'name').")
    ] = None,
    picture: Annotated[
        str | None, typer.Option(metavar="URL", help="https:// URL of a profile picture.")
    ] = None,
    phone: Annotated[
        str | None, typer.Option(metavar="PHONE", help="Phone number: +49 30 1234567.")
    ] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Add a user to a space, or change a member: options given replace the old values
    ('' clears one), options left out keep them."""
    chosen = role_option(role)
    settings = settings_from(config, profile)

    async def work(services: Services) -> dict[str, Any]:
        found = await space_named(services, space)
        user = await services.users.by_email(email)
        if user is None:
            fail(f"no user with e-mail {email.strip()[:320]!r}: see `authgate user create`")
        member, added = await services.space_admin.put_member(
            found,
            user,
            actor=cli_actor(),
            role=chosen,
            name=name,
            picture=picture,
            phone_number=phone,
        )
        return {"space": found.slug, "added": added, **member_dict(member, user.email)}

    data = run_with(settings, work)
    verb = "added" if data["added"] else "updated"
    emit(as_json, data, f"{verb} {data['email']} in space {data['space']} as {data['role']}")


async def member_of(services: Services, slug: str, email: str) -> tuple[Space, User, Membership]:
    """The space, the user and their membership, or one clear error for whichever is not."""
    space = await space_named(services, slug)
    user = await services.users.by_email(email)
    if user is None:
        fail(f"no user with e-mail {email.strip()[:320]!r}: see `authgate user create`")
    member = await services.spaces.membership(space.id, user.id)
    if member is None:
        fail(
            f"{user.email} is not a member of space {space.slug}: add them with "
            f"`authgate space add-member --space {space.slug} --email {user.email}`"
        )
    return space, user, member


def scope_names(values: list[str], catalog: dict[str, str], option: str) -> frozenset[str]:
    """Scope names from repeated options (each may also hold several, space separated),
    every one of them in the catalog: a typo must not pass as a revoked right."""
    names = frozenset(name for value in values for name in value.split())
    unknown = sorted(names - set(catalog))
    if unknown:
        fail(f"{option}: unknown scope {unknown[0][:80]!r}; the catalog has {' '.join(catalog)}")
    return names


@space_app.command("update-member")
def space_update_member(
    space: Annotated[str, typer.Option(metavar="SLUG", help="The space's slug.")],
    email: Annotated[str, typer.Option(metavar="EMAIL", help="E-mail of a member.")],
    role: Annotated[str | None, typer.Option(metavar="ROLE", help="admin or member.")] = None,
    revoke_scope: Annotated[
        list[str] | None,
        typer.Option(
            "--revoke-scope",
            metavar="SCOPE",
            help="A scope the member may no longer use in this space (repeatable).",
        ),
    ] = None,
    restore_scope: Annotated[
        list[str] | None,
        typer.Option(
            "--restore-scope",
            metavar="SCOPE",
            help="A revoked scope the member may use again (repeatable).",
        ),
    ] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Change a member's role or revoked scopes; their tokens follow on the next request
    (other servers' workers within token_cache_seconds)."""
    chosen = role_option(role)
    if chosen is None and not revoke_scope and not restore_scope:
        fail("nothing to change: give --role, --revoke-scope or --restore-scope")
    settings = settings_from(config, profile)
    catalog = settings.scope_catalog
    revoke = scope_names(revoke_scope or [], catalog, "--revoke-scope")
    restore = scope_names(restore_scope or [], catalog, "--restore-scope")
    both = sorted(revoke & restore)
    if both:
        fail(f"scope {both[0]!r} is both revoked and restored: give it once")

    async def work(services: Services) -> dict[str, Any]:
        found, user, _ = await member_of(services, space, email)
        member = await services.space_admin.update_member(
            found, user, actor=cli_actor(), role=chosen, revoke=revoke, restore=restore
        )
        return {"space": found.slug, **member_dict(member, user.email)}

    data = run_with(settings, work)
    revoked = " ".join(data["revoked_scopes"]) or "none"
    emit(
        as_json,
        data,
        f"updated {data['email']} in space {data['space']}: role {data['role']}, "
        f"revoked scopes: {revoked}",
    )


@space_app.command("remove-member")
def space_remove_member(
    space: Annotated[str, typer.Option(metavar="SLUG", help="The space's slug.")],
    email: Annotated[str, typer.Option(metavar="EMAIL", help="E-mail of a member.")],
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Remove a member from a space; the tokens bound to it stop working on the next
    request (other servers' workers within token_cache_seconds)."""
    settings = settings_from(config, profile)

    async def work(services: Services) -> dict[str, Any]:
        found, user, _ = await member_of(services, space, email)
        await services.space_admin.remove_member(found, user, actor=cli_actor())
        return {"space": found.slug, "email": user.email, "removed": True}

    data = run_with(settings, work)
    emit(as_json, data, f"removed {data['email']} from space {data['space']}")
