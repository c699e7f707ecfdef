"""``/clients``: registered applications, their secrets and their live tokens."""
# FastAPI reads the handlers' annotations at run time (they name closures): no
# ``from __future__ import annotations`` here.

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response, Security
from pydantic import BaseModel, ConfigDict, Field

from authgate.domain import AccessToken, Client, ClientPk, TokenId
from authgate.protocol.admin.clients import ClientAdmin
from authgate.web.admin_api import etags, paging
from authgate.web.admin_api.auth import AdminBearer, Caller

READ, WRITE = ["authgate:clients:read"], ["authgate:clients"]
ClientId = Annotated[str, Path(min_length=1, max_length=100)]
Text = Annotated[str, Field(max_length=2000)]
Uris = Annotated[list[Annotated[str, Field(max_length=2000)]], Field(max_length=50)]
Names = Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=50)]
Lifetime = Annotated[int, Field(ge=0, le=2**31 - 1)]


class ClientOut(BaseModel):
    client_id: str
    name: str
    type: Literal["public", "confidential"]
    redirect_uris: list[str]
    grant_types: list[str]
    scopes: list[str]
    #: seconds; ``null``: the server's default; 0: never expires
    token_lifetime: int | None
    refresh_policy: str
    access_token_format: str | None
    resource_server: bool
    owner_id: int | None
    description: str | None
    homepage_url: str | None
    logo_url: str | None
    privacy_url: str | None
    created_at: int


class ClientCreated(ClientOut):
    #: shown once; ``null`` for public clients
    client_secret: str | None


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(max_length=200)]
    redirect_uris: Uris = []
    grant_types: Names = ["authorization_code"]
    #: ``null``: the catalog's scopes (less the space-admin ones); ``authgate:*`` scopes
    #: need an ``authgate:admin`` token
    scopes: Names | None = None
    public: bool = False
    token_lifetime: Lifetime | None = None
    refresh_policy: Literal["rotate", "none"] | None = None
    owner_email: Annotated[str, Field(max_length=320)] | None = None
    resource_server: bool = False
    access_token_format: Literal["opaque", "jwt"] | None = None
    description: Text | None = None
    homepage_url: Text | None = None
    logo_url: Text | None = None
    privacy_url: Text | None = None


class ClientPatch(BaseModel):
    """Fields left out are kept; ``""`` clears a description or URL."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(max_length=200)] | None = None
    redirect_uris: Uris | None = None
    grant_types: Names | None = None
    scopes: Names | None = None
    token_lifetime: Lifetime | None = None
    #: follow the server's ``access_token_lifetime`` again
    default_lifetime: bool = False
    refresh_policy: Literal["rotate", "none"] | None = None
    access_token_format: Literal["opaque", "jwt", "default"] | None = None
    description: Text | None = None
    homepage_url: Text | None = None
    logo_url: Text | None = None
    privacy_url: Text | None = None


class SecretOut(BaseModel):
    #: shown once; the old secret stopped working
    client_secret: str


class TokenOut(BaseModel):
    """A live access token's row (never its secret)."""

    id: int
    user_id: int | None
    scope: str
    grant_type: str
    issued_at: int
    expires_at: int | None
    space_id: int | None


class Revoked(BaseModel):
    revoked: int


def client_out(client: Client) -> ClientOut:
    return ClientOut(
        client_id=client.client_id,
        name=client.name,
        type="public" if client.is_public else "confidential",
        redirect_uris=list(client.redirect_uris),
        grant_types=sorted(client.grant_types),
        scopes=sorted(client.scopes),
        token_lifetime=client.token_lifetime,
        refresh_policy=client.refresh_policy,
        access_token_format=client.access_token_format,
        resource_server=client.resource_server,
        owner_id=client.owner_id,
        description=client.description,
        homepage_url=client.homepage_url,
        logo_url=client.logo_url,
        privacy_url=client.privacy_url,
        created_at=client.created_at,
    )


def token_out(token: AccessToken) -> TokenOut:
    return TokenOut(
        id=token.id,
        user_id=token.user_id,
        scope=token.scope,
        grant_type=token.grant_type,
        issued_at=token.issued_at,
        expires_at=token.expires_at,
        space_id=token.space_id,
    )


def etag_of(client: Client) -> str:
    return etags.revision_tag("client", client.client_id, client.revision)


def router(admin: ClientAdmin, bearer: AdminBearer) -> APIRouter:
    api = APIRouter(prefix="/clients", tags=["clients"])

    @api.get("", operation_id="listClients")
    async def list_clients(
        request: Request,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=READ)],
        limit: paging.Limit = 100,
        cursor: paging.Cursor = None,
    ) -> paging.Page[ClientOut]:
        """Clients by creation, a page at a time."""
        after = paging.one_key(cursor)
        found = await admin.page(after=None if after is None else ClientPk(after), limit=limit + 1)
        items, next_cursor = paging.cut(found, limit, lambda c: [c.pk])
        paging.link_next(request, response, next_cursor)
        return paging.Page[ClientOut](items=[client_out(c) for c in items], next_cursor=next_cursor)

    @api.post("", status_code=201, operation_id="createClient")
    async def create_client(
        request: Request,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)],
        body: ClientCreate,
    ) -> ClientCreated:
        """Register a client; its secret is in this answer only."""
        fields = body.model_dump(exclude={"name"})
        registered = await admin.create(
            body.name, actor=caller.actor, privileged=caller.privileged, **fields
        )
        etags.tagged(response, etag_of(registered.client))
        paging.location(request, response, registered.client.client_id)
        return ClientCreated(
            **client_out(registered.client).model_dump(), client_secret=registered.client_secret
        )

    @api.get("/{client_id}", operation_id="getClient")
    async def get_client(
        client_id: ClientId,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=READ)],
    ) -> ClientOut:
        client = await admin.get(client_id)
        etags.tagged(response, etag_of(client))
        return client_out(client)

    @api.patch("/{client_id}", operation_id="updateClient", openapi_extra=etags.CONDITIONAL)
    async def update_client(
        client_id: ClientId,
        request: Request,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)],
        body: ClientPatch,
    ) -> ClientOut:
        """Change a client; needs ``If-Match`` (its ETag as read)."""
        client = await admin.get(client_id)
        revision = etags.expected_revision(request, "client", client.client_id)
        updated = await admin.update(
            client_id,
            actor=caller.actor,
            revision=revision,
            privileged=caller.privileged,
            **body.model_dump(exclude_unset=True),
        )
        etags.tagged(response, etag_of(updated))
        return client_out(updated)

    @api.delete(
        "/{client_id}",
        status_code=204,
        response_class=Response,
        operation_id="deleteClient",
        openapi_extra=etags.CONDITIONAL,
    )
    async def delete_client(
        client_id: ClientId,
        request: Request,
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)],
    ) -> Response:
        """Delete a client and every token issued to it; needs ``If-Match``."""
        client = await admin.get(client_id)
        revision = etags.expected_revision(request, "client", client.client_id)
        await admin.delete(client_id, actor=caller.actor, revision=revision)
        return Response(status_code=204)

    @api.post("/{client_id}/secret", operation_id="rotateClientSecret")
    async def rotate_secret(
        client_id: ClientId,
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)],
    ) -> SecretOut:
        """A new secret, shown once; the old one stops working at once."""
        return SecretOut(client_secret=await admin.rotate_secret(client_id, actor=caller.actor))

    @api.get("/{client_id}/tokens", operation_id="listClientTokens")
    async def list_tokens(
        client_id: ClientId,
        request: Request,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=READ)],
        limit: paging.Limit = 100,
        cursor: paging.Cursor = None,
    ) -> paging.Page[TokenOut]:
        """The client's live access tokens, a page at a time."""
        client = await admin.get(client_id)
        after = paging.one_key(cursor)
        found = await admin.tokens(
            client, after=None if after is None else TokenId(after), limit=limit + 1
        )
        items, next_cursor = paging.cut(found, limit, lambda t: [t.id])
        paging.link_next(request, response, next_cursor)
        return paging.Page[TokenOut](items=[token_out(t) for t in items], next_cursor=next_cursor)

    @api.delete("/{client_id}/tokens", operation_id="revokeClientTokens")
    async def revoke_tokens(
        client_id: ClientId,
        caller: Annotated[Caller, Security(bearer, scopes=WRITE)],
    ) -> Revoked:
        """Revoke every access and refresh token of the client."""
        client = await admin.get(client_id)
        return Revoked(revoked=await admin.revoke_tokens(client, actor=caller.actor))

    return api
