"""``/spaces``: tenants, each its own issuer, and their members (as ``authgate space``)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response, Security
from pydantic import BaseModel, ConfigDict, Field

from authgate.domain import Membership, Space, UserId
from authgate.protocol.admin.space_edits import SpaceEdits
from authgate.protocol.admin.spaces import SpaceAdmin
from authgate.protocol.issuers import IssuerResolver
from authgate.protocol.user_admin import UserAdmin
from authgate.web.admin_api import etags, paging
from authgate.web.admin_api.auth import AdminBearer, Caller
from authgate.web.admin_api.users import Id

READ, WRITE = ["authgate:spaces:read"], ["authgate:spaces"]
Slug = Annotated[str, Path(min_length=1, max_length=63)]
Scopes = Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=50)]


class SpaceOut(BaseModel):
    slug: str
    name: str
    issuer: str
    domains: list[str]
    created_at: int


class SpaceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: Annotated[str, Field(max_length=63)]
    name: Annotated[str, Field(max_length=200)]
    domains: Annotated[list[Annotated[str, Field(max_length=253)]], Field(max_length=20)] = []


class SpacePatch(BaseModel):
    """Values given replace the old ones (``domains`` as a whole); values left out are
    kept."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(max_length=200)] | None = None
    domains: Annotated[list[Annotated[str, Field(max_length=253)]], Field(max_length=20)] | None = (
        None
    )


class MemberOut(BaseModel):
    user_id: int
    role: Literal["admin", "member"]
    name: str | None
    picture: str | None
    phone_number: str | None
    revoked_scopes: list[str]
    created_at: int


class MemberPut(BaseModel):
    """Values given replace the old ones, ``""`` clears one, values left out are kept."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["admin", "member"] | None = None
    name: Annotated[str, Field(max_length=200)] | None = None
    picture: Annotated[str, Field(max_length=2000)] | None = None
    phone_number: Annotated[str, Field(max_length=32)] | None = None


class MemberPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["admin", "member"] | None = None
    #: scopes the member may no longer use in this space
    revoke_scopes: Scopes = []
    #: revoked scopes the member may use again
    restore_scopes: Scopes = []


def member_out(member: Membership) -> MemberOut:
    return MemberOut(
        user_id=member.user_id,
        role=member.role,
        name=member.name,
        picture=member.picture,
        phone_number=member.phone_number,
        revoked_scopes=sorted(member.revoked_scopes),
        created_at=member.created_at,
    )


def router(
    spaces: SpaceAdmin,
    edits: SpaceEdits,
    users: UserAdmin,
    issuers: IssuerResolver,
    bearer: AdminBearer,
) -> APIRouter:
    api = APIRouter(prefix="/spaces", tags=["spaces"])

    def space_out(space: Space, response: Response | None = None) -> SpaceOut:
        out = SpaceOut(
            slug=space.slug,
            name=space.name,
            issuer=issuers.space_issuer(space).url,
            domains=list(space.domains),
            created_at=space.created_at,
        )
        if response is not None:
            etags.tagged(response, etags.content_tag(out.model_dump()))
        return out

    def space_tag(space: Space) -> str:
        return etags.content_tag(space_out(space).model_dump())

    async def as_read(request: Request, slug: str) -> Space:
        """The space as the caller read it: its ETag in ``If-Match`` (or ``*``) must be
        the current one. Spaces have no revision column: the write itself then runs only
        while the name and domains are still these (:class:`SpaceEdits`)."""
        space = await spaces.get(slug)
        etags.require_match(request, space_tag(space), "space")
        return space

    def tagged_member(response: Response, space: Space, member: Membership) -> MemberOut:
        etags.tagged(
            response, etags.revision_tag(f"member.{space.slug}", member.user_id, member.revision)
        )
        return member_out(member)

    def expected(request: Request, space: Space, user_id: int, *, required: bool) -> int | None:
        return etags.expected_revision(request, f"member.{space.slug}", user_id, required=required)

    @api.get("", operation_id="listSpaces")
    async def list_spaces(
        request: Request,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=READ)],
        limit: paging.Limit = 100,
        cursor: paging.Cursor = None,
    ) -> paging.Page[SpaceOut]:
        """Spaces by creation, a page at a time."""
        after = paging.one_key(cursor) or 0
        found = sorted((s for s in await spaces.all() if s.id > after), key=lambda s: s.id)
        items, next_cursor = paging.cut(found[: limit + 1], limit, lambda s: [s.id])
        paging.link_next(request, response, next_cursor)
        return paging.Page[SpaceOut](items=[space_out(s) for s in items], next_cursor=next_cursor)

    @api.post("", status_code=201, operation_id="createSpace")
    async def create_space(
        request: Request,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)],
        body: SpaceCreate,
    ) -> SpaceOut:
        """Create a space: an issuer of its own, on its subdomain or path, and domains."""
        space = await spaces.create(body.slug, body.name, body.domains, actor=caller.actor)
        paging.location(request, response, space.slug)
        return space_out(space, response)

    @api.get("/{slug}", operation_id="getSpace")
    async def get_space(
        slug: Slug, response: Response, caller: Annotated[Caller, Security(bearer, scopes=READ)]
    ) -> SpaceOut:
        return space_out(await spaces.get(slug), response)

    @api.patch("/{slug}", operation_id="updateSpace", openapi_extra=etags.CONDITIONAL)
    async def update_space(
        slug: Slug,
        request: Request,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)],
        body: SpacePatch,
    ) -> SpaceOut:
        """Rename a space or replace its custom domains; needs ``If-Match``."""
        seen = await as_read(request, slug)
        name = seen.name if body.name is None else body.name
        domains = seen.domains if body.domains is None else tuple(body.domains)
        await edits.update(seen, name, domains, actor=caller.actor)
        return space_out(await spaces.get(slug), response)

    @api.delete(
        "/{slug}",
        status_code=204,
        response_class=Response,
        operation_id="deleteSpace",
        openapi_extra=etags.CONDITIONAL,
    )
    async def delete_space(
        slug: Slug,
        request: Request,
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)],
    ) -> Response:
        """Delete a space with its memberships, sessions and the tokens bound to it; its
        issuer answers 404 from then on. Needs ``If-Match``."""
        seen = await as_read(request, slug)
        await edits.delete(seen, actor=caller.actor)
        return Response(status_code=204)

    @api.get("/{slug}/members", operation_id="listMembers")
    async def list_members(
        slug: Slug,
        request: Request,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=READ)],
        limit: paging.Limit = 100,
        cursor: paging.Cursor = None,
    ) -> paging.Page[MemberOut]:
        """Members by user id, a page at a time."""
        space = await spaces.get(slug)
        after = paging.one_key(cursor) or 0
        found = [m for m in await spaces.members(space) if m.user_id > after]
        items, next_cursor = paging.cut(found[: limit + 1], limit, lambda m: [m.user_id])
        paging.link_next(request, response, next_cursor)
        return paging.Page[MemberOut](items=[member_out(m) for m in items], next_cursor=next_cursor)

    @api.get("/{slug}/members/{user_id}", operation_id="getMember")
    async def get_member(
        slug: Slug,
        user_id: Id,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=READ)],
    ) -> MemberOut:
        space = await spaces.get(slug)
        user = await users.get(UserId(user_id))
        return tagged_member(response, space, await spaces.member(space, user))

    @api.put("/{slug}/members/{user_id}", operation_id="putMember", openapi_extra=etags.CONDITIONAL)
    async def put_member(
        slug: Slug,
        user_id: Id,
        request: Request,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)],
        body: MemberPut,
    ) -> MemberOut:
        """Add the user to the space (201), or change their membership: then with
        ``If-Match`` (its ETag as read)."""
        space = await spaces.get(slug)
        user = await users.get(UserId(user_id))
        exists = await spaces.membership(space, user)
        revision = expected(request, space, user.id, required=exists is not None)
        member, added = await spaces.put_member(
            space,
            user,
            actor=caller.actor,
            role=body.role,
            name=body.name,
            picture=body.picture,
            phone_number=body.phone_number,
            revision=revision,
        )
        if added:
            response.status_code = 201
        return tagged_member(response, space, member)

    @api.patch(
        "/{slug}/members/{user_id}", operation_id="updateMember", openapi_extra=etags.CONDITIONAL
    )
    async def update_member(
        slug: Slug,
        user_id: Id,
        request: Request,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)],
        body: MemberPatch,
    ) -> MemberOut:
        """Change a member's role or revoked scopes; needs ``If-Match``."""
        space = await spaces.get(slug)
        user = await users.get(UserId(user_id))
        await spaces.member(space, user)
        revision = expected(request, space, user.id, required=True)
        member = await spaces.update_member(
            space,
            user,
            actor=caller.actor,
            role=body.role,
            revoke=body.revoke_scopes,
            restore=body.restore_scopes,
            revision=revision,
        )
        return tagged_member(response, space, member)

    @api.delete(
        "/{slug}/members/{user_id}",
        status_code=204,
        response_class=Response,
        operation_id="removeMember",
        openapi_extra=etags.CONDITIONAL,
    )
    async def remove_member(
        slug: Slug,
        user_id: Id,
        request: Request,
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)],
    ) -> Response:
        """Remove a member; tokens bound to the space stop working; needs ``If-Match``."""
        space = await spaces.get(slug)
        user = await users.get(UserId(user_id))
        await spaces.member(space, user)
        revision = expected(request, space, user.id, required=True)
        await spaces.remove_member(space, user, actor=caller.actor, revision=revision)
        return Response(status_code=204)

    return api
