"""Every Python example of ``clients/python/README.md`` runs against a real authgate, in
the README's order, in one namespace; the FastAPI and Django apps are driven through a
real sign-in. And ``pip install ./clients/python`` in a clean virtualenv gives a client
and a CLI that work, without any of the server's packages."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.profile_support import ProfileServer

from sdk_support import PASSWORD, SPACE, register, sign_in

pytestmark = pytest.mark.e2e

SDK = Path(__file__).resolve().parents[1]
README = SDK / "README.md"
READER = "readme@example.com"
#: what the server brings that the SDK must not
SERVER_PACKAGES = {"starlette", "sqlalchemy", "asyncpg", "argon2-cffi", "uvicorn", "authgate"}


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)


@pytest.fixture(scope="module")
def readme_env(
    root: ProfileServer, monkeypatch_module: pytest.MonkeyPatch, tmp_path_factory: Any
) -> dict[str, Any]:
    root.user(READER, "README Reader")
    root.cli("space", "add-member", "--space", SPACE, "--email", READER)
    app = register(
        root, "authorization_code", "refresh_token", "client_credentials", "password",
        "token-exchange", "implicit",
    )  # fmt: skip
    api = register(root, "client_credentials", resource_server="")
    env = {
        "AUTHGATE_ISSUER": root.url,
        "CLIENT_ID": app["client_id"],
        "CLIENT_SECRET": app["client_secret"],
        "REDIRECT_URI": app["redirect_uri"],
        "USER_EMAIL": READER,
        "USER_PASSWORD": PASSWORD,
        "API_CLIENT_ID": api["client_id"],
        "API_CLIENT_SECRET": api["client_secret"],
        "TOKEN_ENDPOINT": root.url + "/oauth/token",
        "SESSION_SECRET": secrets.token_urlsafe(16),
    }
    for key, value in env.items():
        monkeypatch_module.setenv(key, value)
    monkeypatch_module.chdir(tmp_path_factory.mktemp("readme"))
    return env


@pytest.fixture(scope="module")
def monkeypatch_module() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_readme_examples_run_in_order(root: ProfileServer, readme_env: dict[str, Any]) -> None:
    blocks = python_blocks()
    assert len(blocks) >= 12, "the README lost its examples"
    namespace: dict[str, Any] = {"__name__": "readme"}

    def paste_the_callback(prompt: str = "") -> str:
        """The person at the terminal: opens the printed URL, signs in, pastes."""
        sent = namespace["request"]
        return sign_in(root, sent.url, readme_env["REDIRECT_URI"], email=READER)

    namespace["input"] = paste_the_callback
    web_apps = [b for b in blocks if "from fastapi" in b or "from django" in b]
    assert len(web_apps) == 2
    for block in blocks:
        if block not in web_apps:
            exec(compile(block, str(README), "exec"), namespace)
    assert Path("tokens.json").exists()  # the store callback wrote the rotated pair
    assert namespace["space_token"].scope
    assert namespace["seen"].active and namespace["seen"].username == READER


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_readme_fastapi_app_signs_a_user_in(
    root: ProfileServer, readme_env: dict[str, Any]
) -> None:
    from fastapi.testclient import TestClient

    (block,) = [b for b in python_blocks() if "from fastapi" in b]
    namespace: dict[str, Any] = {"__name__": "readme_fastapi", "os": __import__("os")}
    namespace["ISSUER"] = readme_env["AUTHGATE_ISSUER"]
    namespace["CLIENT_ID"], namespace["CLIENT_SECRET"] = (
        readme_env["CLIENT_ID"],
        readme_env["CLIENT_SECRET"],
    )
    exec(compile(block, str(README), "exec"), namespace)
    # The app's callback must be a registered redirect URI: serve it on that address.
    callback = readme_env["REDIRECT_URI"]
    base = callback.removesuffix("/callback")
    with TestClient(namespace["app"], base_url=base) as browser:
        login = browser.get("/login", follow_redirects=False)
        assert login.status_code == 307
        location = sign_in(root, login.headers["location"], callback, email=READER)
        answer = browser.get(location.removeprefix(base))
    assert answer.status_code == 200, answer.text
    assert answer.json()["signed_in"]


def test_readme_django_views_sign_a_user_in(
    root: ProfileServer, readme_env: dict[str, Any]
) -> None:
    import django
    from django.conf import settings

    if not settings.configured:
        host = readme_env["REDIRECT_URI"].split("/")[2]
        settings.configure(
            SECRET_KEY=readme_env["SESSION_SECRET"],
            ALLOWED_HOSTS=[host.split(":")[0]],
            SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
            INSTALLED_APPS=["django.contrib.sessions"],
        )
        django.setup()
    from django.contrib.sessions.backends.signed_cookies import SessionStore
    from django.test import RequestFactory

    (block,) = [b for b in python_blocks() if "from django" in b]
    namespace: dict[str, Any] = {"__name__": "readme_django"}
    namespace["ISSUER"] = readme_env["AUTHGATE_ISSUER"]
    namespace["CLIENT_ID"], namespace["CLIENT_SECRET"] = (
        readme_env["CLIENT_ID"],
        readme_env["CLIENT_SECRET"],
    )
    exec(compile(block, str(README), "exec"), namespace)
    callback = readme_env["REDIRECT_URI"]
    host = callback.split("/")[2]
    factory = RequestFactory(HTTP_HOST=host)
    session = SessionStore()
    request = factory.get("/login")
    request.session = session
    login = namespace["login"](request)
    assert login.status_code == 302
    location = sign_in(root, login["Location"], callback, email=READER)
    back = factory.get(location.split(host, 1)[1])
    back.session = session
    answer = namespace["callback"](back)
    assert answer.status_code == 200, answer.content
    assert json.loads(answer.content)["signed_in"]


def test_clean_virtualenv_install_gives_a_working_client_and_cli(
    root: ProfileServer, app: Any, tmp_path: Path
) -> None:
    # A copy, so that the build leaves nothing in the work tree.
    source = tmp_path / "authgate-client"
    shutil.copytree(
        SDK, source, ignore=shutil.ignore_patterns("build", "tests", "*.egg-info", "__pycache__")
    )
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    done = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=True
    )
    installed = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert "authgate-client" in installed
    assert not installed & SERVER_PACKAGES, installed & SERVER_PACKAGES
    check = (
        "import sys, authgate_client as sdk\n"
        "c = sdk.Client(sys.argv[1], client_id=sys.argv[2], client_secret=sys.argv[3])\n"
        "print(c.client_credentials('read').scope)\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in "
        "('authgate', 'starlette', 'sqlalchemy', 'argon2')]\n"
    )
    used = subprocess.run(
        [python, "-c", check, root.url, app["client_id"], app["client_secret"]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert used.returncode == 0, used.stdout + used.stderr
    assert used.stdout.strip() == "read"
    cli = subprocess.run(
        [env_dir / "bin" / "authgate-client", "token", "--issuer", root.url,
         "--client-id", app["client_id"]],
        env={"AUTHGATE_CLIENT_SECRET": app["client_secret"], "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert json.loads(cli.stdout)["access_token"]
    assert sys.executable != str(python)
