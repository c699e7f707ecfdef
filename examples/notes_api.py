"""A platform's own API, protected with authgate's resource kit: a small notes service.

It runs as its own service, apart from authgate, and checks tokens remotely:

- by RFC 7662 introspection (the default), as a client registered with
  ``authgate client create "Notes API" --resource-server``; or
- by verifying RFC 9068 JWT access tokens with authgate's published keys
  (``NOTES_TOKEN_CHECK=jwt``), for clients created with ``--access-token-format jwt``.

Run it beside ``make serve``::

    NOTES_CLIENT_ID=… NOTES_CLIENT_SECRET=… .venv/bin/uvicorn --factory \
        examples.notes_api:app_from_env --port 8001

then ``curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8001/notes``.
"""

import os
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import FastAPI, Form, Security

from authgate.resource import (
    BearerAuth,
    IntrospectionVerifier,
    JwtVerifier,
    TokenVerifier,
    VerifiedToken,
)
from authgate.resource.fastapi import FastApiBearer

SCOPES = {"read": "Read your notes", "write": "Write notes"}


@dataclass
class Notes:
    """Each user's notes, in memory: enough for an example."""

    by_subject: dict[str, list[str]] = field(default_factory=dict)


def create_app(verifier: TokenVerifier, issuer: str) -> FastAPI:
    bearer = FastApiBearer(
        BearerAuth(verifier, realm="notes", allow_query=False),
        authorization_url=issuer + "/oauth/authorize",
        token_url=issuer + "/oauth/token",
        scopes=SCOPES,
    )
    # for the resources of a user: client-credentials tokens get 403 insufficient_scope
    users = bearer.for_users()
    notes = Notes()
    app = FastAPI(title="Notes API")
    bearer.install(app)

    @app.get("/health")
    async def health() -> dict[str, bool]:
        """Public: no token needed."""
        return {"ok": True}

    @app.get("/notes")
    async def list_notes(
        token: Annotated[VerifiedToken, Security(bearer, scopes=["read"])],
    ) -> dict[str, object]:
        """The notes of the token's user (or client)."""
        return {"owner": token.subject, "notes": notes.by_subject.get(token.subject, [])}

    @app.get("/me")
    async def me(
        token: Annotated[VerifiedToken, Security(users, scopes=["read"])],
    ) -> dict[str, object]:
        """The user the token acts for; a client acting for itself has no one to show."""
        return {"sub": token.subject, "username": token.username}

    @app.post("/notes", status_code=201)
    async def add_note(
        text: Annotated[str, Form(max_length=1000)],
        token: Annotated[VerifiedToken, Security(bearer, scopes=["write"])],
    ) -> dict[str, object]:
        """Add a note (form-encoded ``text``)."""
        mine = notes.by_subject.setdefault(token.subject, [])
        mine.append(text)
        return {"owner": token.subject, "count": len(mine)}

    return app


def app_from_env() -> FastAPI:
    issuer = os.environ.get("AUTHGATE_ISSUER", "http://127.0.0.1:8000")
    verifier: TokenVerifier
    if os.environ.get("NOTES_TOKEN_CHECK") == "jwt":
        verifier = JwtVerifier(issuer, audience=os.environ.get("NOTES_AUDIENCE", issuer))
    else:
        verifier = IntrospectionVerifier(
            issuer + "/oauth/introspect",
            os.environ["NOTES_CLIENT_ID"],
            os.environ["NOTES_CLIENT_SECRET"],
            cache_seconds=float(os.environ.get("NOTES_CACHE_SECONDS", "10")),
        )
    return create_app(verifier, issuer)
