"""``/users``: people who sign in; search, pages, the server-admin role, disabling."""

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response, Security
from pydantic import BaseModel, ConfigDict, Field

from authgate.domain import User, UserId
from authgate.errors import InsufficientScope
from authgate.protocol.admin.scopes import ADMIN
from authgate.protocol.user_admin import UserAdmin
from authgate.storage.base import UserHoldings
from authgate.web.admin_api import etags, paging
from authgate.web.admin_api.auth import AdminBearer, Caller

READ, WRITE = ["authgate:users:read"], ["authgate:users"]
Id = Annotated[int, Path(ge=1, le=2**62)]
Email = Annotated[str, Field(max_length=320)]
Password = Annotated[str, Field(max_length=1024)]
Name = Annotated[str, Field(max_length=200)]


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    active: bool
    email_verified: bool
    #: a server administrator (the admin console lets only them in)
    is_admin: bool
    subject: str
    picture: str | None
    phone_number: str | None
    created_at: int


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Email
    password: Password
    name: Name = ""
    #: needs an ``authgate:admin`` token
    is_admin: bool = False


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Email | None = None
    name: Name | None = None
    email_verified: bool | None = None
    #: needs an ``authgate:admin`` token
    is_admin: bool | None = None


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: Password


class Holdings(BaseModel):
    sessions: int
    access_tokens: int
    refresh_tokens: int
    codes: int


class Disabled(BaseModel):
    user: UserOut
    #: what disabling revoked
    revoked: Holdings


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        active=user.is_active,
        email_verified=user.email_verified,
        is_admin=user.is_admin,
        subject=user.subject,
        picture=user.picture,
        phone_number=user.phone_number,
        created_at=user.created_at,
    )


def etag_of(user: User) -> str:
    return etags.revision_tag("user", user.id, user.revision)


def _admin_role(caller: Caller, is_admin: bool | None) -> None:
    """Making (or unmaking) a server administrator takes ``authgate:admin``."""
    if is_admin is not None and not caller.privileged:
        raise InsufficientScope(f"only a token with {ADMIN} may change is_admin", ADMIN)


def _tagged_user(response: Response, user: User) -> UserOut:
    etags.tagged(response, etag_of(user))
    return user_out(user)


def router(admin: UserAdmin, bearer: AdminBearer) -> APIRouter:
    api = APIRouter(prefix="/users", tags=["users"])

    @api.get("", operation_id="listUsers")
    async def list_users(
        request: Request,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=READ)],
        search: Annotated[
            str | None,
            Query(max_length=320, description="A part of the e-mail address or the name."),
        ] = None,
        limit: paging.Limit = 100,
        cursor: paging.Cursor = None,
    ) -> paging.Page[UserOut]:
        """Users by id, a page at a time; ``search`` matches in any case."""
        after = paging.one_key(cursor)
        found = await admin.page(
            after=None if after is None else UserId(after), limit=limit + 1, search=search
        )
        items, next_cursor = paging.cut(found, limit, lambda u: [u.id])
        paging.link_next(request, response, next_cursor)
        return paging.Page[UserOut](items=[user_out(u) for u in items], next_cursor=next_cursor)

    @api.post("", status_code=201, operation_id="createUser")
    async def create_user(
        request: Request,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)],
        body: UserCreate,
    ) -> UserOut:
        _admin_role(caller, body.is_admin or None)
        user = await admin.create(body.email, body.password, body.name, actor=caller.actor)
        if body.is_admin:
            user = await admin.update(user, actor=caller.actor, is_admin=True)
        paging.location(request, response, user.id)
        return _tagged_user(response, user)

    @api.get("/{user_id}", operation_id="getUser")
    async def get_user(
        user_id: Id, response: Response, caller: Annotated[Caller, Security(bearer, scopes=READ)]
    ) -> UserOut:
        return _tagged_user(response, await admin.get(UserId(user_id)))

    @api.patch("/{user_id}", operation_id="updateUser", openapi_extra=etags.CONDITIONAL)
    async def update_user(
        user_id: Id,
        request: Request,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)],
        body: UserPatch,
    ) -> UserOut:
        """Change a user; needs ``If-Match`` (its ETag as read)."""
        _admin_role(caller, body.is_admin)
        user = await admin.get(UserId(user_id))
        revision = etags.expected_revision(request, "user", user.id)
        updated = await admin.update(
            user,
            actor=caller.actor,
            email=body.email,
            name=body.name,
            email_verified=body.email_verified,
            is_admin=body.is_admin,
            revision=revision,
        )
        return _tagged_user(response, updated)

    @api.delete(
        "/{user_id}",
        status_code=204,
        response_class=Response,
        operation_id="deleteUser",
        openapi_extra=etags.CONDITIONAL,
    )
    async def delete_user(
        user_id: Id,
        request: Request,
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)],
        owned_clients: Annotated[
            Literal["refuse", "delete", "keep"],
            Query(description="What becomes of clients the user owns (refuse: 409)."),
        ] = "refuse",
    ) -> Response:
        """Delete a user and what they hold; needs ``If-Match``."""
        user = await admin.get(UserId(user_id))
        revision = etags.expected_revision(request, "user", user.id)
        await admin.delete(user, actor=caller.actor, owned_clients=owned_clients, revision=revision)
        return Response(status_code=204)

    @api.post("/{user_id}/disable", operation_id="disableUser")
    async def disable_user(
        user_id: Id, response: Response, caller: Annotated[Caller, Security(bearer, scopes=WRITE)]
    ) -> Disabled:
        """Stop the user signing in; revoke their sessions and tokens at once."""
        user = await admin.get(UserId(user_id))
        held: UserHoldings = await admin.disable(user, actor=caller.actor)
        return Disabled(
            user=_tagged_user(response, await admin.get(user.id)),
            revoked=Holdings(
                sessions=held.sessions,
                access_tokens=held.access_tokens,
                refresh_tokens=held.refresh_tokens,
                codes=held.codes,
            ),
        )

    @api.post("/{user_id}/enable", operation_id="enableUser")
    async def enable_user(
        user_id: Id, response: Response, caller: Annotated[Caller, Security(bearer, scopes=WRITE)]
    ) -> UserOut:
        """The user may sign in again; what was revoked stays revoked."""
        user = await admin.get(UserId(user_id))
        await admin.enable(user, actor=caller.actor)
        return _tagged_user(response, await admin.get(user.id))

    @api.put(
        "/{user_id}/password",
        status_code=204,
        response_class=Response,
        operation_id="setUserPassword",
    )
    async def set_password(
        user_id: Id, body: PasswordIn, caller: Annotated[Caller, Security(bearer, scopes=WRITE)]
    ) -> Response:
        """A new password; sessions and tokens are kept (disable the user to end them)."""
        user = await admin.get(UserId(user_id))
        await admin.set_password(user, body.password, actor=caller.actor)
        return Response(status_code=204)

    return api
