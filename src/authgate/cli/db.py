"""``authgate db``: the database schema."""

from __future__ import annotations

from authgate.cli.common import (
    ConfigOption,
    JsonOption,
    ProfileOption,
    database_errors,
    emit,
    group,
    key_file,
    settings_from,
)

db_app = group("Database schema.")


@db_app.command("upgrade")
def db_upgrade(
    config: ConfigOption = None, profile: ProfileOption = None, as_json: JsonOption = False
) -> None:
    """Create the database or apply the schema migrations (Alembic) to it."""
    from authgate.storage.sql import migrate

    settings = settings_from(config, profile)
    with database_errors(settings):
        revision = migrate.upgrade(settings.database_url)
    key_file(settings)
    emit(as_json, {"revision": revision}, f"database is at revision {revision}")


@db_app.command("current")
def db_current(
    config: ConfigOption = None, profile: ProfileOption = None, as_json: JsonOption = False
) -> None:
    """Show the schema revision of the database and the one this authgate needs."""
    from authgate.storage.sql import migrate

    settings = settings_from(config, profile)
    with database_errors(settings):
        current = migrate.current_revision(settings.database_url)
    head = migrate.head_revision()
    emit(
        as_json,
        {"current": current, "head": head, "up_to_date": current == head},
        f"current revision: {current or 'none'}; this authgate needs: {head}",
    )
