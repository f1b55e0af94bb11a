"""The database engine: SQLite pragmas, the PostgreSQL pool, the dialect's INSERT (ON CONFLICT) and bulk
inserts (COPY on PostgreSQL)."""

from __future__ import annotations

import itertools
import operator
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event, insert
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


BATCH_ROWS = 5000  # rows per executemany where COPY is not available: memory stays flat


def id_batches(ids: Collection[str], size: int = BATCH_ROWS) -> Iterator[list[str]]:
    """The ids in sorted batches of `size`: bounded IN lists (a driver takes at most 65,535 bound values)."""
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]


def insert_rows(s: Any, table: Table, rows: Iterable[Mapping[str, Any]]) -> int:
    """Every row of `rows` inserted in the session's transaction, a batch at a time; how many. PostgreSQL: each
    batch by COPY (5-10x an executemany, which sends each row as a statement). A batch is gathered before it
    is written: `rows` may read through the same connection, which is busy while a COPY is open."""
    write = _copy if s.get_bind().dialect.name == "postgresql" else _executemany
    count = 0
    it = iter(rows)
    while batch := list(itertools.islice(it, BATCH_ROWS)):
        count += write(s, table, batch)
    return count


def _executemany(s: Any, table: Table, batch: Sequence[Mapping[str, Any]]) -> int:
    s.execute(insert(table), list(batch))
    return len(batch)


def _copy(s: Any, table: Table, batch: Sequence[Mapping[str, Any]]) -> int:
    # A column a row leaves out gets its Python-side default, as an INSERT through SQLAlchemy would.
    defaults = {c.name: getattr(c.default, "arg", None) for c in table.c
                if c.default is not None and c.default.is_scalar}
    columns = [c.name for c in table.c]
    columns_set = set(columns)
    driver = s.connection().connection.driver_connection
    assert driver is not None
    values = operator.itemgetter(*columns)  # in C: a row's values by name cost more than its COPY did
    with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in batch:
            copy.write_row(values(row) if row.keys() >= columns_set else [row.get(c, defaults.get(c)) for c in columns])
    return len(batch)


def aware(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
