"""``authgate keys``: the keys that sign id tokens, published at ``/.well-known/jwks.json``.

A rotation is picked up by every running worker within ``signing_key_refresh_seconds``,
with no restart (see :mod:`authgate.protocol.keyring`).
"""

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
from authgate.crypto.keys import ALGORITHMS, Algorithm
from authgate.domain import SigningKey
from authgate.protocol.keyring import KeyRing
from authgate.services import Services

keys_app = group("Keys that sign id tokens and JWT access tokens.")


def key_dict(key: SigningKey, ring: KeyRing, now: float) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "alg": key.alg,
        "state": ring.state(key, now),
        "created_at": key.created_at,
        "signs_from": key.signs_from,
        "retired_at": key.retired_at,
    }


def algorithm_option(value: str | None) -> Algorithm | None:
    if value is None:
        return None
    for alg in ALGORITHMS:
        if value.strip().lower() == alg.lower():
            return alg
    fail(f"--alg must be one of {', '.join(ALGORITHMS)}, not {value[:20]!r}")


@keys_app.command("list")
def keys_list(
    as_json: JsonOption = False, config: ConfigOption = None, profile: ProfileOption = None
) -> None:
    """List signing keys: next (published, not signing yet), active, retiring (still
    published), retired."""
    settings = settings_from(config, profile)

    async def work(services: Services) -> list[dict[str, Any]]:
        now = services.minter.now()
        return [key_dict(k, services.keys, now) for k in await services.keys.keys()]

    emit_list(
        as_json,
        "keys",
        run_with(settings, work),
        "no signing keys yet: `authgate serve` creates one, or `authgate keys rotate`",
        ("KID", "ALG", "STATE", "CREATED", "SIGNS FROM", "RETIRED"),
        lambda k: (
            k["kid"],
            k["alg"],
            k["state"],
            utc(k["created_at"]),
            utc(k["signs_from"]),
            "-" if k["retired_at"] is None else utc(k["retired_at"]),
        ),
    )


@keys_app.command("rotate")
def keys_rotate(
    alg: Annotated[
        str | None,
        typer.Option(
            metavar="ALG",
            help="RS256, ES256 or EdDSA (default: the id_token_signing_alg setting).",
        ),
    ] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Add a signing key. It is published at once and signs once every worker and relying
    party has it; the key it replaces stays published for the grace period."""
    algorithm = algorithm_option(alg)
    settings = settings_from(config, profile)

    async def work(services: Services) -> dict[str, Any]:
        ring = services.keys
        now = services.minter.now()
        key, replaced = await ring.rotate_by(cli_actor(), algorithm)
        # The clock may have ticked into the next second during the rotation.
        now = max(now, key.created_at)
        return {
            **key_dict(key, ring, now),
            "lead": key.signs_from - key.created_at,
            "grace": ring.grace,
            "published_until": {kid: key.signs_from + ring.grace for kid in replaced},
        }

    data = run_with(settings, work)
    lines = [f"added signing key {data['kid']} ({data['alg']}), published now"]
    if data["lead"]:
        lines.append(
            f"it signs from {utc(data['signs_from'])} (in {data['lead']} s), "
            "when every worker and relying party has it"
        )
    else:
        lines.append("it signs now")
    for kid, until in data["published_until"].items():
        lines.append(
            f"key {kid} signs until then and stays published until {utc(until)} "
            f"(grace {data['grace']} s)"
        )
    emit(as_json, data, "\n".join(lines))
