"""``/keys``: the keys that sign id tokens and JWT access tokens (as ``authgate keys``)."""

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Response, Security
from pydantic import BaseModel, ConfigDict

from authgate.crypto.keys import Algorithm
from authgate.domain import SigningKey
from authgate.protocol.keyring import KeyRing
from authgate.web.admin_api import etags
from authgate.web.admin_api.auth import AdminBearer, Caller

READ, WRITE = ["authgate:keys:read"], ["authgate:keys"]


class KeyOut(BaseModel):
    kid: str
    alg: str
    #: next (published, not signing yet), active, retiring (still published), retired
    state: str
    created_at: int
    signs_from: int
    retired_at: int | None


class Keys(BaseModel):
    items: list[KeyOut]


class Rotate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: default: the ``id_token_signing_alg`` setting
    alg: Literal["RS256", "ES256", "EdDSA"] | None = None


class Rotated(KeyOut):
    #: the kids of the keys it replaces (they stay published for the grace period)
    replaces: list[str]


def router(ring: KeyRing, clock: Callable[[], float], bearer: AdminBearer) -> APIRouter:
    api = APIRouter(prefix="/keys", tags=["keys"])

    def key_out(key: SigningKey, now: float) -> KeyOut:
        return KeyOut(
            kid=key.kid,
            alg=key.alg,
            state=ring.state(key, now),
            created_at=key.created_at,
            signs_from=key.signs_from,
            retired_at=key.retired_at,
        )

    @api.get("", operation_id="listKeys")
    async def list_keys(
        response: Response, caller: Annotated[Caller, Security(bearer, scopes=READ)]
    ) -> Keys:
        """Every stored key, oldest first."""
        at = clock()
        out = Keys(items=[key_out(k, at) for k in await ring.keys()])
        etags.tagged(response, etags.content_tag(out.model_dump()))
        return out

    @api.post("/rotate", status_code=201, operation_id="rotateKey")
    async def rotate_key(
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)], body: Rotate | None = None
    ) -> Rotated:
        """Add a signing key: published at once, signing once every worker and relying
        party has it (at once if no key signs yet)."""
        alg: Algorithm | None = None if body is None else body.alg
        key, replaced = await ring.rotate_by(caller.actor, alg)
        return Rotated(**key_out(key, max(clock(), key.created_at)).model_dump(), replaces=replaced)

    return api
