"""Symmetric encryption for values that must be shown again (test access tokens)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class SecretBox:
    """Authenticated encryption keyed by the server's secret key."""

    def __init__(self, secret_key: str) -> None:
        key = hashlib.sha256(b"authgate-secretbox:" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str, ttl: int | None = None) -> str | None:
        """The plaintext, or ``None`` when the value was sealed under another key (or,
        with ``ttl``, more than ``ttl`` seconds ago)."""
        try:
            return self._fernet.decrypt(sealed.encode(), ttl=ttl).decode()
        except (InvalidToken, ValueError, UnicodeError):
            return None
