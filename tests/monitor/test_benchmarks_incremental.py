"""The benchmark rates (横向对比) refreshed for the (region, year) groups a change touched give exactly the rows
of a full refresh (SQLite and PostgreSQL): after new versions of a few reports, after an agency moved region
or stopped being watched; and a refresh with nothing changed rewrites nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update

from nianbao import settings
from nianbao.monitor import benchmarks
from nianbao.monitor.rollup import refresh
from nianbao.storage.models import benchmark_rates, benchmark_regions
from nianbao.storage.store import ParsedContent, Store
from tests.dashboard.test_benchmarks import model
from tests.monitor.storekit import AgencyCfg, utc

TODAY = dt.date(2025, 6, 1)
YEARS = (2022, 2023, 2024)
SINCE = dt.date(2021, 1, 1)
# agency -> region; each region has enough agencies for its percentiles to move when one of them changes.
REGIONS = {**{f"nj-{i}": "江苏省/南京市" for i in range(5)}, **{f"sz-{i}": "江苏省/苏州市" for i in range(4)},
           **{f"hz-{i}": "浙江省/杭州市" for i in range(3)}}
AGENCIES = tuple(AgencyCfg(a, f"{a}局", region=region, added=SINCE) for a, region in REGIONS.items())
SETTINGS = settings.Settings(agencies=AGENCIES)


def figures_of(n: int, year: int) -> dict[str, Any]:
    """A model with other figures for every agency number and year (granted, refused, unable, other)."""
    return model(10 + (n * 7 + year) % 13, 1 + (n * 5 + year) % 9, (n * 3 + year) % 6, n % 4,
                 review=(n % 3, 3 + n % 4), litigation=(year % 2, 4))


def save(store: Store, agency_id: str, year: int, n: int, at: dt.datetime) -> None:
    store.save_version(agency_id, f"{agency_id} {year} {n}".encode(), url=f"http://{agency_id}.example/{year}.html",
                       headers={}, fetched_at=at, parsed=ParsedContent(model=figures_of(n, year), year=year))


def populate(store: Store) -> None:
    store.sync_agencies(AGENCIES)
    for n, agency_id in enumerate(REGIONS):
        for year in YEARS:
            if (agency_id, year) != ("hz-2", 2023):  # a year without a report: added by a later crawl
                save(store, agency_id, year, n, utc(year + 1, 2, 1))
    rebuild(store)


def rebuild(store: Store, *, full: bool = False) -> None:
    with store.session() as s:
        refresh(store, s, TODAY, SETTINGS, full=full)


def tables(store: Store) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    with store.read_session() as s:
        return ({tuple(r) for r in s.execute(select(benchmark_rates))},
                {tuple(r) for r in s.execute(select(benchmark_regions))})


def rates_row(store: Store, agency_id: str, year: int) -> dict[str, Any]:
    with store.read_session() as s:
        row = s.execute(select(benchmark_rates).where(benchmark_rates.c.agency_id == agency_id,
                                                      benchmark_rates.c.year == year)).one()
        return dict(row._mapping)


def assert_incremental_equals_full(store: Store, before: Any) -> None:
    rebuild(store)
    incremental = tables(store)
    assert incremental != before  # the change moved rows: the comparison below says something
    rebuild(store, full=True)
    assert tables(store) == incremental


def test_new_versions_of_a_few_reports_rewrite_their_groups_as_a_full_refresh_would(store: Store) -> None:
    populate(store)
    before = tables(store)
    save(store, "nj-1", 2024, 40, utc(2025, 5, 1))  # other figures: the region's percentiles move
    save(store, "sz-3", 2023, 41, utc(2025, 5, 1))
    save(store, "hz-2", 2023, 42, utc(2025, 5, 1))  # a year it had no report for
    assert_incremental_equals_full(store, before)
    assert rates_row(store, "hz-2", 2023)["report_id"] is not None


def test_an_agency_moved_region_or_no_longer_watched_leaves_the_rows_of_a_full_refresh(store: Store) -> None:
    populate(store)
    before = tables(store)
    moved = [AgencyCfg(a.id, a.name, region="浙江省/杭州市" if a.id == "nj-2" else a.region, added=SINCE)
             for a in AGENCIES if a.id != "sz-0"]
    store.sync_agencies(moved)  # nj-2 to 杭州, sz-0 no longer watched
    assert_incremental_equals_full(store, before)
    assert rates_row(store, "nj-2", 2024)["region"] == "浙江省/杭州市"
    store.sync_agencies(AGENCIES)  # and back, sz-0 watched again
    assert_incremental_equals_full(store, tables(store))
    assert rates_row(store, "sz-0", 2022)["region"] == "江苏省/苏州市"


def test_only_the_touched_groups_are_rewritten_and_nothing_when_nothing_changed(store: Store) -> None:
    populate(store)
    with store.session() as s:  # marks that a rewrite would erase
        s.execute(update(benchmark_rates).values(warnings=-1))
        s.execute(update(benchmark_regions).values(above=-1))
    with store.session() as s:
        assert benchmarks.refresh(s, SETTINGS.benchmarks, set()) == 0
        assert benchmarks.refresh(s, SETTINGS.benchmarks, {"nj-0", "hz-1"}) == 0  # no figure, no registry change
    assert {r["warnings"] for r in marked(store, benchmark_rates)} == {-1}
    assert {r["above"] for r in marked(store, benchmark_regions)} == {-1}

    save(store, "sz-1", 2023, 43, utc(2025, 5, 1))
    rebuild(store)  # the roll-up passes its changed agencies on
    rewritten = {(r["agency_id"], r["year"]) for r in marked(store, benchmark_rates) if r["warnings"] != -1}
    assert rewritten == {(f"sz-{i}", 2023) for i in range(4)}
    quartiles = {(r["region"], r["year"]) for r in marked(store, benchmark_regions) if r["above"] != -1}
    assert quartiles == {("江苏省/苏州市", 2023), ("", 2023)}  # the region's and every region's of the year


def marked(store: Store, table: Any) -> list[dict[str, Any]]:
    with store.read_session() as s:
        return [dict(r._mapping) for r in s.execute(select(table))]


def test_new_benchmark_settings_rewrite_every_group_though_no_report_changed(store: Store) -> None:
    populate(store)
    stricter = SETTINGS.model_copy(update={"benchmarks": SETTINGS.benchmarks.model_copy(
        update={"refused_rate_above": 0.01})})
    with store.session() as s:
        refresh(store, s, TODAY, stricter)
    incremental = tables(store)
    with store.session() as s:
        refresh(store, s, TODAY, stricter, full=True)
    assert incremental == tables(store)


def test_a_new_version_with_the_same_figures_rewrites_no_group(store: Store) -> None:
    populate(store)
    with store.session() as s:  # marks that a rewrite would erase
        s.execute(update(benchmark_rates).values(warnings=-1))
        s.execute(update(benchmark_regions).values(above=-1))
    # Republished (another file, other words) with the figures it had: the rates cannot have moved.
    store.save_version("nj-1", b"nj-1 2024 republished", url="http://nj-1.example/2024.html", headers={},
                       fetched_at=utc(2025, 5, 1), parsed=ParsedContent(model=figures_of(1, 2024), year=2024))
    rebuild(store)
    assert {r["warnings"] for r in marked(store, benchmark_rates)} == {-1}
    assert {r["above"] for r in marked(store, benchmark_regions)} == {-1}
    save(store, "nj-1", 2024, 44, utc(2025, 5, 2))  # and with other figures, its group is
    rebuild(store)
    rewritten = {(r["agency_id"], r["year"]) for r in marked(store, benchmark_rates) if r["warnings"] != -1}
    assert rewritten == {(f"nj-{i}", 2024) for i in range(5)}
