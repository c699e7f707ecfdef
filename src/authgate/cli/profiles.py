"""``authgate profile``: the platform profiles shipped with authgate."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from authgate import profiles
from authgate.cli.common import JsonOption, emit, emit_list, fail, group
from authgate.settings import Settings

profile_app = group("Platform profiles: presets of settings (choose one with --profile).")


def _value(value: Any) -> str:
    """A setting's value as it would be written in a TOML config file."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        inner = ", ".join(
            f"{json.dumps(k, ensure_ascii=False)} = {_value(v)}" for k, v in value.items()
        )
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return str(value)


def _default(name: str) -> Any:
    field = Settings.model_fields[name]
    return field.get_default(call_default_factory=True)


@profile_app.command("list")
def profile_list(as_json: JsonOption = False) -> None:
    """List the profiles, with the platform each one follows."""
    items = [
        {"name": p.name, "summary": p.summary, "settings": len(p.settings)}
        for p in map(profiles.load, profiles.names())
    ]
    emit_list(
        as_json,
        "profiles",
        items,
        "no profiles",
        ("NAME", "SETTINGS", "SUMMARY"),
        lambda p: (p["name"], str(p["settings"]), p["summary"]),
    )


@profile_app.command("show")
def profile_show(
    name: Annotated[str, typer.Argument(metavar="NAME", hidden=True)],
    as_json: JsonOption = False,
) -> None:
    """Print what profile NAME sets, beside the default it replaces."""
    try:
        profile = profiles.load(name)
    except profiles.UnknownProfile as exc:
        fail(str(exc), 2)
    data = {
        "name": profile.name,
        "summary": profile.summary,
        "about": profile.about,
        "settings": profile.settings,
    }
    lines = [f"{profile.name}: {profile.summary}"]
    if profile.about:
        lines.append(profile.about)
    if profile.settings:
        width = max(map(len, profile.settings))
        lines.append("")
        lines.append("settings (TOML keys; a config file or AUTHGATE_* overrides each):")
        for key, value in profile.settings.items():
            lines.append(f"  {key.ljust(width)} = {_value(value)}")
            lines.append(f"  {''.ljust(width)}   (default: {_value(_default(key))})")
    else:
        lines.append("")
        lines.append("sets nothing: every setting keeps its default")
    emit(as_json, data, "\n".join(lines))
