"""The demo platform's space resources: a user's spaces, one space, its members.

Seed 001: public data needs no token; private data needs a token whose scope, narrowed to
what the user may do in that space *now*, covers the endpoint. Seed 002: a user token
reaches every space the user belongs to; a space-bound token (RFC 8693 exchange, or one
issued by the space's own issuer) only its own space.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from authgate.demo_api.bodies import read_body
from authgate.demo_api.scopes import ApiScopes
from authgate.domain import Membership, Space
from authgate.errors import InsufficientScope, InvalidRequest, InvalidToken, OAuthError
from authgate.protocol import space_fields
from authgate.protocol.issuers import valid_slug
from authgate.protocol.permissions import Permissions
from authgate.protocol.scopes import format_scope
from authgate.resource.bearer import BearerAuth, token_of
from authgate.resource.responses import JsonResponse
from authgate.resource.token import VerifiedToken
from authgate.storage.base import SpaceStore, UserStore


def not_found(what: str) -> Response:
    return JsonResponse({"error": "not_found", "error_description": what}, status_code=404)


class SpaceResources:
    def __init__(
        self,
        bearer: BearerAuth,
        spaces: SpaceStore,
        users: UserStore,
        rights: Permissions,
        scopes: ApiScopes,
    ) -> None:
        self._needs = scopes
        self._bearer = bearer
        self._spaces = spaces
        self._users = users
        self._rights = rights

    async def scopes_in(self, token: VerifiedToken, space: Space) -> frozenset[str] | None:
        """What ``token`` may do in ``space`` now (:meth:`Permissions.scopes_in`); ``None``:
        nothing. A token bound to another space is refused outright."""
        if token.space is not None and token.space != space.slug:
            raise InvalidToken("other_space")
        assert token.local is not None, "the demo API checks tokens locally"
        return await self._rights.scopes_in(token.local, space.id)

    async def _path_space(self, request: Request) -> Space | None:
        """The space the path names; anything that is no slug names none."""
        slug: str = request.path_params["slug"]
        return await self._spaces.by_slug(slug) if valid_slug(slug) else None

    @staticmethod
    def _summary(space: Space) -> dict[str, Any]:
        return {"slug": space.slug, "name": space.name}

    async def list_spaces(self, request: Request) -> Response:
        """The spaces the token reaches: every space of its user, or its bound space."""
        token = token_of(request)
        found: list[dict[str, Any]] = []
        if token.user_id is not None:
            for space, member in await self._spaces.spaces_of(token.user_id):
                if token.space is not None and token.space != space.slug:
                    continue
                scopes = await self.scopes_in(token, space)
                if scopes is not None:
                    found.append(self._member_view(space, member, scopes))
        elif token.space is not None:
            bound = await self._spaces.by_slug(token.space)
            if bound is not None:
                found.append({**self._summary(bound), "scope": format_scope(token.scopes)})
        return JsonResponse({"spaces": found})

    def _member_view(
        self, space: Space, member: Membership, scopes: frozenset[str]
    ) -> dict[str, Any]:
        return {**self._summary(space), "role": member.role, "scope": format_scope(scopes)}

    async def show_space(self, request: Request) -> Response:
        """Public: the space's name. With a member's token: their role and scope there."""
        space = await self._path_space(request)
        if space is None:
            return not_found("no such space")
        try:
            token = await self._bearer.optional(request)
            body = self._summary(space)
            if token is not None:
                scopes = await self.scopes_in(token, space)
                if scopes is not None:
                    body["scope"] = format_scope(scopes)
                    if token.user_id is not None:
                        member = await self._spaces.membership(space.id, token.user_id)
                        body["role"] = None if member is None else member.role
        except OAuthError as exc:
            return self._bearer.error_response(exc)
        return JsonResponse(body)

    async def _space_for(self, request: Request, needed: str) -> tuple[Space, VerifiedToken]:
        """The path's space, when the token may use ``needed`` in it."""
        space = await self._path_space(request)
        if space is None:
            raise LookupError
        token = token_of(request)
        scopes = await self.scopes_in(token, space)
        if scopes is None or needed not in scopes:
            raise InsufficientScope(
                f"this request needs the scope {needed!r} in the space {space.slug!r}", needed
            )
        return space, token

    async def list_members(self, request: Request) -> Response:
        """Admins only (scope ``admin``, not revoked): the space's members."""
        try:
            space, _ = await self._space_for(request, self._needs.admin)
        except LookupError:
            return not_found("no such space")
        except OAuthError as exc:
            return self._bearer.error_response(exc)
        members = []
        for member in await self._spaces.members(space.id):
            user = await self._users.by_id(member.user_id)
            if user is None:
                continue
            members.append(
                {
                    "sub": user.subject,
                    "email": user.email,
                    "name": member.name or user.name,
                    "role": member.role,
                }
            )
        return JsonResponse({"space": space.slug, "members": members})

    async def update_my_membership(self, request: Request) -> Response:
        """Seed 001's writes: form-encoded or JSON. Changes the name, picture and phone
        number the member's id tokens carry in this space (scope ``write``, a user's token).

        Routed behind ``requires("write", user=True)``: a client acting for itself is no
        member, and never gets here."""
        try:
            space, token = await self._space_for(request, self._needs.write)
            assert token.user_id is not None  # requires(write, user=True) made sure
            member = await self._spaces.membership(space.id, token.user_id)
            if member is None:
                raise InsufficientScope("only members may change their profile", self._needs.write)
            changes = _profile_changes(await read_body(request))
            updated = await self._spaces.add_member(_replace(member, changes))
        except LookupError:
            return not_found("no such space")
        except OAuthError as exc:
            return self._bearer.error_response(exc)
        return JsonResponse(
            {
                "space": space.slug,
                "name": updated.name,
                "picture": updated.picture,
                "phone_number": updated.phone_number,
            }
        )


_FIELDS = {
    "name": space_fields.name,
    "picture": space_fields.picture,
    "phone_number": space_fields.phone,
}


def _profile_changes(body: dict[str, Any]) -> dict[str, str | None]:
    unknown = sorted(set(body) - set(_FIELDS))
    if unknown:
        raise InvalidRequest(
            f"unknown field {unknown[0][:40]!r}; known: name, picture, phone_number"
        )
    if not body:
        raise InvalidRequest("nothing to change: send name, picture or phone_number")
    changes: dict[str, str | None] = {}
    for field, value in body.items():
        if value is not None and not isinstance(value, str):
            raise InvalidRequest(f"{field} must be a string or null")
        try:
            changes[field] = None if value is None else _FIELDS[field](value)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
    return changes


def _replace(member: Membership, changes: dict[str, str | None]) -> Membership:
    return dataclasses.replace(member, **changes)  # type: ignore[arg-type]
