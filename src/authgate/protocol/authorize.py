"""The authorization endpoint (RFC 6749 §3.1, §4.1.1, §4.2.1; OpenID Connect Core §3).

Validation order follows §4.1.2.1: while the client or the redirect URI is in doubt the
error is shown to the user and never redirected (no open redirector); every later error
goes back to the client's redirect URI with ``error``, ``error_description``, ``state``
and ``iss`` (RFC 9207).
"""

from __future__ import annotations

from collections.abc import Mapping

from authgate.audit.events import CONSENT_GRANTED, Actor
from authgate.audit.log import AuditLog
from authgate.crypto.tokens import digest, format_token, matches, new_secret, parse_token
from authgate.domain import Client, NewAuthorizationCode, TokenId, UserId
from authgate.errors import (
    AccessDenied,
    InvalidRequest,
    OAuthError,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from authgate.protocol import pkce
from authgate.protocol.authorization import (
    MAX_HINT,
    PROMPTS,
    RESPONSE_MODES,
    RESPONSE_TYPES,
    AuthorizationRequest,
    AuthorizationResponse,
    AuthorizePageError,
    AuthorizePolicy,
    RedirectError,
    authorization_response,
    grants_for,
    normalize_response_type,
    parse_max_age,
    response_mode_for,
)
from authgate.protocol.client_auth import plausible_client_id
from authgate.protocol.context import Issuer
from authgate.protocol.grant_policy import GrantPolicy
from authgate.protocol.minting import TokenMinter
from authgate.protocol.oidc.claims import OPENID
from authgate.protocol.oidc.id_token import IdTokenMinter, IdTokenRequest
from authgate.protocol.redirect_uris import redirect_uri_matches, validate_redirect_uri
from authgate.protocol.requests import Params, check_values, collect, safe_description
from authgate.protocol.scopes import OIDC_SCOPE_NAMES, format_scope, narrow, requested_scope
from authgate.protocol.spaces import SpaceMembers
from authgate.storage.base import ClientStore, CodeStore, ConsentStore, SpaceStore, UserStore


class AuthorizeEndpoint:
    def __init__(
        self,
        clients: ClientStore,
        codes: CodeStore,
        consents: ConsentStore,
        minter: TokenMinter,
        policy: AuthorizePolicy,
        scope_catalog: Mapping[str, str],
        id_tokens: IdTokenMinter,
        users: UserStore,
        spaces: SpaceStore,
        members: SpaceMembers,
        *,
        descriptions: Mapping[str, str] | None = None,
        grants: GrantPolicy | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        self._audit = audit
        self._clients = clients
        self._codes = codes
        self._consents = consents
        self._minter = minter
        self._policy = policy
        self._catalog = scope_catalog
        self._id_tokens = id_tokens
        self._users = users
        self._spaces = spaces
        self._members = members
        #: fixed error_description texts by error code (``error_descriptions``)
        self._descriptions: Mapping[str, str] = descriptions or {}
        self._grants = grants or GrantPolicy()

    async def _client_and_redirect(self, params: Params, repeated: set[str]) -> tuple[Client, str]:
        if {"client_id", "redirect_uri"} & repeated:
            raise AuthorizePageError("client_id or redirect_uri was sent more than once")
        client_id = params.get("client_id")
        if client_id is None:
            raise AuthorizePageError("the request has no client_id")
        client = None
        if plausible_client_id(client_id):
            client = await self._clients.by_client_id(client_id)
        if client is None:
            raise AuthorizePageError("the application (client_id) is not known")
        requested = params.get("redirect_uri")
        if requested is None:
            if self._policy.require_redirect_uri:
                raise AuthorizePageError("the request has no redirect_uri")
            if len(client.redirect_uris) != 1:
                raise AuthorizePageError(
                    "the request has no redirect_uri and the application registered "
                    f"{len(client.redirect_uris)}; it must say which one to use"
                )
            return client, client.redirect_uris[0]
        # The requested URI must itself be one that registration would accept (no userinfo,
        # fragment, whitespace or malformed port) before it is matched at all.
        try:
            validate_redirect_uri(requested)
        except InvalidRequest:
            requested = ""
        if not requested or not any(
            redirect_uri_matches(requested, registered, self._policy.redirect_uri_matching)
            for registered in client.redirect_uris
        ):
            raise AuthorizePageError(
                "the redirect_uri does not match any registered for this application"
            )
        return client, requested

    async def validate(self, pairs: list[tuple[str, str]]) -> AuthorizationRequest:
        params, repeated = collect(pairs)
        client, redirect_uri = await self._client_and_redirect(params, repeated)
        state = params.get("state")
        response_type = normalize_response_type(params.get("response_type"))
        requested_mode = params.get("response_mode")
        mode = response_mode_for(response_type, requested_mode)

        def fail(error: OAuthError) -> RedirectError:
            return RedirectError(error, redirect_uri, state, mode)

        if repeated:
            raise fail(InvalidRequest(f"parameter {sorted(repeated)[0]!r} was sent more than once"))
        try:
            check_values(pairs)
        except InvalidRequest as exc:
            raise fail(exc) from None
        if response_type is None:
            raise fail(InvalidRequest("missing required parameter 'response_type'"))
        if response_type not in RESPONSE_TYPES:
            raise fail(
                UnsupportedResponseType(f"response_type {response_type[:40]!r} is not supported")
            )
        needed = grants_for(response_type)
        if not self._grants.offered.issuperset(needed):
            # §4.1.2.1: the server "does not support obtaining" it (setting grant_types).
            raise fail(
                UnsupportedResponseType(f"this server does not offer response_type={response_type}")
            )
        if not all(self._grants.allows(client, g) for g in needed):
            raise fail(UnauthorizedClient(f"this client may not use response_type={response_type}"))
        if requested_mode is not None and requested_mode != mode:
            if requested_mode in RESPONSE_MODES:
                raise fail(
                    InvalidRequest("response_mode=query is not allowed for tokens or id tokens")
                )
            raise fail(InvalidRequest(f"response_mode {requested_mode[:40]!r} is not supported"))
        try:
            requested = requested_scope(params.get("scope"), required=self._policy.require_scope)
            scopes = narrow(requested, client.scopes, also=OIDC_SCOPE_NAMES)
            scopes = narrow(scopes, self._catalog, what="this server")
            method = pkce.check_challenge(
                params.get("code_challenge"),
                params.get("code_challenge_method"),
                allow_plain=self._policy.allow_plain_pkce,
            )
        except OAuthError as exc:
            raise fail(exc) from None
        challenge = params.get("code_challenge")
        with_code = "code" in response_type.split()
        if with_code and client.is_public and challenge is None:
            # RFC 9700 §2.1.1: public clients MUST use PKCE.
            raise fail(InvalidRequest("public clients must send a PKCE code_challenge (S256)"))
        prompt = frozenset(params.get("prompt", "").split())
        if not prompt <= PROMPTS or ("none" in prompt and len(prompt) > 1):
            raise fail(InvalidRequest("prompt has an unknown or contradictory value"))
        nonce = params.get("nonce")
        if "id_token" in response_type.split():
            # Core §3.2.2.1, §3.3.2.11: an id token from the authorization endpoint needs
            # the openid scope, and a nonce against replay.
            if OPENID not in scopes:
                raise fail(InvalidRequest("response_type id_token needs the scope 'openid'"))
            if nonce is None:
                raise fail(InvalidRequest("response_type id_token needs a nonce"))
        try:
            max_age = parse_max_age(params.get("max_age"))
            hint_subject = await self._hint_subject(params.get("id_token_hint"))
        except OAuthError as exc:
            raise fail(exc) from None
        login_hint = params.get("login_hint")
        return AuthorizationRequest(
            client=client,
            response_type=response_type,
            redirect_uri=redirect_uri,
            redirect_uri_sent="redirect_uri" in params,
            scopes=scopes,
            state=state,
            code_challenge=challenge if with_code else None,
            code_challenge_method=method if with_code else None,
            nonce=nonce,
            prompt=prompt,
            response_mode=mode,
            params=params,
            max_age=max_age,
            login_hint=login_hint[:MAX_HINT] if login_hint else None,
            hint_subject=hint_subject,
        )

    async def client_of_code(self, code: str) -> str | None:
        """The client id a code of this server's was issued to (the demo callback page,
        which apps registered in the portal may use too); ``None`` for anything else."""
        parsed = parse_token(code)
        found = None if parsed is None else await self._codes.get(TokenId(parsed[0]))
        if parsed is None or found is None or not matches(parsed[1], found.secret_digest):
            return None
        client = await self._clients.by_pk(found.client_pk)
        return None if client is None else client.client_id

    async def _hint_subject(self, hint: str | None) -> str | None:
        """Core §3.1.2.1: ``id_token_hint`` is an id token this server issued (it may have
        expired); its ``sub`` says who the client expects to be signed in."""
        if hint is None:
            return None
        subject = await self._id_tokens.subject_of(hint)
        if subject is None:
            raise InvalidRequest("id_token_hint is not an id token issued here")
        return subject

    async def needs_consent(
        self, request: AuthorizationRequest, user_id: UserId, issuer: Issuer
    ) -> bool:
        """Consent is remembered per issuer: one space's consent is not another's."""
        if "consent" in request.prompt:
            return True
        granted = await self._consents.scopes(user_id, request.client.pk, issuer.space_id)
        return not request.scopes <= granted

    def error_redirect(self, error: RedirectError, issuer: Issuer) -> AuthorizationResponse:
        """§4.1.2.1: ``error_description`` keeps to the characters the RFC allows (and is
        the deployment's fixed text for the code, if it has one); ``iss`` names the issuer
        (RFC 9207)."""
        values: dict[str, str | int | None] = {
            "error": error.error.error,
            "error_description": safe_description(error.error.worded(self._descriptions)) or None,
            "state": error.state,
            "iss": issuer.url,
        }
        return authorization_response(error.redirect_uri, values, error.response_mode)

    def deny(
        self,
        request: AuthorizationRequest,
        issuer: Issuer,
        reason: str = "the user denied the request",
    ) -> AuthorizationResponse:
        """The user clicked Deny (or may not use this issuer): §4.1.2.1 ``access_denied``."""
        return self.error_redirect(
            RedirectError(
                AccessDenied(reason), request.redirect_uri, request.state, request.response_mode
            ),
            issuer,
        )

    async def may_use(self, issuer: Issuer, user_id: UserId) -> bool:
        """Only a space's members sign in to apps through its issuer (seed 001)."""
        return await self._members.admit(issuer, user_id)

    async def approve(
        self,
        request: AuthorizationRequest,
        user_id: UserId,
        auth_time: int,
        issuer: Issuer,
        *,
        remember: bool,
        actor: Actor | None = None,
    ) -> AuthorizationResponse:
        """Issue what the response type asks for (§4.1.2 code, §4.2.2 token, Core §3.2.2.5
        and §3.3.2.5 id token) and return the response to the client. A consent given
        (``remember``) is an audit event by ``actor``, the signed-in user."""
        now = self._minter.now()
        if remember:
            await self._consents.grant(
                user_id, request.client.pk, request.scopes, now, issuer.space_id
            )
            if self._audit is not None:
                self._audit.record(
                    CONSENT_GRANTED,
                    actor or Actor("user", str(user_id)),
                    target_type="client",
                    target=request.client.client_id,
                    user_id=user_id,
                    scope=format_scope(request.scopes),
                    space_id=issuer.space_id,
                )
        scope = format_scope(request.scopes)
        parts = request.response_type.split()
        values: dict[str, str | int | None] = {}
        code = access_token = None
        if "code" in parts:
            secret = new_secret()
            code_id = await self._codes.add(
                NewAuthorizationCode(
                    secret_digest=digest(secret),
                    client_pk=request.client.pk,
                    user_id=user_id,
                    redirect_uri=request.redirect_uri if request.redirect_uri_sent else None,
                    scope=scope,
                    code_challenge=request.code_challenge,
                    code_challenge_method=request.code_challenge_method,
                    nonce=request.nonce,
                    issued_at=now,
                    expires_at=now + self._policy.code_lifetime,
                    space_id=issuer.space_id,
                    auth_time=auth_time,
                )
            )
            values["code"] = code = format_token(code_id, secret)
        if "token" in parts:
            # §4.2.2: the implicit grant never issues a refresh token.
            issued = await self._minter.issue(
                request.client,
                user_id,
                scope,
                "implicit",
                with_refresh=False,
                space_id=issuer.space_id,
                auth_time=auth_time,
                issuer=issuer,
            )
            access_token = issued.access_token
            values.update(
                access_token=access_token,
                token_type=self._policy.token_type,
                expires_in=issued.expires_in,
                scope=scope,
            )
        if "id_token" in parts:
            values["id_token"] = await self._id_token(
                request, user_id, auth_time, issuer, code, access_token
            )
        values["state"] = request.state
        values["iss"] = issuer.url
        return authorization_response(request.redirect_uri, values, request.response_mode)

    async def _id_token(
        self,
        request: AuthorizationRequest,
        user_id: UserId,
        auth_time: int,
        issuer: Issuer,
        code: str | None,
        access_token: str | None,
    ) -> str:
        user = await self._users.by_id(user_id)
        assert user is not None  # the caller has just found the signed-in user
        membership = None
        if issuer.space is not None:
            membership = await self._spaces.membership(issuer.space.id, user_id)
        return await self._id_tokens.mint(
            IdTokenRequest(
                issuer=issuer.url,
                client_id=request.client.client_id,
                user=user,
                membership=membership,
                scopes=request.scopes,
                auth_time=auth_time,
                nonce=request.nonce,
                access_token=access_token,
                code=code,
            )
        )
