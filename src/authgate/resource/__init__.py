"""The resource-server kit: what a platform imports to protect its own API.

- :class:`BearerAuth`: RFC 6750 token extraction, scope checks and error responses, with
  a decorator for Starlette endpoints (:mod:`authgate.resource.fastapi` for FastAPI).
- Three verifiers with one result, :class:`VerifiedToken`: :class:`LocalVerifier`
  (authgate's own database), :class:`IntrospectionVerifier` (RFC 7662, for an API that runs
  as another service) and :class:`JwtVerifier` (RFC 9068 JWTs, checked with the JWKS).
"""

from __future__ import annotations

from authgate.resource.bearer import BearerAuth, token_of
from authgate.resource.introspection import IntrospectionVerifier
from authgate.resource.jwt import JwtVerifier
from authgate.resource.local import LocalVerifier
from authgate.resource.token import TokenVerifier, VerifiedToken

__all__ = [
    "BearerAuth",
    "IntrospectionVerifier",
    "JwtVerifier",
    "LocalVerifier",
    "TokenVerifier",
    "VerifiedToken",
    "token_of",
]
