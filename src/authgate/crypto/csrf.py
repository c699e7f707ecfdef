"""CSRF tokens bound to a browser: an HMAC of the session (or pre-session) cookie."""

from __future__ import annotations

import hashlib
import hmac


class CsrfSigner:
    def __init__(self, secret_key: str) -> None:
        self._key = hashlib.sha256(b"authgate-csrf:" + secret_key.encode()).digest()

    def _mac(self, binding: str, purpose: str) -> bytes:
        message = f"{purpose}\x00{binding}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest().encode("ascii")

    def token(self, binding: str, purpose: str) -> str:
        return self._mac(binding, purpose).decode("ascii")

    def check(self, binding: str, purpose: str, presented: str | None) -> bool:
        """Constant-time, on bytes: ``compare_digest`` refuses non-ASCII ``str``."""
        if not presented or not binding:
            return False
        return hmac.compare_digest(
            self._mac(binding, purpose), presented.encode("utf-8", "surrogatepass")
        )
