"""Storage's borders: it is the only writer, it never parses, and it stores the caller's parse as given."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nianbao.settings import AgencyConfig
from nianbao.storage import outbox, rollup
from nianbao.storage.models import Fetch, Finding, Version, dashboard_meta, dashboard_status
from nianbao.storage.store import ParsedContent, Store

ROOT = Path(__file__).resolve().parents[2]
# Every room but storage, and the application shell: none of them may write a row itself.
OTHER_ROOMS = ("report", "monitor", "crawler", "alerts", "dashboard", "nianbao/app")
WRITE_FUNCTIONS = {"insert", "update", "delete"}
SESSION_WRITES = {"add", "add_all", "merge", "delete", "bulk_save_objects", "bulk_insert_mappings",
                  "bulk_update_mappings"}
T0 = datetime(2021, 2, 1, 8, 0, tzinfo=UTC)


def _writes(path: Path) -> list[str]:
    """The write constructs in one module: sqlalchemy's insert/update/delete imported, or rows handed to a
    session (`s.add(…)`, `session.merge(…)`)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found += [f"{path}:{node.lineno} imports {a.name}" for a in node.names if a.name in WRITE_FUNCTIONS]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and isinstance(node.func.value, ast.Name) and node.func.value.id in {"s", "session"}
              and node.func.attr in SESSION_WRITES):
            found.append(f"{path}:{node.lineno} {node.func.value.id}.{node.func.attr}(…)")
    return found


def test_no_module_outside_storage_writes_rows() -> None:
    modules = [p for room in OTHER_ROOMS for p in sorted((ROOT / room).rglob("*.py"))]
    assert len(modules) > 20  # the scan really looked at the rooms
    assert [w for path in modules for w in _writes(path)] == []


def test_the_write_scan_sees_a_session_add_and_an_insert_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from sqlalchemy import insert, select\n\ndef f(session, row):\n    session.add(row)\n")
    assert len(_writes(module)) == 2


# --- save_version stores what the caller parsed ----------------------------------------------------------


def _agency() -> AgencyConfig:
    return AgencyConfig(id="a", name="某局", region="某市", level="city", kind="department",
                        start_urls=("http://a.example.gov.cn/",))


def _model(year: int, carried: int) -> dict[str, Any]:
    return {"year": year, "carried": carried}


def _chain(previous: dict[str, Any], current: dict[str, Any]) -> list[dict[str, Any]]:
    """A stand-in year-chain rule: this year's `carried` must equal last year's."""
    if previous["carried"] == current["carried"]:
        return []
    return [{"rule": "year_chain", "severity": "error", "message": "断链", "location": "carried",
             "expected": previous["carried"], "actual": current["carried"]}]


def _save(store: Store, year: int, carried: int, rule: Any = _chain, **kw: Any) -> Any:
    parsed = ParsedContent(model=_model(year, carried), year=year, title=f"{year}年报告",
                           findings=[{"rule": "balance", "severity": "warning", "message": "m"}])
    return store.save_version("a", f"{year}-{carried}-{kw}".encode(), url=f"http://a/{year}/{carried}",
                              headers={}, fetched_at=T0, parsed=parsed, year_chain=rule)


def _rules(store: Store, version_id: int) -> list[tuple[str, str]]:
    return sorted((f.rule, f.severity) for f in store.get_findings(version_id))


@pytest.fixture
def one(store: Store) -> Store:
    store.sync_agencies([_agency()])
    return store


def test_save_version_stores_the_callers_model_findings_and_year_chain(one: Store) -> None:
    earlier = _save(one, 2019, carried=2)
    later = _save(one, 2020, carried=0)
    assert one.get_version(later.version_id).model == _model(2020, 0)
    assert _rules(one, earlier.version_id) == [("balance", "warning")]
    assert _rules(one, later.version_id) == [("balance", "warning"), ("year_chain", "error")]
    assert (later.error_count, later.warning_count) == (1, 1)
    # A corrected 2019 agrees with 2020: the rule runs again on the later report and its finding goes.
    _save(one, 2019, carried=0)
    assert _rules(one, later.version_id) == [("balance", "warning")]


def test_without_a_year_chain_rule_the_chain_is_left_as_it_is(one: Store) -> None:
    _save(one, 2019, carried=2)
    later = _save(one, 2020, carried=0)
    _save(one, 2019, carried=0, rule=None)
    assert _rules(one, later.version_id) == [("balance", "warning"), ("year_chain", "error")]


def test_an_unreadable_reason_from_the_caller_records_only_the_fetch(one: Store) -> None:
    result = one.save_version("a", b"<html>", url="http://a/x", headers={}, fetched_at=T0,
                              parsed=ParsedContent(unreadable="not a report"))
    assert (result.outcome, result.reason) == ("unreadable", "not a report")
    with one.read_session() as s:
        assert s.scalar(select(Version.id)) is None and s.scalar(select(Finding.id)) is None
        assert s.scalar(select(Fetch.is_report).where(Fetch.url == "http://a/x")) is False


# --- the roll-up and the outbox, written by storage ---------------------------------------------------------


def _status_row(agency_id: str, score: int) -> dict[str, Any]:
    return {"agency_id": agency_id, "year": 2020, "name": agency_id, "region": "", "level": "", "kind": "",
            "status": "late", "inconsistent": False, "version_count": 0, "days_late": 3, "error_count": 0,
            "warning_count": 0, "open_errors": 0, "score": score}


def test_rollup_rows_are_replaced_whole_and_the_stamp_is_upserted(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rollup, "BATCH_ROWS", 2)  # the batches meet their edges
    with store.session() as s:
        assert rollup.replace_status_rows(s, [_status_row(f"x{i}", i) for i in range(5)]) == 5
        rollup.set_meta(s, "stamp", "one")
    with store.session() as s:
        assert rollup.replace_status_rows(s, [_status_row("y", 9)]) == 1
        rollup.set_meta(s, "stamp", "two")
        rollup.update_status_row(s, "y", 2020, score=7)
    with store.read_session() as s:
        assert s.execute(select(dashboard_status.c.agency_id, dashboard_status.c.score)).all() == [("y", 7)]
        assert s.execute(select(dashboard_meta.c.key, dashboard_meta.c.value)).all() == [("stamp", "two")]


def test_a_digest_is_claimed_once_per_attempt_and_a_sent_one_is_never_rewritten(store: Store) -> None:
    period = {"recipient": "a@example.org", "period_start": T0, "period_end": T0, "as_of": T0}
    first = store.record_digest(**period, subject="一", html="<p>一</p>", text="一")
    with store.session() as s:
        digest = outbox.claim(s, first.id, max_attempts=1)
        assert digest is not None and digest.attempts == 1
        outbox.mark_failed(s, digest.id, "x" * 5000, claimed_at=digest.claimed_at)
    with store.session() as s:
        assert outbox.claim(s, first.id, max_attempts=1) is None  # attempts used up
        digest = outbox.claim(s, first.id)
        assert digest is not None
        outbox.mark_sent(s, digest.id, T0)
    again = store.record_digest(**period, subject="二", html="<p>二</p>", text="二")
    assert (again.id, again.subject, again.attempts, again.last_error) == (first.id, "一", 2, None)
    with store.read_session() as s:
        assert outbox.pending_ids(s) == []
