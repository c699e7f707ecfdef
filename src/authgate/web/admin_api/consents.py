"""``/consents``: what users granted apps, across users; revoking one (which revokes the
app's tokens for the user too)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, Security
from pydantic import BaseModel

from authgate.domain import UserId
from authgate.protocol.admin.clients import ClientAdmin
from authgate.protocol.admin.user_access import UserAccess
from authgate.protocol.user_admin import UserAdmin
from authgate.web.admin_api import paging
from authgate.web.admin_api.auth import AdminBearer, Caller
from authgate.web.admin_api.clients import ClientId, Revoked
from authgate.web.admin_api.user_access import revoke_one
from authgate.web.admin_api.users import READ, WRITE, Id


class ConsentOut(BaseModel):
    user_id: int
    client_id: str | None
    #: the space whose issuer it was given on; ``null``: the root issuer
    space_id: int | None
    scopes: list[str]
    granted_at: int


def router(
    users: UserAdmin, access: UserAccess, clients: ClientAdmin, bearer: AdminBearer
) -> APIRouter:
    api = APIRouter(prefix="/consents", tags=["consents"])

    @api.get("", operation_id="listConsents")
    async def list_consents(
        request: Request,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=READ)],
        user_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
        client_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
        limit: paging.Limit = 100,
        cursor: paging.Cursor = None,
    ) -> paging.Page[ConsentOut]:
        """Consents by user, app and issuer; of one user or one app if named."""
        user = None if user_id is None else await users.get(UserId(user_id))
        client = None if client_id is None else await clients.get(client_id)
        after = paging.decode(cursor, 3)
        found = await access.consents(
            user=user,
            client=client,
            after=None if after is None else (after[0], after[1], after[2]),
            limit=limit + 1,
        )
        items, next_cursor = paging.cut(
            found, limit, lambda c: [c.user_id, c.client_pk, c.space_id or 0]
        )
        paging.link_next(request, response, next_cursor)
        out = []
        for consent in items:
            app = await clients.by_pk(consent.client_pk)
            out.append(
                ConsentOut(
                    user_id=consent.user_id,
                    client_id=None if app is None else app.client_id,
                    space_id=consent.space_id,
                    scopes=sorted(consent.scopes),
                    granted_at=consent.granted_at,
                )
            )
        return paging.Page[ConsentOut](items=out, next_cursor=next_cursor)

    @api.delete("/{user_id}/{client_id}", operation_id="revokeConsent")
    async def revoke_consent(
        user_id: Id,
        client_id: ClientId,
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)],
    ) -> Revoked:
        """Forget the user's consents to the app (every issuer) and revoke its tokens."""
        return await revoke_one(users, clients, access, user_id, client_id, caller)

    return api
