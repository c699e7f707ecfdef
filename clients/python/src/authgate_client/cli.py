"""``authgate-client``: try a platform's API in a minute.

    authgate-client login --issuer URL --client-id ID [--scope "openid read"]
    authgate-client token --issuer URL --client-id ID [--scope read]
    authgate-client refresh --issuer URL --client-id ID < tokens.json

Tokens are printed as one JSON object on standard output; everything else goes to
standard error. A client secret is read from ``AUTHGATE_CLIENT_SECRET`` (or
``--client-secret``) and never printed; errors are one line, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import webbrowser
from collections.abc import Sequence
from typing import Any, NoReturn

import httpx

from authgate_client.client import Client
from authgate_client.errors import AuthgateClientError
from authgate_client.loopback import LoopbackListener
from authgate_client.metadata import ServerMetadata
from authgate_client.tokens import Token
from authgate_client.version import __version__

PROG = "authgate-client"
SECRET_ENV = "AUTHGATE_CLIENT_SECRET"


class _Failure(Exception):
    """A one-line error for the user."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Get OAuth 2.0 tokens from an authgate server (or any OAuth 2.0 / OpenID "
            "Connect server) to try its API. Tokens are printed as JSON on stdout."
        ),
        epilog=f"The client secret comes from ${SECRET_ENV} (or --client-secret).",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def common(sub: argparse.ArgumentParser) -> None:
        where = sub.add_argument_group("server")
        where.add_argument(
            "--issuer",
            metavar="URL",
            help="Issuer URL (the root's, or a space's such as https://auth.example.com/"
            "spaces/acme); its discovery document names the endpoints.",
        )
        where.add_argument(
            "--token-endpoint",
            metavar="URL",
            help="Token endpoint, for a server without discovery (or to override it).",
        )
        who = sub.add_argument_group("client")
        who.add_argument("--client-id", required=True, metavar="ID", help="The app's client id.")
        who.add_argument(
            "--client-secret",
            metavar="SECRET",
            help=f"The app's secret (better: set ${SECRET_ENV}, which other users cannot "
            "see in the process list). Leave both out for a public client.",
        )
        who.add_argument(
            "--auth-method",
            choices=["client_secret_basic", "client_secret_post"],
            help="How the secret is sent (default: client_secret_basic).",
        )
        sub.add_argument(
            "--timeout", type=float, default=10.0, metavar="SECONDS", help="HTTP timeout."
        )

    login = commands.add_parser(
        "login",
        help="Sign a user in through the browser (authorization code, PKCE, loopback).",
        description=(
            "Sign in through the browser, as a native app does (RFC 8252): listen once on "
            "127.0.0.1, open the authorization URL (or print it), receive the redirect, "
            "exchange the code and print the tokens. Register the client with the "
            "redirect URI http://127.0.0.1/callback (any port is accepted for it)."
        ),
    )
    common(login)
    login.add_argument("--scope", metavar="SCOPES", help='Space separated, e.g. "openid read".')
    login.add_argument(
        "--authorization-endpoint",
        metavar="URL",
        help="Authorization endpoint, for a server without discovery.",
    )
    login.add_argument(
        "--port", type=int, default=0, help="Loopback port to listen on (default: any free one)."
    )
    login.add_argument(
        "--no-browser", action="store_true", help="Only print the URL; do not open a browser."
    )
    login.add_argument(
        "--wait",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="How long to wait for the sign-in (default: 300).",
    )

    token = commands.add_parser(
        "token",
        help="Get the app's own token (client credentials).",
        description="Get a token for the app itself (client credentials grant).",
    )
    common(token)
    token.add_argument("--scope", metavar="SCOPES", help='Space separated, e.g. "read write".')

    refresh = commands.add_parser(
        "refresh",
        help="Trade a refresh token for a new pair.",
        description=(
            "Read the JSON a login printed (or just the refresh token) on stdin and print "
            "the new tokens. The refresh token read is revoked by the server: keep the new one."
        ),
    )
    common(refresh)
    refresh.add_argument("--scope", metavar="SCOPES", help="A narrower scope, if wanted.")
    return parser


def _client(args: argparse.Namespace) -> Client:
    secret = args.client_secret or os.environ.get(SECRET_ENV) or None
    if not args.issuer and not args.token_endpoint:
        raise _Failure("give --issuer URL (or --token-endpoint URL for a server without discovery)")
    explicit = None
    authorize = getattr(args, "authorization_endpoint", None)
    if args.token_endpoint or authorize:
        # With --issuer too, these win over its discovery document, or stand in for it.
        explicit = ServerMetadata(
            issuer=args.issuer, token_endpoint=args.token_endpoint, authorization_endpoint=authorize
        )
    return Client(
        args.issuer,
        client_id=args.client_id,
        client_secret=secret,
        metadata=explicit,
        auth_method=args.auth_method if secret else None,
        timeout=args.timeout,
    )


def _printable(token: Token) -> dict[str, Any]:
    data: dict[str, Any] = {"access_token": token.access_token, "token_type": token.token_type}
    left = token.expires_in()
    if left is not None:
        data["expires_in"] = max(0, round(left))
    for name in ("refresh_token", "scope", "id_token", "issued_token_type"):
        if getattr(token, name) is not None:
            data[name] = getattr(token, name)
    data.update(token.extra)
    if token.id_token_claims is not None:
        data["id_token_claims"] = dict(token.id_token_claims)
    return data


def _login(client: Client, args: argparse.Namespace) -> Token:
    try:
        listener = LoopbackListener(port=args.port)
    except OSError as exc:
        raise _Failure(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from None
    with listener:
        request = client.authorization_url(listener.redirect_uri, args.scope)
        print("Open this URL in a browser to sign in:", file=sys.stderr)
        print(f"  {request.url}", file=sys.stderr, flush=True)
        if not args.no_browser:
            webbrowser.open(request.url)
        print(f"Waiting for the redirect to {listener.redirect_uri} ...", file=sys.stderr)
        callback = listener.wait(args.wait)
    if callback is None:
        raise _Failure(f"no sign-in within {args.wait:g} seconds")
    return client.exchange_code(request, callback)


def _stdin_refresh_token() -> str:
    text = sys.stdin.read().strip()
    if not text:
        raise _Failure("give the refresh token (or the JSON a login printed) on stdin")
    if text.startswith("{"):
        try:
            value = json.loads(text).get("refresh_token")
        except (ValueError, AttributeError):
            raise _Failure("stdin is not the JSON of a token") from None
        if not isinstance(value, str) or not value:
            raise _Failure("the JSON on stdin has no refresh_token")
        return value
    return text


def _run(args: argparse.Namespace) -> Token:
    with _client(args) as client:
        if args.command == "login":
            return _login(client, args)
        if args.command == "token":
            return client.client_credentials(args.scope)
        return client.refresh(_stdin_refresh_token(), args.scope)


def _fail(message: str) -> NoReturn:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    raise SystemExit(1)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        token = _run(args)
    except _Failure as exc:
        _fail(str(exc))
    except AuthgateClientError as exc:
        _fail(str(exc))
    except httpx.HTTPError as exc:
        where = exc.request.url.copy_with(query=None) if _has_request(exc) else "the server"
        _fail(f"cannot reach {where}: {exc or type(exc).__name__}")
    except ValueError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted")
    json.dump(_printable(token), sys.stdout, indent=2)
    sys.stdout.write("\n")


def _has_request(exc: httpx.HTTPError) -> bool:
    try:
        exc.request  # noqa: B018
    except RuntimeError:
        return False
    return True


if __name__ == "__main__":  # pragma: no cover
    main()
