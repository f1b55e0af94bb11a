"""The dashboard roll-up rebuilt for the changed agencies only gives exactly the rows of a full rebuild
(SQLite and PostgreSQL), and recomputes only those agencies."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from nianbao import settings
from nianbao.monitor.rollup import refresh, status_table
from tests.monitor.storekit import AgencyCfg, crawl, save, utc

SINCE = dt.date(2024, 3, 1)
TODAY = dt.date(2025, 6, 1)
FILLERS = [AgencyCfg(f"fill-{i:02d}", f"填充{i}县统计局", region="广东省/东莞市", added=SINCE) for i in range(20)]
WATCHED = [AgencyCfg(agency_id, f"{agency_id}县统计局", region="山东省/济南市", added=SINCE)
           for agency_id in ("a", "b", "c", "e", "f", "h")]
SETTINGS = settings.Settings(agencies=tuple(WATCHED + FILLERS))


def rows(store: Any) -> dict[tuple[str, int], dict[str, Any]]:
    with store.read_session() as s:
        return {(r.agency_id, r.year): dict(r._mapping) for r in s.execute(select(status_table))}


def rebuild(store: Any, today: dt.date = TODAY, *, full: bool = False) -> int:
    with store.session() as s:
        return refresh(store, s, today, SETTINGS, full=full)


def populate(store: Any) -> list[str]:
    store.sync_agencies(SETTINGS.agencies)
    store.import_agencies([AgencyCfg("d", "d县统计局", added=SINCE)])  # never crawled: 尚未检查
    for agency in FILLERS:
        save(store, agency.id, 2024, utc(2025, 1, 10))
    save(store, "a", 2024, utc(2025, 1, 20))
    ids = [a.id for a in SETTINGS.agencies]
    for day in (6, 7):
        crawl(store, ids, utc(2025, 2, day), failing={"c": "connection"})
    return ids


def test_an_incremental_rebuild_gives_the_rows_of_a_full_one_and_recomputes_only_the_changed(store) -> None:
    ids = populate(store)
    assert rebuild(store) == 27  # the first build is a full one: every active agency x 2024
    before = rows(store)
    assert before[("c", 2024)]["status"] == "unreachable" and before[("d", 2024)]["status"] == "unchecked"

    save(store, "b", 2024, utc(2025, 5, 1))  # a new report
    crawl(store, [*ids, "d"], utc(2025, 5, 20), failing={"e": "connection"})  # c readable again, d checked
    store.import_agencies([AgencyCfg("n", "n县统计局", added=SINCE)])  # a new agency
    store.sync_agencies([a for a in SETTINGS.agencies if a.id != "h"])  # h no longer watched

    written = rebuild(store)
    incremental = rows(store)
    # b, c, d, e and n recomputed (h's row dropped); the 20 fillers, a and f untouched.
    assert written == 5
    assert {k[0] for k, r in incremental.items() if r != before.get(k)} == {"b", "c", "d", "e", "n"}
    assert ("h", 2024) not in incremental
    assert rebuild(store, full=True) == 27
    assert incremental == rows(store)


def test_a_new_day_rebuilds_every_row(store) -> None:
    populate(store)
    rebuild(store)
    assert rebuild(store) == 0  # nothing changed: nothing recomputed
    assert rebuild(store, TODAY + dt.timedelta(days=1)) == 27
