"""``/users/{id}/sessions`` and ``/users/{id}/grants``: where a user is signed in, and what
apps hold for them; ending either."""

from typing import Annotated

from fastapi import APIRouter, Path, Security
from pydantic import BaseModel

from authgate.domain import TokenId, UserGrant, UserId
from authgate.protocol.admin.clients import ClientAdmin
from authgate.protocol.admin.user_access import UserAccess
from authgate.protocol.user_admin import UserAdmin
from authgate.web.admin_api.auth import AdminBearer, Caller
from authgate.web.admin_api.clients import ClientId, Revoked
from authgate.web.admin_api.users import READ, WRITE, Id


class SessionOut(BaseModel):
    id: int
    #: when the user signed in
    created_at: int
    expires_at: int
    space_id: int | None


class GrantOut(BaseModel):
    client_id: str | None
    space_id: int | None
    scopes: list[str]
    authorized_at: int
    last_used: int | None


class Sessions(BaseModel):
    items: list[SessionOut]


class Grants(BaseModel):
    items: list[GrantOut]


def router(
    users: UserAdmin, access: UserAccess, clients: ClientAdmin, bearer: AdminBearer
) -> APIRouter:
    api = APIRouter(prefix="/users/{user_id}", tags=["users"])

    async def grant_out(grant: UserGrant) -> GrantOut:
        client = await clients.by_pk(grant.client_pk)
        return GrantOut(
            client_id=None if client is None else client.client_id,
            space_id=grant.space_id,
            scopes=sorted(grant.scopes),
            authorized_at=grant.authorized_at,
            last_used=grant.last_used,
        )

    @api.get("/sessions", operation_id="listUserSessions")
    async def list_sessions(
        user_id: Id, caller: Annotated[Caller, Security(bearer, scopes=READ)]
    ) -> Sessions:
        """The user's live sessions (signed-in browsers), oldest first."""
        user = await users.get(UserId(user_id))
        found = await access.sessions(user)
        return Sessions(
            items=[
                SessionOut(
                    id=s.id, created_at=s.created_at, expires_at=s.expires_at, space_id=s.space_id
                )
                for s in found
            ]
        )

    @api.delete("/sessions", operation_id="revokeUserSessions")
    async def revoke_sessions(
        user_id: Id, caller: Annotated[Caller, Security(bearer, scopes=WRITE)]
    ) -> Revoked:
        """Sign the user out everywhere (tokens stay: revoke grants for those)."""
        user = await users.get(UserId(user_id))
        return Revoked(revoked=await access.revoke_sessions(user, actor=caller.actor))

    @api.delete("/sessions/{session_id}", operation_id="revokeUserSession")
    async def revoke_session(
        user_id: Id,
        session_id: Annotated[int, Path(ge=1, le=2**62)],
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)],
    ) -> Revoked:
        user = await users.get(UserId(user_id))
        await access.revoke_session(user, TokenId(session_id), actor=caller.actor)
        return Revoked(revoked=1)

    @api.get("/grants", operation_id="listUserGrants")
    async def list_grants(
        user_id: Id, caller: Annotated[Caller, Security(bearer, scopes=READ)]
    ) -> Grants:
        """Every app (per issuer) holding a consent or a live token of the user."""
        user = await users.get(UserId(user_id))
        return Grants(items=[await grant_out(g) for g in await access.grants(user)])

    @api.delete("/grants", operation_id="revokeUserGrants")
    async def revoke_grants(
        user_id: Id, caller: Annotated[Caller, Security(bearer, scopes=WRITE)]
    ) -> Revoked:
        """Forget every consent of the user and revoke every app's tokens for them."""
        user = await users.get(UserId(user_id))
        return Revoked(revoked=await access.revoke_grants(user, actor=caller.actor))

    @api.delete("/grants/{client_id}", operation_id="revokeUserGrant")
    async def revoke_grant(
        user_id: Id,
        client_id: ClientId,
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)],
    ) -> Revoked:
        """Forget the user's consents to one app and revoke its tokens for them."""
        return await revoke_one(users, clients, access, user_id, client_id, caller)

    return api


async def revoke_one(
    users: UserAdmin,
    clients: ClientAdmin,
    access: UserAccess,
    user_id: int,
    client_id: str,
    caller: Caller,
) -> Revoked:
    """A user's grant to one app: ``/users/{id}/grants/{client_id}`` and
    ``/consents/{user_id}/{client_id}`` are the same operation."""
    user = await users.get(UserId(user_id))
    client = await clients.get(client_id)
    return Revoked(revoked=await access.revoke_grant(user, client, actor=caller.actor))
