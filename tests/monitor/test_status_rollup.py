"""`nianbao status` reads the dashboard's roll-up when it was built for the day from the data as it is now:
the same rows as computing every status, in the same order; a stale roll-up is never read. Past a few
hundred agencies the table is printed as plain lines that keep within 80 columns."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rich.cells import cell_len

from nianbao.monitor import commands
from nianbao.monitor.commands import status_row
from nianbao.monitor.rollup import holds, status_lines, statuses
from nianbao.monitor.status import compute_statuses, scope_of, statuses_from_rollup
from tests.monitor.storekit import save, utc
from tests.monitor.test_rollup_incremental import SETTINGS, TODAY, populate, rebuild


def rows_of(found: Any) -> list[dict[str, Any]]:
    return [status_row(s) for s in found]


def test_the_rollup_gives_the_rows_of_computing_every_status(store: Any) -> None:
    populate(store)
    save(store, "b", 2024, utc(2025, 5, 1), published=dt.date(2025, 4, 2))  # late, by its own date
    save(store, "e", 2024, utc(2025, 1, 9))  # no date of its own: judged from the day it was found
    rebuild(store)
    computed = rows_of(compute_statuses(store, 2024, TODAY, SETTINGS))
    assert {r["status"] for r in computed} >= {"on_time", "late", "missing", "unreachable", "unchecked"}
    assert rows_of(statuses_from_rollup(store, 2024, TODAY, SETTINGS)) == computed
    scope = scope_of(["山东省"])
    assert rows_of(statuses_from_rollup(store, 2024, TODAY, SETTINGS, scope)) == rows_of(
        compute_statuses(store, 2024, TODAY, SETTINGS, scope))


def test_a_stale_rollup_or_another_day_is_computed_not_read(store: Any) -> None:
    populate(store)
    rebuild(store)
    assert not isinstance(statuses(store, 2024, TODAY, SETTINGS, None), list)  # fresh: read off the roll-up
    save(store, "f", 2024, utc(2025, 5, 2))  # after the roll-up was built
    fresh = statuses(store, 2024, TODAY, SETTINGS, None)
    assert isinstance(fresh, list)
    assert {s.agency_id: s.status for s in fresh}["f"] == "late"
    assert isinstance(statuses(store, 2024, TODAY - dt.timedelta(days=1), SETTINGS, None), list)


def test_the_summary_lines_off_the_rollup_are_those_computed_and_a_stale_one_is_not_read(store: Any) -> None:
    populate(store)
    save(store, "b", 2024, utc(2025, 5, 1), published=dt.date(2025, 4, 2))
    rebuild(store)
    assert holds(store, 2024, TODAY) and not holds(store, 2023, TODAY)
    for scope in (None, scope_of(["山东省"]), scope_of([], ["d"])):
        computed = [(s.agency_id, s.extra.get("region") or None, s.status)
                    for s in compute_statuses(store, 2024, TODAY, SETTINGS, scope)]
        assert sorted(status_lines(store, 2024, TODAY, SETTINGS, scope)) == sorted(computed)
    save(store, "f", 2024, utc(2025, 5, 2))  # after the roll-up was built: computed, f late
    assert not holds(store, 2024, TODAY)
    assert ("f", "山东省/济南市", "late") in status_lines(store, 2024, TODAY, SETTINGS, None)


def test_many_rows_print_as_plain_lines_within_80_columns(store: Any, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    populate(store)
    rebuild(store)
    monkeypatch.setattr(commands, "TABLE_ROWS", 5)
    rows = rows_of(statuses(store, 2024, TODAY, SETTINGS, None))
    commands._print_table(iter(rows), 2024, TODAY)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "2024 年度报告 · 截至 2025-06-01" and out[1].split() == ["机关", "状态", "截止日期", "发布日期", "错误"]
    assert max(cell_len(line) for line in out) <= 80
    unreachable = next(r for r in rows if r["status"] == "unreachable")
    assert any(line.startswith(unreachable["agency"]) and "网站无法访问" in line for line in out)
    assert "".join(line.strip() for line in out).count(unreachable["reason"]) == 1  # wrapped, never cut
    counts = out[-1]
    assert f"按时发布 {sum(r['status'] == 'on_time' for r in rows)}" in counts
