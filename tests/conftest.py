"""Shared fixtures: real databases (SQLite and the local PostgreSQL), a Store, seed reports, settings.

- `database_url`: parametrized over `sqlite` (a file in tmp_path) and `postgresql` (one database per test
  session, `nianbao_test_<random>`, dropped at the end; its schema is emptied before every test). The
  PostgreSQL param carries the `postgres` marker, so `-m "not postgres"` runs SQLite only.
- `store`: a Store on that URL with a blob folder in tmp_path.
- `seed_bytes(name)`: the bytes of tests/fixtures/seeds/NAME (a unique prefix such as "000" also works).
- `write_settings(...)`: writes nianbao.yaml + agencies.yaml into tmp_path and returns the settings path.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = FIXTURES / "seeds"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"


def load_seed(name: str) -> bytes:
    """Bytes of a seed report by file name or unique prefix (e.g. "002")."""
    exact = SEEDS / name
    if exact.is_file():
        return exact.read_bytes()
    matches = sorted(p for p in SEEDS.iterdir() if p.name.startswith(name) and p.name != "README.md")
    if len(matches) != 1:
        raise FileNotFoundError(f"no single seed named {name!r} in {SEEDS}: {[p.name for p in matches]}")
    return matches[0].read_bytes()


@pytest.fixture
def seed_bytes() -> Callable[[str], bytes]:
    return load_seed


# --- PostgreSQL ------------------------------------------------------------------------------------


def _pg_connect(dbname: str) -> Any:
    import psycopg

    return psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname, autocommit=True, connect_timeout=5
    )


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh database for this test session on the local server; dropped at the end."""
    import psycopg

    name = f"nianbao_test_{secrets.token_hex(6)}"
    try:
        admin = _pg_connect("postgres")
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {PG_HOST}:{PG_PORT} is not reachable: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with _pg_connect("postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _reset_postgres(url: str) -> None:
    """Empty the schema: cut connections left by earlier tests (they could hold locks), then drop it."""
    name = url.rsplit("/", 1)[1]
    with _pg_connect(name) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        conn.execute("SET lock_timeout = '10s'")
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'nianbao.db'}"
    url: str = request.getfixturevalue("postgres_database")
    _reset_postgres(url)
    return url


@pytest.fixture
def blob_dir(tmp_path: Path) -> Path:
    return tmp_path / "blobs"


@pytest.fixture
def store(database_url: str, blob_dir: Path) -> Iterator[Any]:
    from nianbao.storage.store import Store

    s = Store(database_url, blob_dir)
    try:
        yield s
    finally:
        s.close()


# --- settings files --------------------------------------------------------------------------------


def agency_entry(agency_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid agencies.yaml entry on a placeholder host (nothing contacts it)."""
    entry: dict[str, Any] = {
        "id": agency_id,
        "name": f"{agency_id} 统计局",
        "region": "广东省/广州市",
        "level": "city",
        "kind": "department",
        "start_urls": [f"http://{agency_id}.example.gov.cn/nb/"],
    }
    entry.update(overrides)
    return entry


@pytest.fixture
def write_settings(tmp_path: Path) -> Callable[..., Path]:
    """write_settings(database_url=..., agencies=[entries], **top_level) -> path of nianbao.yaml."""

    def write(
        database_url: str | None = None, agencies: list[dict[str, Any]] | None = None, **extra: Any
    ) -> Path:
        folder = tmp_path / "config"
        folder.mkdir(exist_ok=True)
        settings: dict[str, Any] = {
            "blob_dir": str(tmp_path / "blobs"),
            "outbox_dir": str(tmp_path / "outbox"),
            "agencies": "agencies.yaml",
        }
        if database_url is not None:
            settings["database_url"] = database_url
        settings.update(extra)
        entries = agencies if agencies is not None else [agency_entry("gz-tjj")]
        (folder / "agencies.yaml").write_text(
            yaml.safe_dump({"agencies": entries}, allow_unicode=True), encoding="utf-8"
        )
        path = folder / "nianbao.yaml"
        path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
        return path

    return write
