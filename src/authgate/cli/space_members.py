"""``authgate space add-member | update-member | remove-member``: who belongs to a space,
with which role, profile and revoked scopes (seed 001)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import typer

from authgate.audit.events import SPACE_MEMBER_ADDED, SPACE_MEMBER_REMOVED, SPACE_MEMBER_UPDATED
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
from authgate.cli.spaces import checked, member_dict, space_app, space_named
from authgate.domain import Membership, Role, Space, User
from authgate.protocol import space_fields
from authgate.services import Services


def record_member(
    services: Services, event: str, space: Space, user: User, member: Membership | None
) -> None:
    """A change to who belongs to a space, and with which rights, is an audit event."""
    rights: dict[str, Any] = {}
    if member is not None:
        rights = {"role": member.role, "revoked_scopes": sorted(member.revoked_scopes)}
    services.audit.record(
        event,
        cli_actor(),
        target_type="user",
        target=user.email,
        space=space.slug,
        **rights,
    )


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
    changes: dict[str, str | None] = {}
    if name is not None:
        changes["name"] = checked(space_fields.name, name)
    if picture is not None:
        changes["picture"] = checked(space_fields.picture, picture)
    if phone is not None:
        changes["phone_number"] = checked(space_fields.phone, phone)
    settings = settings_from(config, profile)

    async def work(services: Services) -> dict[str, Any]:
        found = await space_named(services, space)
        user = await services.users.by_email(email)
        if user is None:
            fail(f"no user with e-mail {email.strip()[:320]!r}: see `authgate user create`")
        old = await services.spaces.membership(found.id, user.id)

        def value(field: str) -> str | None:
            kept: str | None = None if old is None else getattr(old, field)
            return changes.get(field, kept)

        member = await services.spaces.add_member(
            Membership(
                space_id=found.id,
                user_id=user.id,
                role=chosen or (old.role if old is not None else "member"),
                name=value("name"),
                picture=value("picture"),
                phone_number=value("phone_number"),
                created_at=services.minter.now() if old is None else old.created_at,
                revoked_scopes=frozenset() if old is None else old.revoked_scopes,
            )
        )
        record_member(
            services,
            SPACE_MEMBER_ADDED if old is None else SPACE_MEMBER_UPDATED,
            found,
            user,
            member,
        )
        return {"space": found.slug, "added": old is None, **member_dict(member, user.email)}

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
        found, user, old = await member_of(services, space, email)
        member = await services.spaces.add_member(
            dataclasses.replace(
                old,
                role=chosen or old.role,
                revoked_scopes=(old.revoked_scopes - restore) | revoke,
            )
        )
        record_member(services, SPACE_MEMBER_UPDATED, found, user, member)
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
        await services.spaces.remove_member(found.id, user.id)
        record_member(services, SPACE_MEMBER_REMOVED, found, user, None)
        return {"space": found.slug, "email": user.email, "removed": True}

    data = run_with(settings, work)
    emit(as_json, data, f"removed {data['email']} from space {data['space']}")
