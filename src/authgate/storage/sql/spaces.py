"""Spaces and memberships over a :class:`~authgate.storage.sql.driver.Database`
(SpaceStore)."""

from __future__ import annotations

from typing import cast

from authgate.domain import Membership, Role, Space, SpaceId, UserId
from authgate.storage.base import RevisionMismatch, SlugTaken
from authgate.storage.sql.driver import Database, Row
from authgate.storage.sql.revisions import ANY_REVISION
from authgate.text import storable


def _space(row: Row, domains: tuple[str, ...]) -> Space:
    return Space(
        id=SpaceId(row["id"]),
        slug=row["slug"],
        name=row["name"],
        created_at=row["created_at"],
        domains=domains,
    )


def _membership(row: Row) -> Membership:
    return Membership(
        space_id=SpaceId(row["space_id"]),
        user_id=UserId(row["user_id"]),
        role=cast(Role, row["role"]),
        name=row["name"],
        picture=row["picture"],
        phone_number=row["phone_number"],
        created_at=row["created_at"],
        revoked_scopes=frozenset(row["revoked_scopes"].split()),
        revision=row["revision"],
    )


_MEMBER_COLUMNS = (
    "space_id, user_id, role, name, picture, phone_number, created_at, revoked_scopes, revision"
)
_MEMBER_VALUES = _MEMBER_COLUMNS.removesuffix(", revision")


class SqlSpaceStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, slug: str, name: str, domains: tuple[str, ...], now: int) -> Space:
        async with self._db.transaction() as tx:
            taken = await tx.fetchval("SELECT 1 FROM spaces WHERE slug = $1", slug)
            for domain in domains:
                taken = taken or await tx.fetchval(
                    "SELECT 1 FROM space_domains WHERE domain = $1", domain
                )
            if taken:
                raise SlugTaken(slug)
            row = await tx.fetchrow(
                "INSERT INTO spaces (slug, name, created_at) VALUES ($1, $2, $3) "
                "RETURNING id, slug, name, created_at",
                slug,
                name,
                now,
            )
            assert row is not None
            for domain in domains:
                await tx.execute(
                    "INSERT INTO space_domains (domain, space_id) VALUES ($1, $2)",
                    domain,
                    row["id"],
                )
        return _space(row, domains)

    async def _with_domains(self, row: Row | None) -> Space | None:
        if row is None:
            return None
        rows = await self._db.fetch(
            "SELECT domain FROM space_domains WHERE space_id = $1 ORDER BY domain", row["id"]
        )
        return _space(row, tuple(r["domain"] for r in rows))

    async def by_slug(self, slug: str) -> Space | None:
        if not storable(slug):
            return None
        row = await self._db.fetchrow(
            "SELECT id, slug, name, created_at FROM spaces WHERE slug = $1", slug
        )
        return await self._with_domains(row)

    async def by_id(self, space_id: SpaceId) -> Space | None:
        row = await self._db.fetchrow(
            "SELECT id, slug, name, created_at FROM spaces WHERE id = $1", space_id
        )
        return await self._with_domains(row)

    async def by_domain(self, domain: str) -> Space | None:
        if not storable(domain):
            return None
        row = await self._db.fetchrow(
            "SELECT s.id, s.slug, s.name, s.created_at FROM spaces s "
            "JOIN space_domains d ON d.space_id = s.id WHERE d.domain = $1",
            domain,
        )
        return await self._with_domains(row)

    async def all(self) -> list[Space]:
        rows = await self._db.fetch("SELECT id, slug, name, created_at FROM spaces ORDER BY slug")
        domains = await self._db.fetch("SELECT domain, space_id FROM space_domains ORDER BY domain")
        by_space: dict[int, list[str]] = {}
        for d in domains:
            by_space.setdefault(d["space_id"], []).append(d["domain"])
        return [_space(row, tuple(by_space.get(row["id"], []))) for row in rows]

    async def add_member(self, member: Membership, revision: int | None = None) -> Membership:
        values = (
            member.space_id,
            member.user_id,
            member.role,
            member.name,
            member.picture,
            member.phone_number,
            member.created_at,
            " ".join(sorted(member.revoked_scopes)),
        )
        if revision:  # replace that revision of an existing membership only
            row = await self._db.fetchrow(
                "UPDATE memberships SET role = $3, name = $4, picture = $5, phone_number = $6, "
                "revoked_scopes = $8, revision = revision + 1 "
                "WHERE space_id = $1 AND user_id = $2 AND created_at = $7 AND revision = $9 "
                f"RETURNING {_MEMBER_COLUMNS}",
                *values,
                revision,
            )
            if row is None:
                raise RevisionMismatch(member.user_id)
            return _membership(row)
        row = await self._db.fetchrow(
            f"INSERT INTO memberships ({_MEMBER_VALUES}) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
            "ON CONFLICT (space_id, user_id) DO UPDATE SET role = excluded.role, "
            "name = excluded.name, picture = excluded.picture, "
            "phone_number = excluded.phone_number, revoked_scopes = excluded.revoked_scopes, "
            "revision = memberships.revision + 1 "
            f"RETURNING {_MEMBER_COLUMNS}",
            *values,
        )
        assert row is not None
        return _membership(row)

    async def membership(self, space_id: SpaceId, user_id: UserId) -> Membership | None:
        row = await self._db.fetchrow(
            f"SELECT {_MEMBER_COLUMNS} FROM memberships WHERE space_id = $1 AND user_id = $2",
            space_id,
            user_id,
        )
        return None if row is None else _membership(row)

    async def remove_member(
        self, space_id: SpaceId, user_id: UserId, revision: int | None = None
    ) -> bool:
        removed = await self._db.execute(
            "DELETE FROM memberships WHERE space_id = $1 AND user_id = $2 "
            "AND ($3 = 0 OR revision = $3)",
            space_id,
            user_id,
            revision or ANY_REVISION,
        )
        if not removed and revision and await self.membership(space_id, user_id) is not None:
            raise RevisionMismatch(user_id)
        return removed > 0

    async def members(self, space_id: SpaceId) -> list[Membership]:
        rows = await self._db.fetch(
            f"SELECT {_MEMBER_COLUMNS} FROM memberships WHERE space_id = $1 ORDER BY user_id",
            space_id,
        )
        return [_membership(row) for row in rows]

    async def spaces_of(self, user_id: UserId) -> list[tuple[Space, Membership]]:
        member_columns = ", ".join(f"m.{c}" for c in _MEMBER_COLUMNS.split(", "))
        rows = await self._db.fetch(
            f"SELECT s.slug, s.name AS space_name, s.created_at AS space_created_at, "
            f"{member_columns} FROM memberships m JOIN spaces s ON s.id = m.space_id "
            "WHERE m.user_id = $1 ORDER BY s.slug",
            user_id,
        )
        domains = await self._db.fetch(
            "SELECT d.domain, d.space_id FROM space_domains d "
            "JOIN memberships m ON m.space_id = d.space_id WHERE m.user_id = $1 "
            "ORDER BY d.domain",
            user_id,
        )
        by_space: dict[int, list[str]] = {}
        for d in domains:
            by_space.setdefault(d["space_id"], []).append(d["domain"])
        return [
            (
                Space(
                    id=SpaceId(row["space_id"]),
                    slug=row["slug"],
                    name=row["space_name"],
                    created_at=row["space_created_at"],
                    domains=tuple(by_space.get(row["space_id"], [])),
                ),
                _membership(row),
            )
            for row in rows
        ]
