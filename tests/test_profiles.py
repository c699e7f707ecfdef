"""Platform profiles: TOML presets in the package, chosen by ``--profile`` on every command,
``AUTHGATE_PROFILE`` or the config file, below the config file and the environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from authgate import profiles
from authgate.cli import app
from authgate.settings import Settings, SettingsError, load_settings

PLATFORMS = ("cobot", "cloudbot", "redbooth", "space")


def test_the_profiles_shipped_are_the_default_and_one_per_seed_platform() -> None:
    assert profiles.names() == ["default", "cloudbot", "cobot", "redbooth", "space"]


@pytest.mark.parametrize("name", profiles.names())
def test_every_profile_is_valid_settings_and_leaves_the_deployment_alone(name: str) -> None:
    profile = profiles.load(name)
    assert profile.summary
    assert not profiles.DEPLOYMENT_SETTINGS & set(profile.settings)
    settings = Settings(profile=name)
    for key, value in profile.settings.items():
        assert getattr(settings, key) == value, key


def test_the_default_profile_sets_nothing() -> None:
    assert profiles.load("default").settings == {}
    assert Settings() == Settings(profile="default")


@pytest.mark.parametrize("name", PLATFORMS)
def test_a_platform_profile_changes_something(name: str) -> None:
    assert Settings(profile=name).model_dump(exclude={"profile"}) != Settings().model_dump(
        exclude={"profile"}
    )


def test_the_environment_chooses_a_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHGATE_PROFILE", "redbooth")
    settings = load_settings()
    assert settings.profile == "redbooth"
    assert settings.realm == "Doorkeeper"


def write_config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "authgate.toml"
    path.write_text(text)
    return str(path)


def test_a_config_file_starts_from_a_profile_and_overrides_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, 'profile = "redbooth"\naccess_token_lifetime = 60\n')
    monkeypatch.setenv("AUTHGATE_CONFIG", config)
    settings = load_settings()
    assert settings.profile == "redbooth"
    assert settings.access_token_lifetime == 60  # the file wins over the profile
    assert settings.realm == "Doorkeeper"  # the rest of the profile stays


def test_precedence_profile_then_file_then_environment_then_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTHGATE_CONFIG", write_config(tmp_path, 'realm = "from-file"\n'))
    monkeypatch.setenv("AUTHGATE_PROFILE", "redbooth")
    assert load_settings().realm == "from-file"
    monkeypatch.setenv("AUTHGATE_REALM", "from-env")
    assert load_settings().realm == "from-env"
    assert load_settings(realm="from-cli").realm == "from-cli"


def test_the_environment_overrides_the_profile_a_file_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTHGATE_CONFIG", write_config(tmp_path, 'profile = "redbooth"\n'))
    monkeypatch.setenv("AUTHGATE_PROFILE", "cloudbot")
    settings = load_settings()
    assert settings.profile == "cloudbot"
    assert settings.realm == "authgate"  # nothing of redbooth's is left
    assert "execute" in settings.scopes


@pytest.mark.parametrize("name", ["nope", "COBOT", "", "../cobot", "cobot.toml", "x" * 200])
def test_an_unknown_profile_is_one_clear_error(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHGATE_PROFILE", name or " ")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "choose from default, cloudbot, cobot, redbooth, space" in message
    assert len(message) < 300


def test_a_profile_that_sets_a_deployment_setting_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "bad.toml").write_text('issuer = "https://evil.example"\n[profile]\nsummary="x"\n')

    class Files:
        def __init__(self, root: Path) -> None:
            self.root = root

        def iterdir(self) -> Any:
            return self.root.iterdir()

        def joinpath(self, name: str) -> Path:
            return self.root / name

    monkeypatch.setattr(profiles.resources, "files", lambda package: Files(tmp_path))
    profiles.load.cache_clear()
    try:
        with pytest.raises(ValueError, match="sets issuer: deployments do"):
            profiles.load("bad")
    finally:
        profiles.load.cache_clear()


# ---------------------------------------------------------------------------- the CLI


def leaf_commands() -> list[tuple[tuple[str, ...], Any]]:
    found: list[tuple[tuple[str, ...], Any]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        subs = getattr(command, "commands", None)
        if subs is None:
            found.append((path, command))
        for name, sub in sorted((subs or {}).items()):
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


@pytest.mark.parametrize(
    ("path", "command"),
    [(p, c) for p, c in leaf_commands() if p[0] != "profile"],
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else "",
)
def test_every_command_takes_profile(path: tuple[str, ...], command: Any) -> None:
    options = {opt for param in command.params for opt in getattr(param, "opts", [])}
    assert "--profile" in options, " ".join(path)


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})
    assert "Traceback" not in result.output
    return result


def test_profile_list() -> None:
    result = invoke("profile", "list", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)["profiles"]
    assert [p["name"] for p in listed] == profiles.names()
    assert all(p["summary"] for p in listed)
    text = invoke("profile", "list").stdout
    assert text.splitlines()[0].split() == ["NAME", "SETTINGS", "SUMMARY"]
    assert "redbooth" in text


def test_profile_show_prints_each_setting_beside_its_default() -> None:
    result = invoke("profile", "show", "redbooth")
    assert result.exit_code == 0, result.output
    assert 'realm                      = "Doorkeeper"' in result.stdout
    assert '(default: "authgate")' in result.stdout
    data = json.loads(invoke("profile", "show", "redbooth", "--json").stdout)
    assert data["settings"]["realm"] == "Doorkeeper"
    assert data["name"] == "redbooth"


def test_profile_show_of_an_unknown_name_is_a_clear_error() -> None:
    result = invoke("profile", "show", "hydra")
    assert result.exit_code == 2
    assert result.stderr.startswith("authgate: error: unknown profile 'hydra'; choose from")


@pytest.mark.parametrize("where", ["before", "after"])
def test_profile_option_reaches_the_command(where: str, tmp_path: Path) -> None:
    """``authgate --profile X cmd`` and ``authgate cmd --profile X`` alike."""
    env = {"AUTHGATE_DATABASE_URL": f"sqlite:///{tmp_path}/a.db", "AUTHGATE_SECRET_KEY": "k"}
    args = ["db", "upgrade", "--json"]
    args = ["--profile", "nope", *args] if where == "before" else [*args, "--profile", "nope"]
    result = invoke(*args, env=env)
    assert result.exit_code == 2
    assert "unknown profile 'nope'" in result.stderr
    assert not (tmp_path / "a.db").exists()
