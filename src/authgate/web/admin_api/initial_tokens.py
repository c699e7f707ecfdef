"""``/initial-tokens``: RFC 7591 §3 initial access tokens, as ``authgate client
initial-token`` makes them, listed and revoked. A token is shown once, in the answer that
creates it; only its digest is stored."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, Security
from pydantic import BaseModel, ConfigDict, Field

from authgate.protocol.admin.errors import NotFound
from authgate.protocol.initial_tokens import MAX_SECONDS, MAX_USES, InitialTokens
from authgate.storage.registrations import InitialAccessToken
from authgate.web.admin_api import paging
from authgate.web.admin_api.auth import AdminBearer, Caller

READ, WRITE = ["authgate:clients:read"], ["authgate:clients"]
TokenKey = Annotated[int, Path(ge=1, lt=paging.MAX_KEY)]


class InitialTokenOut(BaseModel):
    id: int
    created_at: int
    #: ``null``: it never expires
    expires_at: int | None
    #: ``null``: any number of registrations
    max_uses: int | None
    #: registrations made with it
    uses: int
    created_by: str | None


class InitialTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: seconds it can be used; ``null``: never expires
    expires_in: Annotated[int, Field(ge=1, le=MAX_SECONDS)] | None = 86400
    #: registrations it allows; ``null``: any number
    max_uses: Annotated[int, Field(ge=1, le=MAX_USES)] | None = None


class InitialTokenCreated(InitialTokenOut):
    #: the bearer token for ``POST /oauth/register``; shown only now
    initial_access_token: str


def token_out(row: InitialAccessToken) -> InitialTokenOut:
    return InitialTokenOut(
        id=row.id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        max_uses=row.max_uses,
        uses=row.uses,
        created_by=row.created_by,
    )


def router(tokens: InitialTokens, bearer: AdminBearer) -> APIRouter:
    api = APIRouter(prefix="/initial-tokens", tags=["initial tokens"])

    @api.get("", operation_id="listInitialTokens")
    async def list_tokens(
        request: Request,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=READ)],
        limit: paging.Limit = 100,
        cursor: paging.Cursor = None,
    ) -> paging.Page[InitialTokenOut]:
        """Initial access tokens by creation, expired and used-up ones too, until revoked."""
        found = await tokens.page(after=paging.one_key(cursor), limit=limit + 1)
        items, next_cursor = paging.cut(found, limit, lambda t: [t.id])
        paging.link_next(request, response, next_cursor)
        return paging.Page[InitialTokenOut](
            items=[token_out(t) for t in items], next_cursor=next_cursor
        )

    @api.post("", status_code=201, operation_id="createInitialToken")
    async def create_token(
        request: Request,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)],
        body: InitialTokenCreate,
    ) -> InitialTokenCreated:
        """A new initial access token (RFC 7591 §3), shown only in this answer."""
        issued = await tokens.create(
            expires_in=body.expires_in, max_uses=body.max_uses, actor=caller.actor
        )
        paging.location(request, response, issued.row.id)
        return InitialTokenCreated(
            **token_out(issued.row).model_dump(), initial_access_token=issued.token
        )

    @api.get("/{token_id}", operation_id="getInitialToken")
    async def get_token(
        token_id: TokenKey, caller: Annotated[Caller, Security(bearer, scopes=READ)]
    ) -> InitialTokenOut:
        row = await tokens.get(token_id)
        if row is None:
            raise NotFound(f"no initial access token {token_id}")
        return token_out(row)

    @api.delete(
        "/{token_id}",
        status_code=204,
        response_class=Response,
        operation_id="revokeInitialToken",
    )
    async def revoke_token(
        token_id: TokenKey, caller: Annotated[Caller, Security(bearer, scopes=WRITE)]
    ) -> Response:
        """Revoke the token: no registration can use it from now on; the clients it
        registered stay."""
        if not await tokens.revoke(token_id, actor=caller.actor):
            raise NotFound(f"no initial access token {token_id}")
        return Response(status_code=204)

    return api
