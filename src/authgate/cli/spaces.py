"""``authgate space``: spaces (tenants), each its own OpenID Connect issuer, and their
members, whose space profile (name, picture, phone) their id tokens carry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

import typer

from authgate.cli.common import (
    ConfigOption,
    JsonOption,
    ProfileOption,
    cli_actor,
    emit,
    emit_list,
    fail,
    group,
    run_with,
    settings_from,
    table,
    utc,
)
from authgate.domain import Membership, Space
from authgate.protocol.issuers import valid_slug
from authgate.services import Services

V = TypeVar("V")
space_app = group("Spaces (tenants), each its own issuer, and their members.")

#: Named in the usage line only (``space show [OPTIONS] SLUG``), as ``CLIENT_ID`` is.
SlugArgument = Annotated[str, typer.Argument(metavar="SLUG", hidden=True)]


def checked(check: Callable[..., V], *args: Any) -> V:
    try:
        return check(*args)
    except ValueError as exc:
        fail(str(exc))


def issuers(space: Space, services: Services) -> list[str]:
    """The space's issuer (its subdomain or path), then one per custom domain."""
    scheme = urlsplit(services.settings.issuer).scheme
    return [services.issuers.space_issuer(space).url, *(f"{scheme}://{d}" for d in space.domains)]


def space_dict(space: Space, services: Services) -> dict[str, Any]:
    urls = issuers(space, services)
    return {
        "slug": space.slug,
        "name": space.name,
        "issuer": urls[0],
        "issuers": urls,
        "domains": list(space.domains),
        "created_at": space.created_at,
    }


async def space_named(services: Services, slug: str) -> Space:
    space = await services.spaces.by_slug(slug) if valid_slug(slug) else None
    if space is None:
        fail(f"no space with slug {slug[:80]!r}: see `authgate space list`")
    return space


def member_dict(member: Membership, email: str | None) -> dict[str, Any]:
    return {
        "email": email,
        "role": member.role,
        "name": member.name,
        "picture": member.picture,
        "phone_number": member.phone_number,
        "revoked_scopes": sorted(member.revoked_scopes),
        "user_id": member.user_id,
        "created_at": member.created_at,
    }


def space_text(data: dict[str, Any]) -> str:
    rows = [
        ("slug", data["slug"]),
        ("name", data["name"]),
        ("issuer", ("\n" + " " * 12).join(data["issuers"])),
        ("domains", ", ".join(data["domains"]) or "-"),
        ("created at", utc(data["created_at"])),
    ]
    return "\n".join(f"{key:<11} {value}" for key, value in rows)


@space_app.command("create")
def space_create(
    slug: Annotated[str, typer.Option(metavar="SLUG", help="Lowercase DNS label: acme.")],
    name: Annotated[str, typer.Option(metavar="TEXT", help="The space's name, shown to users.")],
    domain: Annotated[
        list[str] | None,
        typer.Option(
            "--domain",
            metavar="HOST",
            help="Custom domain its issuer is also served on (repeatable): login.acme.com.",
        ),
    ] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Create a space: an issuer of its own, on its subdomain or path, and its domains."""
    settings = settings_from(config, profile)

    async def work(services: Services) -> dict[str, Any]:
        space = await services.space_admin.create(slug, name, domain or [], actor=cli_actor())
        return space_dict(space, services)

    data = run_with(settings, work)
    emit(as_json, data, f"created space {data['slug']}\n\n{space_text(data)}")


@space_app.command("list")
def space_list(
    as_json: JsonOption = False, config: ConfigOption = None, profile: ProfileOption = None
) -> None:
    """List spaces and their issuers."""
    settings = settings_from(config, profile)

    async def work(services: Services) -> list[dict[str, Any]]:
        return [space_dict(s, services) for s in await services.spaces.all()]

    emit_list(
        as_json,
        "spaces",
        run_with(settings, work),
        "no spaces yet: create one with `authgate space create --slug SLUG --name NAME`",
        ("SLUG", "NAME", "ISSUER", "DOMAINS", "CREATED"),
        lambda s: (
            s["slug"],
            s["name"],
            s["issuer"],
            ",".join(s["domains"]) or "-",
            utc(s["created_at"]),
        ),
    )


@space_app.command("show")
def space_show(
    slug: SlugArgument,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Show a space, its issuers and its members."""
    settings = settings_from(config, profile)

    async def work(services: Services) -> dict[str, Any]:
        space = await space_named(services, slug)
        members = []
        for member in await services.spaces.members(space.id):
            user = await services.users.by_id(member.user_id)
            members.append(member_dict(member, None if user is None else user.email))
        return {**space_dict(space, services), "members": members}

    data = run_with(settings, work)
    rows = [
        (
            m["email"] or f"(user {m['user_id']})",
            m["role"],
            m["name"] or "-",
            m["picture"] or "-",
            m["phone_number"] or "-",
            " ".join(m["revoked_scopes"]) or "-",
        )
        for m in data["members"]
    ]
    people = (
        table(("MEMBER", "ROLE", "NAME", "PICTURE", "PHONE", "REVOKED"), rows)
        if rows
        else f"no members yet: add one with `authgate space add-member --space {slug} "
        "--email EMAIL`"
    )
    emit(as_json, data, f"{space_text(data)}\n\n{people}")
