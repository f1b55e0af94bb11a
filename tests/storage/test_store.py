"""The Store on real SQLite and PostgreSQL databases: versioning, blobs, transactions, year_chain."""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import nianbao.storage.store as store_module
import nianbao.storage.versions as versions_module
from nianbao.crawler.store_jobs import parse_content, store_report, year_chain
from nianbao.settings import AgencyConfig
from nianbao.storage.models import Agency, CrawlRun, Event, Fetch, Finding, Report, SiteError, Version
from nianbao.storage.store import ParsedContent, Store, UnknownAgency
from tests.storage.reports import dongguan

T0 = datetime(2021, 2, 1, 8, 0, tzinfo=UTC)
URL = "http://dg-tjj.example.gov.cn/nb/2020.txt"


def agency(agency_id: str = "dg-tjj", **kw: Any) -> AgencyConfig:
    values: dict[str, Any] = {
        "id": agency_id,
        "name": "东莞市统计局",
        "region": "广东省/东莞市",
        "level": "city",
        "kind": "department",
        "start_urls": (f"http://{agency_id}.example.gov.cn/nb/",),
    }
    values.update(kw)
    return AgencyConfig(**values)


def save(store: Store, content: bytes, *, at: datetime = T0, url: str = URL, **kw: Any):
    return store_report(
        store, "dg-tjj", content, url=url, headers={"Content-Type": "text/plain"}, fetched_at=at, **kw
    )


def count(store: Store, model: type) -> int:
    with store.read_session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def dg(store: Store) -> Store:
    store.sync_agencies([agency()])
    return store


# --- versioning ----------------------------------------------------------------------------------


def test_same_bytes_twice_is_unchanged(dg: Store) -> None:
    first = save(dg, dongguan())
    again = save(dg, dongguan(), at=T0 + timedelta(days=1))
    assert (first.outcome, first.year, first.number) == ("new_report", 2020, 1)
    assert (again.outcome, again.version_id, again.number) == ("unchanged", first.version_id, 1)
    assert count(dg, Version) == 1
    [summary] = dg.list_reports()
    assert summary.versions == 1
    assert summary.first_seen == T0 and summary.last_seen == T0 + timedelta(days=1)


def test_changed_bytes_become_version_2_and_version_1_stays_intact(dg: Store) -> None:
    v1_bytes, v2_bytes = dongguan(), dongguan(extra="\n更正：补充说明。\n")
    first = save(dg, v1_bytes)
    v1_before = dg.get_version(first.version_id)
    second = save(dg, v2_bytes, at=T0 + timedelta(days=3), url=URL + "?v=2")
    assert (second.outcome, second.report_id, second.number) == ("new_version", first.report_id, 2)
    versions = dg.get_versions(first.report_id)
    assert [v.number for v in versions] == [1, 2]
    v1 = versions[0]
    # Version 1's row and blob are exactly as first stored.
    for column in ("sha256", "size", "url", "headers", "fetched_at", "model", "error_count"):
        assert getattr(v1, column) == getattr(v1_before, column), column
    assert dg.version_bytes(v1.id) == v1_bytes
    assert dg.version_bytes(versions[1].id) == v2_bytes
    assert versions[1].url == URL + "?v=2"
    # The old bytes again: already a version of this report, so unchanged (no version 3).
    assert save(dg, v1_bytes, at=T0 + timedelta(days=4)).outcome == "unchanged"
    assert count(dg, Version) == 2


def test_version_keeps_fetch_metadata_model_and_findings(dg: Store) -> None:
    headers = {b"ETag": [b'"abc"'], b"Last-Modified": [b"Mon, 01 Feb 2021 08:00:00 GMT"]}
    result = store_report(
        dg, "dg-tjj", dongguan(2019, carried_forward=2), url=URL, headers=headers, fetched_at=T0, run_id=None
    )
    version = dg.get_version(result.version_id)
    assert version.headers == {"ETag": '"abc"', "Last-Modified": "Mon, 01 Feb 2021 08:00:00 GMT"}
    assert version.fetched_at == T0
    assert version.source_format == "text"
    assert version.model["year"] == 2019 and version.model["agency"] == "东莞市统计局"
    assert version.model["applications"]["carried_forward"]["total"] == 2
    findings = dg.get_findings(result.version_id)
    # The altered 结转下年度 row breaks the balance (一+二 = 七+四) in two columns: errors.
    assert {f.rule for f in findings} == {"balance"}
    assert version.error_count == len(findings) == result.error_count == 2
    fetch = dg.get_fetch(URL)
    assert fetch.etag == '"abc"' and fetch.is_report and fetch.report_id == result.report_id
    assert fetch.sha256 == version.sha256


def test_year_comes_from_the_report_else_the_hint(dg: Store) -> None:
    from_model = save(dg, dongguan(2021), year_hint=1999)
    assert from_model.year == 2021
    # The same tables with every "20xx年" removed: a report whose year the parser cannot tell.
    no_year = re.sub(r"20\d\d年", "", dongguan().decode()).encode()
    hinted = save(dg, no_year, url=URL + "x", year_hint=2018)
    unknown = save(dg, no_year + "\n另一份".encode(), url=URL + "y")
    assert hinted.outcome == "new_report" and hinted.year == 2018
    assert unknown.outcome == "unreadable" and "year" in unknown.reason


def test_unreadable_document_stores_only_the_fetch(dg: Store) -> None:
    result = save(dg, b"\x89PNG\r\n\x1a\n not a report at all", url="http://dg-tjj.example.gov.cn/logo.png")
    assert result.outcome == "unreadable" and result.version_id is None and result.reason
    assert count(dg, Report) == count(dg, Version) == count(dg, Event) == 0
    fetch = dg.get_fetch("http://dg-tjj.example.gov.cn/logo.png")
    assert fetch is not None and fetch.is_report is False and fetch.report_id is None
    assert list(dg.blobs.keys()) == []


def test_unknown_agency_is_refused(store: Store) -> None:
    with pytest.raises(UnknownAgency):
        save(store, dongguan())
    assert count(store, Report) == 0


# --- events --------------------------------------------------------------------------------------


def test_events_for_new_report_and_new_version_only(dg: Store) -> None:
    save(dg, dongguan())
    save(dg, dongguan())
    save(dg, dongguan(extra="\n修订\n"), at=T0 + timedelta(days=1))
    with dg.read_session() as s:
        events = s.scalars(select(Event).order_by(Event.id)).all()
        assert [(e.kind, e.year, e.payload["number"]) for e in events] == [
            ("new_report", 2020, 1),
            ("new_version", 2020, 2),
        ]
        assert events[0].dedupe_key != events[1].dedupe_key
    # Re-deriving an event with an existing key stores nothing.
    assert dg.record_event("new_report", events[0].dedupe_key, agency_id="dg-tjj") is False
    assert dg.record_event("late", "late:dg-tjj:2020", agency_id="dg-tjj", year=2020) is True
    assert count(dg, Event) == 3


# --- transactions --------------------------------------------------------------------------------


def test_failure_inside_the_transaction_leaves_no_partial_version(
    dg: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: Any, **kwargs: Any) -> bool:
        # Runs after the report, version and findings rows were flushed: the worst moment to die.
        raise RuntimeError("killed mid-transaction")

    monkeypatch.setattr(versions_module, "add_event", explode)
    with pytest.raises(RuntimeError, match="killed"):
        save(dg, dongguan(2019, carried_forward=2))
    assert count(dg, Report) == count(dg, Version) == count(dg, Finding) == count(dg, Fetch) == 0
    monkeypatch.undo()
    # The blob may remain (content-addressed, harmless); the next save stores the version normally.
    result = save(dg, dongguan(2019, carried_forward=2))
    assert (result.outcome, result.number) == ("new_report", 1)
    assert count(dg, Finding) == 2


def test_session_rolls_back_on_error(dg: Store) -> None:
    with pytest.raises(ValueError), dg.session() as s:
        s.add(Report(agency_id="dg-tjj", year=2001))
        s.flush()
        raise ValueError("abort")
    assert count(dg, Report) == 0


# --- year_chain ----------------------------------------------------------------------------------


def year_chain_findings(store: Store, version_id: int) -> list[Finding]:
    return [f for f in store.get_findings(version_id) if f.rule == "year_chain"]


@pytest.mark.parametrize("order", ["earlier_first", "later_first"])
def test_year_chain_findings_are_stored_on_the_later_version(dg: Store, order: str) -> None:
    # 2019 says 2 applications carry over; 2020 says 0 were carried over: a year_chain error.
    earlier, later = dongguan(2019, carried_forward=2), dongguan(2020)
    if order == "earlier_first":
        r2019, r2020 = save(dg, earlier), save(dg, later, url=URL + "?2020")
    else:
        r2020, r2019 = save(dg, later, url=URL + "?2020"), save(dg, earlier)
    chain = year_chain_findings(dg, r2020.version_id)
    assert {(f.location, f.expected, f.actual) for f in chain} == {
        ("applications.carried_over.natural_person", 2, 0),
        ("applications.carried_over.total", 2, 0),
    }
    assert all(f.severity == "error" for f in chain)
    assert year_chain_findings(dg, r2019.version_id) == []
    assert dg.get_version(r2020.version_id).error_count == 2


def test_year_chain_is_recomputed_when_the_earlier_report_changes(dg: Store) -> None:
    save(dg, dongguan(2019, carried_forward=2))
    later = save(dg, dongguan(2020), url=URL + "?2020")
    assert len(year_chain_findings(dg, later.version_id)) == 2
    # A corrected 2019 report (version 2) now agrees with 2020: the old findings are replaced.
    fixed = save(dg, dongguan(2019, carried_forward=0), at=T0 + timedelta(days=1))
    assert fixed.outcome == "new_version"
    assert year_chain_findings(dg, later.version_id) == []
    assert dg.get_version(later.version_id).error_count == 0
    # And a relapse brings them back exactly once (no duplicates on recomputation).
    save(dg, dongguan(2019, carried_forward=2, extra="\n第三版\n"), at=T0 + timedelta(days=2))
    assert len(year_chain_findings(dg, later.version_id)) == 2


# --- listing, agencies, crawl runs, fetches ------------------------------------------------------


def test_list_reports_filters_and_counts(dg: Store) -> None:
    dg.sync_agencies([agency(), agency("gz-tjj", name="广州市统计局", region="广东省/广州市")])
    save(dg, dongguan(2019, carried_forward=2))
    save(dg, dongguan(2020), url=URL + "?2020")
    save(dg, dongguan(2020, extra="\nv2\n"), url=URL + "?2020b", at=T0 + timedelta(hours=1))
    store_report(dg, "gz-tjj", dongguan(2020), url="http://gz/1", headers={}, fetched_at=T0)
    rows = dg.list_reports()
    assert [(r.agency_id, r.year, r.versions) for r in rows] == [
        ("dg-tjj", 2019, 1),
        ("dg-tjj", 2020, 2),
        ("gz-tjj", 2020, 1),
    ]
    dg2020 = rows[1]
    assert dg2020.url == URL + "?2020b" and dg2020.title == "东莞市统计局2020年政府信息公开工作报告"
    assert dg2020.error_count == 2 and dg2020.agency_name == "东莞市统计局"
    assert [r.agency_id for r in dg.list_reports(agency_ids=["gz-tjj"])] == ["gz-tjj"]
    assert [(r.agency_id, r.year) for r in dg.list_reports(year=2019)] == [("dg-tjj", 2019)]


def test_sync_agencies_adds_updates_and_deactivates(store: Store) -> None:
    assert store.sync_agencies([agency(), agency("gz-tjj")]) == {"added": 2, "updated": 0, "deactivated": 0}
    assert store.sync_agencies([agency(render="browser")]) == {"added": 0, "updated": 1, "deactivated": 1}
    with store.read_session() as s:
        rows = {a.id: a for a in s.scalars(select(Agency))}
    assert rows["dg-tjj"].render == "browser" and rows["dg-tjj"].active
    assert rows["gz-tjj"].active is False
    assert rows["dg-tjj"].start_urls == ["http://dg-tjj.example.gov.cn/nb/"]


def test_sync_agencies_races_another_process_adding_the_same_agency(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    """The daemon and a crawl started by hand sync the same list at once: the one that loses the race
    to insert an agency must not fail (it used to raise a duplicate key on PostgreSQL)."""
    other = Store(database_url, tmp_path / "other-blobs")
    errors: list[BaseException] = []
    try:
        with other.session() as s:  # the other process has inserted, not yet committed
            s.add(Agency(id="dg-tjj", name="东莞市统计局", region="广东省/东莞市", level="city", kind="department",
                         start_urls=["http://dg-tjj.example.gov.cn/nb/"], render="auto", active=True))
            s.flush()
            racer = threading.Thread(target=lambda: _catch(errors, store.sync_agencies, [agency()]))
            racer.start()
            racer.join(timeout=1.0)  # on PostgreSQL it now waits on the uncommitted key
        racer.join(timeout=30)
        assert not racer.is_alive() and errors == []
    finally:
        other.close()
    with store.read_session() as s:
        assert [a.id for a in s.scalars(select(Agency))] == ["dg-tjj"]


def _catch(errors: list[BaseException], func: Any, *args: Any) -> None:
    try:
        func(*args)
    except BaseException as error:  # noqa: BLE001 - reported by the test
        errors.append(error)


def test_crawl_run_and_site_errors(dg: Store) -> None:
    run_id = dg.begin_crawl(["dg-tjj"])
    dg.record_site_error(
        run_id, "dg-tjj", "http://dg-tjj.example.gov.cn/", "http_status", "500", status_code=500
    )
    with pytest.raises(ValueError):
        dg.record_site_error(run_id, "dg-tjj", None, "gremlins", "?")
    result = save(dg, dongguan(), run_id=run_id)
    dg.finish_crawl(run_id, {"pages": 3, "reports_new": 1}, status="finished")
    with dg.read_session() as s:
        run = s.get(CrawlRun, run_id)
        assert run.status == "finished" and run.stats == {"pages": 3, "reports_new": 1}
        assert run.finished_at is not None and run.finished_at >= run.started_at
        [error] = s.scalars(select(SiteError)).all()
        assert (error.kind, error.status_code, error.crawl_run_id) == ("http_status", 500, run_id)
    assert dg.get_version(result.version_id).crawl_run_id == run_id


def test_record_fetch_upserts_by_url(store: Store) -> None:
    url = "http://gz.example.gov.cn/nb/index_2.html?" + "q" * 3000  # long URLs are fine
    assert store.get_fetch(url) is None
    common = {"content_type": "text/html", "is_report": False}
    store.record_fetch(url, "gz", status_code=200, etag='"1"', last_modified=None, sha256="a" * 64, **common)
    store.record_fetch(url, "gz", status_code=304, etag='"2"', last_modified="x", sha256="b" * 64, **common)
    fetch = store.get_fetch(url)
    assert (fetch.status_code, fetch.etag, fetch.last_modified, fetch.sha256) == (304, '"2"', "x", "b" * 64)
    assert count(store, Fetch) == 1


def test_crawl_batch_upserts_links_and_checks_and_loads_back_per_agency(store: Store) -> None:
    from nianbao.storage.store import FetchRow

    page, other = "http://gz.example.gov.cn/nb/index.html", "http://sz.example.gov.cn/nb/index.html"
    links = {"rules": "r1", "links": [{"role": "list", "url": page + "?p=2", "hops": 0, "pages": 2}]}
    first = FetchRow(page, "gz", 200, '"1"', None, "text/html", T0, links={"rules": "r1", "links": []})
    store.write_crawl_batch([first, FetchRow(other, "sz", 200, None, None, None, T0)], at=T0)
    later = T0 + timedelta(days=2)
    # The last row of a URL in a batch wins; links and 304 confirmations update rows in place.
    newer = FetchRow(page, "gz", 200, '"2"', "Mon, 01 Feb 2021 08:00:00 GMT", "text/html", T0 + timedelta(days=1))
    store.write_crawl_batch([first, newer], [(page, links)], [other], at=later)
    gz = store.load_fetches(["gz"])
    assert list(gz) == [page] and count(store, Fetch) == 2
    record = gz[page]
    assert (record.etag, record.last_modified, record.links, record.checked_at) == (
        '"2"', "Mon, 01 Feb 2021 08:00:00 GMT", links, later)
    assert record.fetched_at == T0 + timedelta(days=1) and not record.is_report
    assert store.load_fetches(["sz"])[other].checked_at == later  # confirmed by a 304: only checked_at moves
    assert store.load_fetches(["sz"])[other].fetched_at == T0
    assert set(store.load_fetches()) == {page, other}


def test_the_known_url_table_of_many_agencies_loads_in_bounded_batches(store: Store, monkeypatch) -> None:
    # A driver takes at most 65,535 bound values: a crawl of 100,000 agencies once failed at its start.
    from nianbao.storage import fetches
    from nianbao.storage.store import FetchRow

    monkeypatch.setattr(fetches, "_IN_BATCH", 2)
    urls = {f"http://a{i}.example.gov.cn/": f"a{i}" for i in range(5)}
    links = {"rules": "r1", "links": [{"role": "list", "url": "http://a0.example.gov.cn/?p=2", "hops": 0}]}
    store.write_crawl_batch([FetchRow(url, agency, 200, None, None, "text/html", T0, links=links if agency == "a0"
                                      else None) for url, agency in urls.items()], at=T0)
    known = store.load_fetches([*urls.values(), "nobody"])
    assert set(known) == set(urls) and {r.agency_id for r in known.values()} == set(urls.values())
    assert known["http://a0.example.gov.cn/"].links == links and known["http://a1.example.gov.cn/"].links is None
    assert set(store.load_fetches(["a3"])) == {"http://a3.example.gov.cn/"}


def test_runs_whose_process_is_gone_are_marked_interrupted(store: Store) -> None:
    import os
    import subprocess
    import sys

    live = store.begin_crawl(["a"])  # this process: alive, heartbeat fresh
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = store.begin_crawl(["a"], pid=int(gone.stdout))  # a process that has ended
    elsewhere_fresh, elsewhere_silent, hung = (store.begin_crawl(["a"]) for _ in range(3))
    now = datetime.now(UTC)
    with store.session() as s:
        s.get(CrawlRun, elsewhere_fresh).host = "another-host"
        silent = s.get(CrawlRun, elsewhere_silent)
        silent.host, silent.heartbeat_at = "another-host", now - timedelta(minutes=30)
        s.get(CrawlRun, hung).heartbeat_at = now - timedelta(minutes=30)  # our pid, silent: reused or hung
    finished = store.begin_crawl(["a"])
    store.finish_crawl(finished, {})
    assert sorted(store.close_abandoned_runs()) == sorted([dead, elsewhere_silent, hung])
    assert store.close_abandoned_runs() == []  # done once
    with store.read_session() as s:
        status = {run.id: run.status for run in s.scalars(select(CrawlRun))}
        assert s.get(CrawlRun, live).pid == os.getpid() and s.get(CrawlRun, live).host
    assert status == {live: "running", dead: "interrupted", elsewhere_fresh: "running",
                      elsewhere_silent: "interrupted", hung: "interrupted", finished: "finished"}
    store.heartbeat(live)
    with store.read_session() as s:
        assert now - timedelta(seconds=5) < s.get(CrawlRun, live).heartbeat_at <= datetime.now(UTC)


# --- blobs ---------------------------------------------------------------------------------------


def test_stored_blob_hashes_to_its_key(dg: Store) -> None:
    content = dongguan()
    result = save(dg, content)
    path = dg.blobs.path(result.sha256)
    assert (
        hashlib.sha256(path.read_bytes()).hexdigest()
        == result.sha256
        == dg.get_version(result.version_id).sha256
    )
    assert path.parent.parent.parent == dg.blobs.root  # sharded ab/cd/<sha>
    assert dg.blobs.verify(result.sha256)


# --- schema --------------------------------------------------------------------------------------


def test_migrations_match_the_models(store: Store) -> None:
    """The Alembic chain builds exactly the tables of storage/models.py, the roll-up tables included: on a
    database upgraded to head, autogenerate finds nothing to add, drop or alter (SQLite and PostgreSQL)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from nianbao.storage.models import Base

    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    assert {"dashboard_status", "dashboard_meta"} <= set(Base.metadata.tables)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'sub' / 'n.db'}", tmp_path / "blobs")  # creates the folder
    with store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == store_module.SQLITE_BUSY_TIMEOUT_MS


def test_known_bytes_are_unchanged_without_parsing_again(dg: Store) -> None:
    first = save(dg, dongguan())
    calls: list[bytes] = []

    def counting_parse(content: bytes) -> ParsedContent:
        calls.append(content)
        return parse_content(content, "report.txt")

    def save_counted(content: bytes, **kw: Any) -> Any:
        return dg.save_version("dg-tjj", content, url=URL + "?mirror", headers={}, parsed=lambda: counting_parse(content),
                               year_chain=year_chain, **kw)

    again = save_counted(dongguan(), fetched_at=T0 + timedelta(days=7))
    assert (again.outcome, again.version_id, again.year) == ("unchanged", first.version_id, 2020)
    assert calls == []
    assert dg.get_fetch(URL + "?mirror").report_id == first.report_id
    assert dg.list_reports()[0].last_seen == T0 + timedelta(days=7)
    assert save_counted(dongguan(extra="\n新\n"), fetched_at=T0).outcome == "new_version" and len(calls) == 1
