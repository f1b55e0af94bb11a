"""Alembic, run from code: the Store calls `upgrade` when it opens, `nianbao db upgrade` too."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

HERE = Path(__file__).resolve().parent


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config(str(HERE / "alembic.ini"))
    # Absolute, so that it works from any working directory and from an installed package.
    config.set_main_option("script_location", str(HERE / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


def upgrade(connection: Connection, revision: str = "head") -> bool:
    """Upgrade the schema on `connection` (inside its transaction). False when already current."""
    if revision == "head" and current_revisions(connection) == head_revisions():
        return False  # the common case on every Store open: skip loading Alembic's machinery
    command.upgrade(alembic_config(connection), revision)
    return True
