"""The signing keys every worker publishes and signs with, read from the key store.

Each worker reloads the keys at most ``refresh`` seconds after its last look, so a key
added by ``authgate keys rotate`` (another process) reaches every worker within that
time, with no restart. A new key is published at once but signs only after ``lead``
seconds, by when every worker publishes it and relying parties' cached key sets have
expired; a replaced key stays published for ``grace`` seconds, so that tokens it signed
still verify.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from joserfc.jwk import KeySet

from authgate.audit.events import KEY_CREATED, KEY_ROTATED, Actor
from authgate.audit.log import AuditLog
from authgate.crypto.keys import Algorithm, Signer, Verifier, generate, seal, unseal
from authgate.crypto.secretbox import SecretBox
from authgate.domain import SigningKey
from authgate.storage.base import KeyStore

log = logging.getLogger("authgate.keys")

#: How long relying parties may cache the key set (``Cache-Control: max-age``).
JWKS_MAX_AGE = 60


@dataclass(frozen=True)
class KeySetDocument:
    """The JWKS (RFC 7517 §5) as served: body bytes and their ETag."""

    body: bytes
    etag: str
    #: the algorithms of the published keys
    algorithms: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Loaded:
    keys: tuple[SigningKey, ...]
    signers: dict[str, Signer]
    loaded_at: float


class KeyRing:
    def __init__(
        self,
        store: KeyStore,
        box: SecretBox,
        clock: Callable[[], float],
        *,
        alg: Algorithm = "RS256",
        refresh: float = 5.0,
        grace: int = 86400,
        audit: AuditLog | None = None,
    ) -> None:
        self._audit = audit
        self._store = store
        self._box = box
        self._clock = clock
        self.alg: Algorithm = alg
        self.refresh = refresh
        self.grace = grace
        self._loaded: _Loaded | None = None
        self._lock = asyncio.Lock()
        self._jwks: tuple[_Loaded, KeySetDocument] | None = None
        self._verifiers: tuple[_Loaded, dict[str, Verifier]] | None = None

    @property
    def lead(self) -> int:
        """Seconds between a rotation and the new key's first signature."""
        return int(2 * self.refresh) + JWKS_MAX_AGE

    def _signers(self, keys: list[SigningKey], old: dict[str, Signer]) -> dict[str, Signer]:
        signers: dict[str, Signer] = {}
        for key in keys:
            if key.kid in old:
                signers[key.kid] = old[key.kid]
                continue
            private = unseal(key.private_sealed, self._box)
            if private is None:
                log.warning("signing key %s was sealed under another secret key", key.kid)
                continue
            signers[key.kid] = Signer(private, key.kid, key.alg)  # type: ignore[arg-type]
        return signers

    async def _load(self) -> _Loaded:
        loaded = self._loaded
        now = self._clock()
        if loaded is not None and now - loaded.loaded_at < self.refresh:
            return loaded
        async with self._lock:
            if self._loaded is not loaded and self._loaded is not None:
                return self._loaded  # another task reloaded meanwhile
            keys = await self._store.all()
            old = {} if loaded is None else loaded.signers
            self._loaded = _Loaded(tuple(keys), self._signers(keys, old), now)
            self._jwks = None
            return self._loaded

    def _published(self, loaded: _Loaded, now: float) -> list[SigningKey]:
        return [k for k in loaded.keys if k.retired_at is None or k.retired_at + self.grace > now]

    async def signer(self) -> Signer:
        """The key that signs now: the newest whose ``signs_from`` has come."""
        loaded = await self._load()
        now = self._clock()
        for key in reversed(loaded.keys):
            if key.signs_from <= now and key.kid in loaded.signers:
                return loaded.signers[key.kid]
        raise RuntimeError("no signing key: run `authgate keys rotate`")

    def fresh_jwks(self) -> KeySetDocument | None:
        """The published key set when it needs no reload (no await: the hot path of
        :meth:`jwks`); ``None`` means call :meth:`jwks`."""
        loaded, cached = self._loaded, self._jwks
        if loaded is None or cached is None or cached[0] is not loaded:
            return None
        return cached[1] if self._clock() - loaded.loaded_at < self.refresh else None

    async def jwks(self) -> KeySetDocument:
        """The public keys to publish, serialized once per reload."""
        loaded = await self._load()
        cached = self._jwks
        if cached is not None and cached[0] is loaded:
            return cached[1]
        published = self._published(loaded, self._clock())
        keys = [json.loads(k.public_jwk) for k in published]
        body = json.dumps({"keys": keys}, separators=(",", ":")).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        document = KeySetDocument(body, etag, tuple(sorted({k.alg for k in published})))
        self._jwks = (loaded, document)
        return document

    async def verifier(self, kid: str) -> Verifier | None:
        """The published key named ``kid``, parsed once per reload; ``None`` for a key that
        is not (or no longer) published. An unknown ``kid`` never forces a reload."""
        cached = self._fresh_verifiers()
        if cached is None:
            loaded = await self._load()
            cached = self._verifiers
            if cached is None or cached[0] is not loaded:
                published = self._published(loaded, self._clock())
                cached = self._verifiers = (
                    loaded,
                    {
                        k.kid: Verifier(json.loads(k.public_jwk), k.kid, k.alg)  # type: ignore[arg-type]
                        for k in published
                    },
                )
        return cached[1].get(kid)

    def _fresh_verifiers(self) -> tuple[_Loaded, dict[str, Verifier]] | None:
        """The verifiers of the keys last read, while no reload is due."""
        loaded, cached = self._loaded, self._verifiers
        if (
            loaded is None
            or cached is None
            or cached[0] is not loaded
            or self._clock() - loaded.loaded_at >= self.refresh
        ):
            return None
        return cached

    def verifiers_epoch(self) -> object | None:
        """The published keys' verifiers as :meth:`verifier` has them, while no reload is
        due: the same object until the keys are read again; ``None`` when the next
        verification would read them (or none were ever read). Whatever was verified
        under one epoch holds while it lasts (protocol/proven.py)."""
        return self._fresh_verifiers()

    async def public_keys(self) -> KeySet:
        """The published keys, to verify what this server signed."""
        return KeySet.import_key_set(json.loads((await self.jwks()).body))

    async def keys(self) -> list[SigningKey]:
        """Every stored key, freshly read (for ``keys list``)."""
        return await self._store.all()

    def state(self, key: SigningKey, now: float) -> str:
        """``next`` (published, not signing yet), ``active``, ``retiring`` or ``retired``."""
        if key.signs_from > now:
            return "next"
        if key.retired_at is None or key.retired_at > now:
            return "active"
        return "retiring" if key.retired_at + self.grace > now else "retired"

    async def rotate(
        self,
        alg: Algorithm | None = None,
        *,
        at_once: bool = False,
        actor: Actor | None = None,
        event: str = KEY_ROTATED,
        newest: str | None = None,
    ) -> SigningKey:
        """Add a key that signs after :attr:`lead` seconds (at once if ``at_once``);
        the current key then retires and stays published for :attr:`grace` seconds.
        An audit event by ``actor`` (None: authgate itself). With ``newest``, only while
        that kid is still the newest key (else ``KeysChanged``)."""
        alg = alg or self.alg
        sealed = seal(generate(alg), alg, self._box)
        now = int(self._clock())
        key = await self._store.add(
            sealed.kid,
            alg,
            json.dumps(sealed.public_jwk, separators=(",", ":")),
            sealed.private_sealed,
            now,
            now if at_once else now + self.lead,
            newest=newest,
        )
        self._loaded = None
        await self._store.delete_retired(now - self.grace)
        if self._audit is not None:
            self._audit.record(
                event,
                actor or Actor.system(),
                target_type="key",
                target=key.kid,
                alg=alg,
                signs_from=key.signs_from,
            )
        return key

    async def rotate_by(
        self, actor: Actor, alg: Algorithm | None = None, *, newest: str | None = None
    ) -> tuple[SigningKey, list[str]]:
        """An operator's rotation (``authgate keys rotate``, the admin API): with no key
        signing yet, nobody can be waiting for the new one, so it signs at once. Returns
        the key and the kids of the keys it replaces."""
        now = self._clock()
        first = not any(self.state(k, now) == "active" for k in await self.keys())
        key = await self.rotate(alg, at_once=first, actor=actor, newest=newest)
        replaced = [
            k.kid for k in await self.keys() if k.kid != key.kid and k.retired_at == key.signs_from
        ]
        return key, replaced

    async def ensure(self) -> None:
        """Make sure a key can sign now (the first start, or a changed secret key)."""
        self._loaded = None
        try:
            await self.signer()
        except RuntimeError:
            await self.rotate(at_once=True, event=KEY_CREATED)
