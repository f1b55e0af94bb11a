"""Fixtures of the crawl tests: a running farm (tests/farm) and helpers to read the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.farm import Farm

WORKING = ["trs", "jsonlist", "gbk", "doc", "split"]


@pytest.fixture
def farm(tmp_path: Path) -> Iterator[Farm]:
    with Farm(tmp_path / "farm") as running:
        yield running


@pytest.fixture
def working_farm(tmp_path: Path) -> Iterator[Farm]:
    """Only the working sites: crawls take ~4 s instead of waiting for the hanging site."""
    with Farm(tmp_path / "farm", only=WORKING) as running:
        yield running


def snapshot(database_url: str, blob_dir: Path) -> dict[str, Any]:
    """What a crawl leaves in the database, without ids, times and run numbers."""
    from nianbao.storage.models import Event, Finding, Report, Version
    from nianbao.storage.store import Store

    store = Store(database_url, blob_dir)
    try:
        with store.read_session() as s:
            reports = {r.id: (r.agency_id, r.year) for r in s.scalars(select(Report))}
            versions = sorted((*reports[v.report_id], v.number, v.sha256, v.size, v.error_count, v.warning_count)
                              for v in s.scalars(select(Version)))
            findings = sorted((f.rule, f.severity, f.location or "") for f in s.scalars(select(Finding)))
            events = sorted((e.kind, e.dedupe_key) for e in s.scalars(select(Event)))
        return {"reports": sorted(reports.values()), "versions": versions, "findings": findings, "events": events}
    finally:
        store.close()
