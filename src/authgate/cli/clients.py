"""``authgate client``: clients (registered apps)."""

from __future__ import annotations

from typing import Annotated, Any

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
    utc,
)
from authgate.domain import TOKEN_FORMATS, Client, RefreshPolicy
from authgate.errors import OAuthError
from authgate.protocol.registration import DEFAULT_FORMAT
from authgate.services import Services

client_app = group("Clients (registered apps).")


def client_dict(client: Client, services: Services) -> dict[str, Any]:
    lifetime = services.minter.access_lifetime(client)
    return {
        "client_id": client.client_id,
        "name": client.name,
        "type": "public" if client.is_public else "confidential",
        "redirect_uris": list(client.redirect_uris),
        "grant_types": sorted(client.grant_types),
        # what it may use now: its grants the server offers, and the base grants
        "usable_grants": sorted(services.grants.grants_of(client)),
        "scope": " ".join(sorted(client.scopes)),
        "token_lifetime": "never" if lifetime is None else lifetime,
        # what new tokens will be: the client's choice, else the server's setting
        "access_token_format": services.token_formats.format_for(
            client, expires=lifetime is not None
        ),
        "refresh_policy": client.refresh_policy,
        "owner_id": client.owner_id,
        "resource_server": client.resource_server,
        "created_at": client.created_at,
        # what the app tells its users (the portal, the consent page), when it has any
        **{
            key: value
            for key, value in (
                ("description", client.description),
                ("homepage_url", client.homepage_url),
                ("logo_url", client.logo_url),
                ("privacy_url", client.privacy_url),
            )
            if value is not None
        },
    }


def client_text(data: dict[str, Any]) -> str:
    lines = []
    width = max(len(key) for key in data)
    for key, value in data.items():
        if isinstance(value, list):
            value = ", ".join(value) or "-"
        elif key == "created_at":
            value = utc(value)
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        label = key.replace("_", " ")
        lines.append(f"{label:<{width}}  {value if value is not None else '-'}")
    return "\n".join(lines)


def lifetime_option(value: str | None) -> int | None:
    from authgate.protocol.registration import parse_lifetime

    text = (value or "").strip()
    if text.isdigit() and not text.isascii():  # int("٣") is 3
        fail(f"token lifetime {value!r} must be seconds or 'never'")
    if text.isdigit() and len(text.lstrip("0")) > 12:  # int() refuses 4300+ digits
        fail("token lifetime must be between 1 second and 10 years")
    try:
        return parse_lifetime(value)
    except OAuthError as exc:
        fail(exc.description)


def format_option(value: str | None, *, allow_default: bool) -> str | None:
    if value is None:
        return None
    choices = [*TOKEN_FORMATS, *([DEFAULT_FORMAT] if allow_default else [])]
    if value not in choices:
        fail(f"--access-token-format must be {' or '.join(repr(c) for c in choices)}")
    return value


def refresh_policy_option(value: str | None) -> RefreshPolicy | None:
    if value not in {None, "rotate", "none"}:
        fail("--refresh-policy must be 'rotate' or 'none'")
    return None if value is None else "none" if value == "none" else "rotate"


#: Client ids are URL-safe base64 and may start with "-": take such an argument as the id
#: instead of failing with "no such option".
TAKES_CLIENT_ID = {"ignore_unknown_options": True}

RedirectOption = Annotated[
    list[str] | None,
    typer.Option("--redirect-uri", metavar="URI", help="Redirect URI (repeatable)."),
]
GrantOption = Annotated[
    list[str] | None,
    typer.Option(
        "--grant",
        metavar="GRANT",
        help="Grant type (repeatable): authorization_code, client_credentials, password, "
        "refresh_token, implicit, token-exchange (RFC 8693); those the server offers "
        "(setting grant_types).",
    ),
]
ScopeOption = Annotated[
    str | None,
    typer.Option(metavar="TEXT", help='Allowed scopes, space separated ("read write").'),
]
LifetimeOption = Annotated[
    str | None,
    typer.Option(
        "--token-lifetime", metavar="SECONDS", help="Access-token lifetime in seconds, or 'never'."
    ),
]
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--access-token-format",
        metavar="FORMAT",
        help="opaque or jwt (RFC 9068, signed with the JWKS keys); default: the server's "
        "access_token_format setting.",
    ),
]
UpdateFormatOption = Annotated[
    str | None,
    typer.Option(
        "--access-token-format",
        metavar="FORMAT",
        help="opaque, jwt (RFC 9068), or default (follow the server's access_token_format "
        "setting). Tokens issued before keep their format.",
    ),
]
RefreshPolicyOption = Annotated[
    str | None,
    typer.Option(
        "--refresh-policy",
        metavar="POLICY",
        help="rotate: refresh tokens rotate on every use; none: no refresh tokens.",
    ),
]
DescriptionOption = Annotated[
    str | None,
    typer.Option(
        metavar="TEXT", help="What the app does, for its users (at most 1000 characters)."
    ),
]
HomepageOption = Annotated[
    str | None, typer.Option("--homepage", metavar="URL", help="The app's homepage (https://).")
]
LogoOption = Annotated[
    str | None,
    typer.Option(
        "--logo-url", metavar="URL", help="The app's logo: an https:// image or a /path here."
    ),
]
PrivacyOption = Annotated[
    str | None,
    typer.Option("--privacy-url", metavar="URL", help="The app's privacy policy (https://)."),
]
#: Named in the usage line only (``client show [OPTIONS] CLIENT_ID``): Typer would list it
#: with a type label, ``CLIENT_ID <str>``.
ClientIdArgument = Annotated[str, typer.Argument(metavar="CLIENT_ID", hidden=True)]


@client_app.command("create")
def client_create(
    name: Annotated[str, typer.Option(metavar="TEXT", help="The app's name, shown to users.")],
    redirect_uri: RedirectOption = None,
    grant: GrantOption = None,
    scope: ScopeOption = None,
    public: Annotated[bool, typer.Option("--public", help="A public client (no secret).")] = False,
    token_lifetime: LifetimeOption = None,
    refresh_policy: Annotated[
        str | None,
        typer.Option(
            "--refresh-policy",
            metavar="POLICY",
            help="rotate: refresh tokens rotate on every use; none: no refresh tokens. "
            "Default: the server's default_refresh_policy setting.",
        ),
    ] = None,
    no_refresh: Annotated[
        bool,
        typer.Option("--no-refresh", help="Never issue refresh tokens (--refresh-policy none)."),
    ] = False,
    owner: Annotated[
        str | None,
        typer.Option(metavar="EMAIL", help="E-mail of the owner; creates a test access token."),
    ] = None,
    resource_server: Annotated[
        bool,
        typer.Option(
            "--resource-server", help="An API that may introspect any client's tokens (RFC 7662)."
        ),
    ] = False,
    access_token_format: FormatOption = None,
    description: DescriptionOption = None,
    homepage: HomepageOption = None,
    logo_url: LogoOption = None,
    privacy_url: PrivacyOption = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Register a client. Its secret is shown once."""
    policy = refresh_policy_option(refresh_policy)
    if no_refresh and policy == "rotate":
        fail("--no-refresh contradicts --refresh-policy rotate")
    policy = "none" if no_refresh else policy
    settings = settings_from(config, profile)
    lifetime = lifetime_option(token_lifetime)
    token_format = format_option(access_token_format, allow_default=False)

    async def work(services: Services) -> dict[str, Any]:
        registered = await services.registry.register(
            name,
            redirect_uris=redirect_uri or [],
            grant_types=grant or ["authorization_code"],
            scopes=None if scope is None else scope.split(),
            public=public,
            token_lifetime=lifetime,
            refresh_policy=policy,
            owner_email=owner,
            resource_server=resource_server,
            access_token_format=token_format,
            description=description,
            homepage_url=homepage,
            logo_url=logo_url,
            privacy_url=privacy_url,
            actor=cli_actor(),
        )
        data = client_dict(registered.client, services)
        if registered.client_secret is not None:
            data["client_secret"] = registered.client_secret
        if registered.test_access_token is not None:
            data["test_access_token"] = registered.test_access_token
        return data

    data = run_with(settings, work)
    note = (
        "\n\nThe client secret is shown only now: keep it safe." if "client_secret" in data else ""
    )
    emit(as_json, data, client_text(data) + note)


@client_app.command("list")
def client_list(
    as_json: JsonOption = False, config: ConfigOption = None, profile: ProfileOption = None
) -> None:
    """List registered clients."""
    settings = settings_from(config, profile)

    async def work(services: Services) -> list[dict[str, Any]]:
        return [client_dict(c, services) for c in await services.clients.all()]

    emit_list(
        as_json,
        "clients",
        run_with(settings, work),
        "no clients yet: create one with `authgate client create --name NAME`",
        ("CLIENT ID", "TYPE", "GRANTS", "CREATED", "NAME"),
        lambda c: (
            c["client_id"],
            c["type"],
            ",".join(c["grant_types"]),
            utc(c["created_at"]),
            c["name"],
        ),
    )


@client_app.command("show", context_settings=TAKES_CLIENT_ID)
def client_show(
    client_id: ClientIdArgument,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Show a client, with its test access token if it has one."""
    settings = settings_from(config, profile)

    async def work(services: Services) -> dict[str, Any]:
        client = await services.registry.get(client_id)
        data = client_dict(client, services)
        test_token = services.registry.test_token(client)
        if test_token is not None:
            data["test_access_token"] = test_token
        return data

    data = run_with(settings, work)
    emit(as_json, data, client_text(data))


@client_app.command("update", context_settings=TAKES_CLIENT_ID)
def client_update(
    client_id: ClientIdArgument,
    name: Annotated[str | None, typer.Option(metavar="TEXT", help="New name.")] = None,
    redirect_uri: RedirectOption = None,
    grant: GrantOption = None,
    scope: ScopeOption = None,
    token_lifetime: LifetimeOption = None,
    refresh_policy: RefreshPolicyOption = None,
    access_token_format: UpdateFormatOption = None,
    description: DescriptionOption = None,
    homepage: HomepageOption = None,
    logo_url: LogoOption = None,
    privacy_url: PrivacyOption = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Change a client. Lists given replace the old ones; tokens keep their scopes."""
    policy = refresh_policy_option(refresh_policy)
    settings = settings_from(config, profile)
    lifetime = lifetime_option(token_lifetime)
    token_format = format_option(access_token_format, allow_default=True)

    async def work(services: Services) -> dict[str, Any]:
        client = await services.registry.update(
            client_id,
            name=name,
            redirect_uris=redirect_uri,
            grant_types=grant,
            scopes=None if scope is None else scope.split(),
            token_lifetime=lifetime,
            refresh_policy=policy,
            access_token_format=token_format,
            description=description,
            homepage_url=homepage,
            logo_url=logo_url,
            privacy_url=privacy_url,
            actor=cli_actor(),
        )
        return client_dict(client, services)

    data = run_with(settings, work)
    emit(as_json, data, client_text(data))


@client_app.command("rotate-secret", context_settings=TAKES_CLIENT_ID)
def client_rotate_secret(
    client_id: ClientIdArgument,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Issue a new client secret; the old one stops working within seconds."""
    settings = settings_from(config, profile)

    async def work(services: Services) -> str:
        return await services.registry.rotate_secret(client_id, actor=cli_actor())

    secret = run_with(settings, work)
    emit(
        as_json,
        {"client_id": client_id, "client_secret": secret},
        f"new client_secret: {secret}\nIt is shown only now: keep it safe.",
    )


@client_app.command("delete", context_settings=TAKES_CLIENT_ID)
def client_delete(
    client_id: ClientIdArgument,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Delete a client and every token issued to it."""
    settings = settings_from(config, profile)

    async def work(services: Services) -> None:
        await services.registry.delete(client_id, actor=cli_actor())

    run_with(settings, work)
    emit(as_json, {"client_id": client_id, "deleted": True}, f"deleted client {client_id}")
