"""Which names stand for credentials, wherever a name and a value are written down: the
query parameters of the access log, the details of the audit log.

RFC 6750 §5.3: "Don't pass bearer tokens in page URLs" — clients still do, and redirect
URIs carry authorization codes (RFC 6749 §4.1.2), so logs must not keep their values.
"""

from __future__ import annotations

#: Parameters whose values are credentials (RFC 6749, 6750, 7521, 7636, 8693, OIDC).
CREDENTIALS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "code",
        "client_secret",
        "password",
        "code_verifier",
        "csrf_token",
        "assertion",
        "client_assertion",
        "subject_token",
        "actor_token",
        "id_token_hint",
    }
)
#: Parameters of a URL whose values name a user: the password grant's ``username`` (RFC 6749
#: §4.3.2), which names the account the password beside it opens (a token URL may carry
#: both: ``token_params_in_query``), and OpenID Connect's ``login_hint`` (Core §3.1.2.1),
#: an e-mail address more often than not.
PERSONAL = frozenset({"username", "login_hint", "email"})
#: What the access log redacts by name.
SECRET_PARAMETERS = CREDENTIALS | PERSONAL
#: Names that contain these are taken for credentials too (``logout_token``,
#: ``new_password``, ``x-api-secret``, ``accessToken``, ``pwd``) ...
SECRET_PARTS = ("token", "secret", "password", "passwd", "pwd")
#: ... except the parameters that only name a kind of token (RFC 7009 §2.1, RFC 8693 §2.1,
#: RFC 6749 §5.1), whose values are fixed words or URNs that help to read a log, and the
#: settings of a client that describe its tokens (in the audit log's details).
TOKEN_KINDS = frozenset(
    {
        "token_type_hint",
        "token_type",
        "subject_token_type",
        "actor_token_type",
        "requested_token_type",
        "issued_token_type",
        "token_lifetime",
        "access_token_format",
    }
)


def is_credential_name(name: str) -> bool:
    """``name`` names a credential: one of :data:`CREDENTIALS`, or a name containing one of
    :data:`SECRET_PARTS` that is not one of :data:`TOKEN_KINDS`."""
    name = name.strip().lower()
    if name in CREDENTIALS:
        return True
    return name not in TOKEN_KINDS and any(part in name for part in SECRET_PARTS)


def is_secret_name(name: str) -> bool:
    """``name`` (decoded) names a credential, or a user (:data:`PERSONAL`)."""
    return name.strip().lower() in PERSONAL or is_credential_name(name)
