"""Helpers for the OpenID Connect tests: verify id tokens as a relying party would."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from authgate.domain import Membership, Space, SpaceId, UserId
from authgate.services import Services
from authgate.storage.base import SpaceStore

CB = "https://app.example.com/callback"


async def verify_id_token(
    http: httpx.AsyncClient, id_token: str, *, issuer: str, client_id: str
) -> dict[str, Any]:
    """Signature against the issuer's published JWKS, then Core §3.1.3.7's checks."""
    metadata = (await http.get(issuer + "/.well-known/openid-configuration")).json()
    assert metadata["issuer"] == issuer
    jwks = (await http.get(metadata["jwks_uri"])).json()
    keys = KeySet.import_key_set(jwks)
    token = jwt.decode(id_token, keys, algorithms=["RS256", "ES256", "EdDSA"])
    claims: dict[str, Any] = token.claims
    assert token.header["kid"] in {k["kid"] for k in jwks["keys"]}
    assert claims["iss"] == issuer
    assert claims["aud"] == client_id
    assert claims["iat"] <= claims["exp"]
    return claims


def left_half_hash(value: str) -> str:
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


async def space_with_member(
    services: Services,
    user_id: UserId | None,
    *,
    slug: str = "acme",
    domains: tuple[str, ...] = (),
    name: str | None = "Alice at Acme",
) -> Space:
    space = await services.spaces.create(slug, slug.title(), domains, services.minter.now())
    if user_id is not None:
        await services.spaces.add_member(
            Membership(
                space_id=SpaceId(space.id),
                user_id=user_id,
                role="member",
                name=name,
                picture="https://img.example.com/alice.png",
                phone_number="+49 30 1234567",
                created_at=services.minter.now(),
            )
        )
    return space


async def change_member(
    spaces: SpaceStore, space_id: SpaceId, user_id: UserId, **changes: Any
) -> Membership:
    """What ``authgate space update-member`` does, through ``spaces`` (this server's store,
    or another process's)."""
    old = await spaces.membership(space_id, user_id)
    assert old is not None
    return await spaces.add_member(dataclasses.replace(old, **changes))
