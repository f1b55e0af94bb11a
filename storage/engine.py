"""The database engine: SQLite pragmas, the PostgreSQL pool, and the dialect's INSERT (ON CONFLICT)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Any constant works; it only has to be the same in every process that migrates this database.
PG_MIGRATION_LOCK = 0x6E69616E62616F


def _prepare_sqlite_path(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_events(engine: Engine) -> None:
    # pysqlite's own transaction handling issues BEGIN late (and never for SELECT); taking control
    # makes transactions, savepoints and Alembic's transactional DDL behave as on PostgreSQL.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a crash loses no committed data
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def make_engine(database_url: str, *, echo: bool = False) -> Engine:
    """An Engine with the pragmas and pool settings the Store relies on."""
    _prepare_sqlite_path(database_url)
    backend = make_url(database_url).get_backend_name()
    if backend == "sqlite":
        engine = create_engine(
            database_url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        _sqlite_events(engine)
        return engine
    return create_engine(database_url, echo=echo, pool_pre_ping=True)


def dialect_insert(dialect: str) -> Any:
    """The dialect's INSERT construct, the one that knows ON CONFLICT (both SQLite and PostgreSQL do)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def aware(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
