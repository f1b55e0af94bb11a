"""Helpers for the monitor and alerts tests (the Store fixtures come from tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from nianbao.settings import AgencyConfig


def AgencyCfg(agency_id: str, name: str, region: str = "测试市", kind: str = "department",  # noqa: N802
              added: dt.date | None = None) -> AgencyConfig:
    """An agency's settings, as the tests of the monitor and the alerts need them (no start URLs)."""
    return AgencyConfig(id=agency_id, name=name, region=region, level="city", kind=kind, start_urls=(),
                        added=added)


def utc(year: int, month: int, day: int, hour: int = 4) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def crawl(store: object, agency_ids: list[str], at: dt.datetime, failing: dict[str, str] | None = None,
          status: str = "finished") -> int:
    """Record one crawl run at `at` (finished unless `status` says otherwise); agencies in `failing` get a
    site-level error."""
    from nianbao.storage.models import CrawlRun

    run_id = store.begin_crawl(agency_ids)  # type: ignore[attr-defined]
    for agency_id, kind in (failing or {}).items():
        store.record_site_error(run_id, agency_id, f"http://127.0.0.1:9/{agency_id}", kind, "refused")  # type: ignore[attr-defined]
    store.finish_crawl(run_id, {"pages": 1}, status=status)  # type: ignore[attr-defined]
    with store.session() as s:  # type: ignore[attr-defined]
        run = s.get(CrawlRun, run_id)
        run.started_at = at
        run.finished_at = at + dt.timedelta(minutes=5)
    return run_id


SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seeds" / "001_e370c3ecf5653fbd.txt"


def report_text(year: int, marker: str = "") -> str:
    """A real report (seed 001, 2019 format) moved to `year`; `marker` makes a distinct version."""
    return SEED.read_text(encoding="utf-8").replace("2020", str(year)) + marker


def save(store: object, agency_id: str, year: int, at: dt.datetime, *, published: dt.date | None = None,
         marker: str = "", name: str = "report.txt") -> object:
    """Store a version the way the crawler does, then pin its publication date so that the test does
    not depend on what the parser reads from the text."""
    from nianbao.crawler.store_jobs import store_report
    from nianbao.storage.models import Version

    result = store_report(
        store, agency_id, report_text(year, marker).encode("utf-8"), url=f"http://127.0.0.1:9/{agency_id}/{year}/{name}",
        headers={"Content-Type": "text/plain; charset=utf-8"}, fetched_at=at, year_hint=year, filename=name,
    )
    assert result.version_id is not None, result
    with store.session() as s:  # type: ignore[attr-defined]
        version = s.get(Version, result.version_id)
        version.published_date = published
        model = dict(version.model or {})
        model["published_date"] = published.isoformat() if published else None
        version.model = model
    return result
