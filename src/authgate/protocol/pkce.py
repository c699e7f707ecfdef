"""RFC 7636 Proof Key for Code Exchange."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from authgate.errors import InvalidGrant, InvalidRequest

# §4.1 code_verifier = 43*128unreserved; §4.2 the S256 challenge has the same alphabet.
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def check_challenge(challenge: str | None, method: str | None, *, allow_plain: bool) -> str | None:
    """Validate the authorization request's PKCE parameters; returns the method to store."""
    if challenge is None:
        if method is not None:
            raise InvalidRequest("code_challenge_method was sent without code_challenge")
        return None
    method = method or "plain"  # §4.3: defaults to "plain" if not present
    if method not in {"S256", "plain"}:
        raise InvalidRequest(f"code_challenge_method {method[:20]!r} is not supported; use S256")
    if method == "plain" and not allow_plain:
        raise InvalidRequest("code_challenge_method plain is not allowed; use S256")
    if not _VERIFIER.fullmatch(challenge):
        raise InvalidRequest("code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]")
    return method


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify(verifier: str | None, challenge: str | None, method: str | None) -> None:
    """§4.6: the verifier must match the stored challenge. A code issued without a challenge
    rejects a verifier (RFC 9700 §2.1.1, PKCE downgrade)."""
    if challenge is None:
        if verifier is not None:
            raise InvalidGrant("this code was issued without code_challenge; omit code_verifier")
        return
    if verifier is None:
        raise InvalidGrant("code_verifier is required for this code")
    if not _VERIFIER.fullmatch(verifier):
        raise InvalidGrant("code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]")
    computed = s256(verifier) if method == "S256" else verifier
    if not hmac.compare_digest(computed, challenge):
        raise InvalidGrant("code_verifier does not match the code_challenge")
