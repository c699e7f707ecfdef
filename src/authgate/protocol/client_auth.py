"""Client authentication at the token endpoint (RFC 6749 §2.3, §3.2.1).

Methods: ``client_secret_basic``, ``client_secret_post`` and ``none`` (public clients send
only ``client_id``). A client MUST NOT use more than one method in a request.
"""

from __future__ import annotations

import binascii
from typing import Literal, NamedTuple
from urllib.parse import unquote_plus

from authgate.crypto.tokens import digest, matches
from authgate.domain import Client
from authgate.errors import InvalidClient, InvalidRequest
from authgate.protocol.proven import ProvenMemo
from authgate.protocol.requests import Params
from authgate.storage.base import ClientStore

AuthMethod = Literal["client_secret_basic", "client_secret_post", "none"]
_DUMMY_DIGEST = digest("authgate-no-such-client")
MAX_CLIENT_ID_LENGTH = 200
#: One description for every failure, so that answers do not tell which clients exist or
#: whether one is public or confidential.
AUTH_FAILED = "client authentication failed"


def plausible_client_id(value: str) -> bool:
    """Worth a look-up: not over-long and without NUL (which PostgreSQL text refuses).

    It checks no shape beyond that, on purpose: random ids (``token_urlsafe``) and integer
    ids (``client_id_format = "integer"``) are both accepted whatever the setting says, so
    that switching the format for new clients never locks out the registered ones.
    """
    return len(value) <= MAX_CLIENT_ID_LENGTH and "\x00" not in value


# Immutable and built for every request: a NamedTuple costs half of a frozen dataclass.
class Credentials(NamedTuple):
    client_id: str
    secret: str | None
    method: AuthMethod


def _basic(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise ValueError("not Basic")
    # base64.b64decode(validate=True), without its wrapper's checks: the same strict
    # decoding (a non-ASCII header raises UnicodeEncodeError, a ValueError)
    raw = binascii.a2b_base64(encoded.strip().encode("ascii"), strict_mode=True).decode("utf-8")
    user, sep, password = raw.partition(":")
    if not sep:
        raise ValueError("no colon")
    # RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding.
    if "%" not in raw and "+" not in raw:
        return user, password  # nothing to decode: most clients' ids and secrets
    return unquote_plus(user, errors="strict"), unquote_plus(password, errors="strict")


def extract_credentials(params: Params, authorization: str | None) -> Credentials:
    """Read the client's credentials from the request, without checking them."""
    if authorization and (
        authorization.startswith("Basic ") or authorization.strip().lower().startswith("basic")
    ):
        try:
            client_id, secret = _basic(authorization)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise InvalidClient(AUTH_FAILED) from None
        if "client_secret" in params:
            raise InvalidRequest("send client credentials either by HTTP Basic or in the body")
        if params.get("client_id", client_id) != client_id:
            raise InvalidClient(AUTH_FAILED)
        if not client_id or "\x00" in client_id + secret:
            raise InvalidClient(AUTH_FAILED)
        return Credentials(client_id, secret, "client_secret_basic")
    posted_id = params.get("client_id")
    if posted_id is None:
        raise InvalidClient(AUTH_FAILED)
    posted_secret = params.get("client_secret")
    method: AuthMethod = "none" if posted_secret is None else "client_secret_post"
    return Credentials(posted_id, posted_secret, method)


class ClientAuthenticator:
    def __init__(self, clients: ClientStore, *, proven_entries: int = 10_000) -> None:
        self._clients = clients
        #: HTTP Basic credentials proven, by the header's digest: the client they proved,
        #: while the client cache still holds that very object (protocol/proven.py)
        self.proven: ProvenMemo[Client] = ProvenMemo(proven_entries)

    async def authenticate(self, params: Params, authorization: str | None) -> Client:
        """The authenticated client, or :class:`InvalidClient` (401)."""
        key = None
        if authorization is not None:
            key = ProvenMemo.key(authorization)
            proven = self.proven.recall(key)
            if (
                proven is not None
                and self._clients.peek_by_client_id(proven.client_id)[1] is proven
                and "client_secret" not in params
                and params.get("client_id", proven.client_id) == proven.client_id
            ):
                return proven
        creds = extract_credentials(params, authorization)
        client = None
        if plausible_client_id(creds.client_id):
            found, client = self._clients.peek_by_client_id(creds.client_id)
            if not found:
                client = await self._clients.by_client_id(creds.client_id)
        if client is not None and client.is_public and creds.secret is None:
            return client  # a public client sends only its client_id
        expected = None if client is None or client.is_public else client.secret_digest
        # Unknown and public clients cost the same digest work as a wrong secret.
        ok = creds.secret is not None and matches(creds.secret, expected or _DUMMY_DIGEST)
        if client is None or expected is None or not ok:
            raise InvalidClient(AUTH_FAILED)
        if key is not None and creds.method == "client_secret_basic":
            self.proven.remember(key, client)
        return client
