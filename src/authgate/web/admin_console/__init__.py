"""The admin console (``/admin``): server-rendered pages for users with the server-admin
role, on the developer portal's templates and conventions. :func:`console_routes` is what
``create_app`` registers."""

from __future__ import annotations

from starlette.routing import Route

from authgate.services import Services
from authgate.web.admin_console.audit import AUDIT, AuditPages
from authgate.web.admin_console.base import CONSOLE
from authgate.web.admin_console.clients import CLIENTS, ClientPages
from authgate.web.admin_console.keys import KEYS, KeyPages
from authgate.web.admin_console.overview import OverviewPage
from authgate.web.admin_console.space_settings import SpaceSettingsPages
from authgate.web.admin_console.spaces import SPACES
from authgate.web.admin_console.user_actions import UserActions
from authgate.web.admin_console.users import USERS, UserPages
from authgate.web.pages.render import Pages

__all__ = ["CONSOLE", "console_routes"]


def _get(path: str, endpoint: object) -> Route:
    return Route(path, endpoint, methods=["GET"])  # type: ignore[arg-type]


def _post(path: str, endpoint: object) -> Route:
    return Route(path, endpoint, methods=["POST"])  # type: ignore[arg-type]


def console_routes(services: Services, pages: Pages) -> list[Route]:
    """The console's routes."""
    overview = OverviewPage(services, pages)
    users, acts = UserPages(services, pages), UserActions(services, pages)
    clients = ClientPages(services, pages)
    spaces, keys, audit = (
        SpaceSettingsPages(services, pages),
        KeyPages(services, pages),
        AuditPages(services, pages),
    )
    user = USERS + "/{user_id}"
    client = CLIENTS + "/{client_id}"
    space = SPACES + "/{slug}"
    member = space + "/members/{user_id}"
    return [
        _get(CONSOLE, overview.show),
        _get(USERS, users.list),
        _post(USERS, users.create),
        _get(USERS + "/new", users.new),
        _get(user, users.show),
        _post(user, users.update),
        _get(user + "/edit", users.edit),
        _get(user + "/disable", acts.confirm_disable),
        _post(user + "/disable", acts.disable),
        _post(user + "/enable", acts.enable),
        _post(user + "/password", acts.password),
        _post(user + "/sessions/revoke", acts.revoke_sessions),
        _post(user + "/sessions/{session_id}/revoke", acts.revoke_session),
        _post(user + "/grants/revoke", acts.revoke_grants),
        _post(user + "/grants/{client_id}/revoke", acts.revoke_grant),
        _get(user + "/delete", acts.confirm_delete),
        _post(user + "/delete", acts.delete),
        _get(CLIENTS, clients.list),
        _get(client, clients.show),
        _post(client, clients.update),
        _get(client + "/edit", clients.edit),
        _post(client + "/secret", clients.rotate),
        _get(client + "/revoke-tokens", clients.confirm_revoke),
        _post(client + "/revoke-tokens", clients.revoke),
        _get(client + "/delete", clients.confirm_delete),
        _post(client + "/delete", clients.delete),
        _get(SPACES, spaces.list),
        _post(SPACES, spaces.create),
        _get(space, spaces.show),
        _post(space, spaces.update),
        _get(space + "/delete", spaces.confirm_delete),
        _post(space + "/delete", spaces.delete),
        _post(space + "/members", spaces.add_member),
        _post(member, spaces.update_member),
        _get(member + "/remove", spaces.confirm_remove),
        _post(member + "/remove", spaces.remove_member),
        _get(KEYS, keys.list),
        _get(KEYS + "/rotate", keys.confirm_rotate),
        _post(KEYS + "/rotate", keys.rotate),
        _get(AUDIT, audit.list),
    ]
