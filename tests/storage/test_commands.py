"""`nianbao reports` and `nianbao db` through click's CliRunner on real databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

from nianbao.cli import main
from nianbao.crawler.store_jobs import store_report
from nianbao.settings import load_settings
from nianbao.storage.migrate import head_revisions
from nianbao.storage.store import Store
from tests.conftest import agency_entry
from tests.storage.reports import dongguan

T0 = datetime(2021, 2, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NIANBAO_DATABASE_URL", raising=False)
    monkeypatch.delenv("NIANBAO_CONFIG", raising=False)


def run(*args: str) -> Any:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def test_reports_json_lists_stored_reports(database_url: str, write_settings: Any) -> None:
    path = write_settings(database_url, [agency_entry("dg-tjj"), agency_entry("gz-tjj")])
    settings = load_settings(path)
    with Store.from_settings(settings) as store:
        store.sync_agencies(settings.agencies)
        url = "http://dg-tjj.example.gov.cn/nb/2019.txt"
        store_report(store, "dg-tjj", dongguan(2019, carried_forward=2), url=url, headers={}, fetched_at=T0)
        store_report(store, "dg-tjj", dongguan(2020), url=url + "?b", headers={}, fetched_at=T0)
        store_report(store, "dg-tjj", dongguan(2020, extra="\nv2"), url=url + "?c", headers={}, fetched_at=T0)
    result = run("--config", str(path), "reports", "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["agency_id"], r["year"], r["versions"]) for r in rows] == [
        ("dg-tjj", 2019, 1),
        ("dg-tjj", 2020, 2),
    ]
    r2020 = rows[1]
    assert r2020["url"] == url + "?c" and r2020["title"] == "东莞市统计局2020年政府信息公开工作报告"
    assert (r2020["error_count"], r2020["warning_count"]) == (2, 0)  # the year_chain mismatch with 2019
    assert r2020["first_seen"] == T0.isoformat() and r2020["last_seen"] == T0.isoformat()

    only = run("--config", str(path), "reports", "--json", "--agency", "dg-tjj", "--year", "2019")
    assert [json.loads(line)["year"] for line in only.output.splitlines()] == [2019]
    none = run("--config", str(path), "reports", "--json", "--agency", "gz-tjj")
    assert none.exit_code == 0 and none.output == ""
    table = run("--config", str(path), "reports")
    assert table.exit_code == 0 and "dg-tjj" in table.output and "2020" in table.output


def test_db_upgrade_creates_the_schema(database_url: str, write_settings: Any) -> None:
    path = write_settings(database_url)
    result = run("--config", str(path), "db", "upgrade")
    assert result.exit_code == 0, result.output
    [head] = head_revisions()  # other rooms may add revisions to the one chain; head is the last
    assert result.output.strip().endswith(f"at revision {head}")
    with Store(database_url, Path(load_settings(path).blob_dir), migrate=False) as store:
        tables = set(inspect(store.engine).get_table_names())
    assert {"agencies", "reports", "versions", "findings", "fetches", "events", "alembic_version"} <= tables


def test_db_verify_finds_a_corrupt_blob(database_url: str, write_settings: Any) -> None:
    path = write_settings(database_url, [agency_entry("dg-tjj")])
    settings = load_settings(path)
    with Store.from_settings(settings) as store:
        store.sync_agencies(settings.agencies)
        saved = store_report(store, "dg-tjj", dongguan(), url="http://x/1.txt", headers={}, fetched_at=T0)
        blob = store.blobs.path(saved.sha256)
    assert run("--config", str(path), "db", "verify").exit_code == 0
    blob.chmod(0o644)
    blob.write_bytes(b"tampered")
    result = CliRunner().invoke(main, ["--config", str(path), "db", "verify"])
    assert result.exit_code == 1 and "missing or corrupt" in result.output


def test_invalid_settings_give_a_clear_error(tmp_path: Path, write_settings: Any) -> None:
    path = write_settings(None, [agency_entry("gz-tjj", level="town")])
    result = CliRunner().invoke(main, ["--config", str(path), "reports"])
    assert result.exit_code == 1
    assert 'agencies.yaml: agency "gz-tjj": level must be province|city|county, got "town"' in result.output
