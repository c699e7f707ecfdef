"""The console's signing keys (``/admin/keys``): every key with its state, and rotating
(after a confirmation page): the new key is published at once and signs once every worker
and relying party has had time to fetch it, as ``authgate keys rotate`` does."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.storage.base import KeysChanged
from authgate.web.admin_console.base import CONSOLE, ConsoleBase
from authgate.web.pages.signed_in_pages import actor_of

KEYS = CONSOLE + "/keys"


class KeyPages(ConsoleBase):
    async def list(self, request: Request) -> Response:
        gate = await self._gate(request, KEYS)
        if isinstance(gate, Response):
            return gate
        site, me = gate
        ring = self._services.keys
        now = self._services.minter.now()
        keys = sorted(await ring.keys(), key=lambda k: k.created_at, reverse=True)
        return self._page(
            request,
            site,
            me,
            "admin_keys.html",
            area="keys",
            notice=self._notice(request, me).get("notice", ""),
            keys=[(key, ring.state(key, now)) for key in keys],
            default_alg=self._services.settings.id_token_signing_alg,
        )

    async def confirm_rotate(self, request: Request) -> Response:
        gate = await self._gate(request, KEYS + "/rotate")
        if isinstance(gate, Response):
            return gate
        site, me = gate
        return self._confirm(
            request,
            site,
            me,
            area="keys",
            crumbs=[("Signing keys", KEYS)],
            title="Rotate the signing key?",
            message="A new key is published at once; it starts signing once every worker and "
            "relying party has had time to fetch it, and the current key stays published "
            "for its grace period, so that what it signed still verifies.",
            action=KEYS + "/rotate",
            button="Rotate key",
            hidden={"seen": await self._newest()},
        )

    async def _newest(self) -> str:
        """The newest key's kid: what a rotate form was shown after."""
        keys = await self._services.keys.keys()
        return max(keys, key=lambda k: (k.created_at, k.id)).kid if keys else ""

    async def rotate(self, request: Request) -> Response:
        found = await self._posted(request, KEYS)
        if isinstance(found, Response):
            return found
        site, me, form = found
        seen = form.get("seen")
        try:
            if seen != await self._newest():
                raise KeysChanged(seen)
            # checked again in the rotation's transaction: two posts at once rotate once
            key, replaced = await self._services.keys.rotate_by(
                actor_of(request, me), newest=seen or None
            )
        except KeysChanged:  # a form sent twice, or another administrator
            notice = "A key was added meanwhile; nothing was changed."
            return self._done(site, me, KEYS, notice=notice)
        after = f" It replaces {', '.join(replaced)}." if replaced else ""
        return self._done(site, me, KEYS, notice=f"The key {key.kid} was added.{after}")
