"""Client authentication at the token endpoint (RFC 6749 §2.3, §3.2.1).

Methods: ``client_secret_basic``, ``client_secret_post`` and ``none`` (public clients send
only ``client_id``). A client MUST NOT use more than one method in a request.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote_plus

from authgate.crypto.tokens import digest, matches
from authgate.domain import Client
from authgate.errors import InvalidClient, InvalidRequest
from authgate.protocol.requests import Params
from authgate.storage.base import ClientStore

AuthMethod = Literal["client_secret_basic", "client_secret_post", "none"]
_DUMMY_DIGEST = digest("authgate-no-such-client")


@dataclass(frozen=True, slots=True)
class Credentials:
    client_id: str
    secret: str | None
    method: AuthMethod


def _basic(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise ValueError("not Basic")
    raw = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    user, sep, password = raw.partition(":")
    if not sep:
        raise ValueError("no colon")
    # RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding.
    return unquote_plus(user, errors="strict"), unquote_plus(password, errors="strict")


def extract_credentials(params: Params, authorization: str | None) -> Credentials:
    """Read the client's credentials from the request, without checking them."""
    if authorization and authorization.strip().lower().startswith("basic"):
        try:
            client_id, secret = _basic(authorization)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise InvalidClient("malformed HTTP Basic credentials") from None
        if "client_secret" in params:
            raise InvalidRequest("send client credentials either by HTTP Basic or in the body")
        if params.get("client_id", client_id) != client_id:
            raise InvalidClient("client_id does not match HTTP Basic credentials")
        if not client_id or "\x00" in client_id + secret:
            raise InvalidClient("malformed HTTP Basic credentials")
        return Credentials(client_id, secret, "client_secret_basic")
    posted_id = params.get("client_id")
    if posted_id is None:
        raise InvalidClient("client authentication is required: send client_id")
    posted_secret = params.get("client_secret")
    method: AuthMethod = "none" if posted_secret is None else "client_secret_post"
    return Credentials(posted_id, posted_secret, method)


class ClientAuthenticator:
    def __init__(self, clients: ClientStore) -> None:
        self._clients = clients

    async def authenticate(self, params: Params, authorization: str | None) -> Client:
        """The authenticated client, or :class:`InvalidClient` (401)."""
        creds = extract_credentials(params, authorization)
        client = await self._clients.by_client_id(creds.client_id)
        if client is None:
            if creds.secret is not None:
                matches(creds.secret, _DUMMY_DIGEST)  # same work as for a known client
            raise InvalidClient("unknown client or wrong client credentials")
        if client.is_public:
            if creds.secret is not None:
                raise InvalidClient("this client is public and has no secret; send only client_id")
            return client
        if creds.secret is None:
            raise InvalidClient("this client is confidential: send its client_secret")
        if not matches(creds.secret, client.secret_digest):
            raise InvalidClient("unknown client or wrong client credentials")
        return client
