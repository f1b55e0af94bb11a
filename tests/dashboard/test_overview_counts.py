"""The overview's totals, regions and levels (one scan of the year's roll-up rows, summed in Python) are the
counts of the rows themselves (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from nianbao.dashboard import queries as Q
from tests.monitor.test_rollup_incremental import populate, rebuild, rows


def test_the_overview_counts_every_row_of_the_year_by_region_level_and_status(store: Any) -> None:
    populate(store)
    rebuild(store)
    year_rows = [r for (_, year), r in rows(store).items() if year == 2024]
    with store.read_session() as s:
        data = Q._overview(s, 2024, 5)
    assert data["totals"]["counts"] == {**dict.fromkeys(data["totals"]["counts"], 0),
                                        **Counter(r["status"] for r in year_rows)}
    for kind, column in (("regions", "region"), ("levels", "level")):
        shown = {(line["key"], status): n for line in data[kind] for status, n in line["counts"].items() if n}
        assert shown == Counter((r[column], r["status"]) for r in year_rows)
    assert {line["key"] for line in data["regions"]} >= {"山东省/济南市", "广东省/东莞市"}
    assert len(data["worst"]) == 5
