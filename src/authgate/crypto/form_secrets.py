"""Secrets that a form sent twice gets twice, the same: derived from the form's one-time id.

A page with a form that makes a secret (register an app, rotate its secret) carries a
random one-time id (256 bits). The new secret is an HMAC, keyed from ``secret_key``, of that
id and what the form acts on, so that a double submit (two requests, one form) computes the
same secret: the request that loses the race can show the secret the winner stored instead
of making a second one. The id lives only in the browser's page: the database holds the
secret's digest (and for a registration the id's digest), so neither a database copy nor
the key alone yields a secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

_FORM_ID = re.compile(r"[A-Za-z0-9_-]{43}")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class FormSecrets:
    def __init__(self, secret_key: str) -> None:
        self._key = hashlib.sha256(b"authgate-form-secrets:" + secret_key.encode()).digest()

    @staticmethod
    def new_form_id() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def valid_form_id(value: str | None) -> bool:
        return value is not None and _FORM_ID.fullmatch(value) is not None

    def secret(self, purpose: str, form_id: str, *parts: str) -> str:
        """43 URL-safe characters (256 bits), like :func:`authgate.crypto.tokens.new_secret`."""
        message = "\x00".join((purpose, form_id, *parts)).encode("utf-8", "surrogatepass")
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def fingerprint(self, value: bytes | str | None) -> str:
        """A short keyed name for a stored value (a secret's digest, a sealed token), to
        put in a form without showing the value."""
        raw = b"" if value is None else value if isinstance(value, bytes) else value.encode()
        return hmac.new(self._key, b"fingerprint\x00" + raw, hashlib.sha256).hexdigest()[:32]
