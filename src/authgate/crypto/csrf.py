"""CSRF tokens bound to a browser: an HMAC of the session (or pre-session) cookie."""

from __future__ import annotations

import hashlib
import hmac


class CsrfSigner:
    def __init__(self, secret_key: str) -> None:
        self._key = hashlib.sha256(b"authgate-csrf:" + secret_key.encode()).digest()

    def token(self, binding: str, purpose: str) -> str:
        mac = hmac.new(self._key, f"{purpose}\x00{binding}".encode(), hashlib.sha256)
        return mac.hexdigest()

    def check(self, binding: str, purpose: str, presented: str | None) -> bool:
        if not presented or not binding:
            return False
        return hmac.compare_digest(self.token(binding, purpose), presented)
