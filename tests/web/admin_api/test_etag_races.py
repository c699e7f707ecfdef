"""If-Match is checked in the write's own statement: of concurrent updates sent with one
ETag exactly one wins, the others get 412 (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import httpx

from authgate.services import Services
from authgate.storage.base import RevisionMismatch
from tests.conftest import Factory
from tests.web.admin_api.conftest import API

RACERS = 6


async def race(
    http: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], bodies: list[object]
) -> list[int]:
    answers = await asyncio.gather(
        *(http.request(method, path, headers=headers, json=body) for body in bodies)
    )
    return sorted(a.status_code for a in answers)


async def test_concurrent_user_patches_with_one_etag(
    http: httpx.AsyncClient, admin: dict[str, str], services: Services, make: Factory
) -> None:
    user = await make.user()
    path = f"{API}/users/{user.id}"
    etag = (await http.get(path, headers=admin)).headers["ETag"]
    names = [f"Name {n}" for n in range(RACERS)]
    statuses = await race(
        http, "PATCH", path, {**admin, "If-Match": etag}, [{"name": n} for n in names]
    )
    assert statuses == [200] + [412] * (RACERS - 1)
    stored = await services.users.by_id(user.id)
    assert stored is not None and stored.name in names and stored.revision == 2


async def test_concurrent_client_patches_with_one_etag(
    http: httpx.AsyncClient, admin: dict[str, str], make: Factory
) -> None:
    client = (await make.client()).client
    path = f"{API}/clients/{client.client_id}"
    etag = (await http.get(path, headers=admin)).headers["ETag"]
    statuses = await race(
        http, "PATCH", path, {**admin, "If-Match": etag}, [{"name": f"N{n}"} for n in range(RACERS)]
    )
    assert statuses == [200] + [412] * (RACERS - 1)


async def test_a_delete_and_a_patch_with_one_etag(
    http: httpx.AsyncClient, admin: dict[str, str], make: Factory
) -> None:
    client = (await make.client()).client
    path = f"{API}/clients/{client.client_id}"
    headers = {**admin, "If-Match": (await http.get(path, headers=admin)).headers["ETag"]}
    patch, delete = await asyncio.gather(
        http.patch(path, headers=headers, json={"name": "Renamed"}),
        http.delete(path, headers=headers),
    )
    assert sorted([patch.status_code, delete.status_code]) in ([200, 412], [204, 412], [204, 404])
    after = await http.get(path, headers=admin)
    if delete.status_code == 204:
        assert after.status_code == 404
    else:
        assert after.json()["name"] == "Renamed"


async def test_concurrent_member_changes_with_one_etag(
    http: httpx.AsyncClient, admin: dict[str, str], services: Services, make: Factory
) -> None:
    user = await make.user()
    await http.post(f"{API}/spaces", headers=admin, json={"slug": "acme", "name": "Acme"})
    path = f"{API}/spaces/acme/members/{user.id}"
    etag = (await http.put(path, headers=admin, json={})).headers["ETag"]
    statuses = await race(
        http,
        "PATCH",
        path,
        {**admin, "If-Match": etag},
        [{"role": "admin", "revoke_scopes": ["write"]}] * RACERS,
    )
    assert statuses == [200] + [412] * (RACERS - 1)


async def test_the_store_checks_the_revision_in_the_write_itself(
    services: Services, make: Factory
) -> None:
    """Past the services' early look: the UPDATEs themselves, at once on the database
    (PostgreSQL runs them on separate connections)."""
    user = await make.user()
    client = (await make.client()).client

    async def rename_user(n: int) -> bool:
        try:
            await services.users.update(user.id, name=f"U{n}", revision=user.revision)
        except RevisionMismatch:
            return False
        return True

    async def rename_client(n: int) -> bool:
        try:
            await services.clients.update(client.client_id, revision=client.revision, name=f"C{n}")
        except RevisionMismatch:
            return False
        return True

    users = await asyncio.gather(*(rename_user(n) for n in range(RACERS)))
    clients = await asyncio.gather(*(rename_client(n) for n in range(RACERS)))
    assert sorted(users) == [False] * (RACERS - 1) + [True]
    assert sorted(clients) == [False] * (RACERS - 1) + [True]
    deleted = await asyncio.gather(
        services.clients.delete(client.client_id, client.revision + 1),
        services.clients.update(client.client_id, revision=client.revision + 1, name="late"),
        return_exceptions=True,
    )
    # Either the delete won (the update then finds no client) or the update did (the
    # delete then finds another revision): never both.
    gone, renamed = deleted
    assert (gone is True and renamed is None) or (
        isinstance(gone, RevisionMismatch) and renamed is not None
    )
