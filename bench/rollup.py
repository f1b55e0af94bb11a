"""The dashboard roll-up after a crawl: full rebuild against the incremental one, on PostgreSQL.

    python3 bench/rollup.py [--agencies 100000] [--years 5] [--changed 0.01] [--prefix nianbao_bench]

Fills a fresh database <prefix>_<random> as bench/dashboard.py does, builds the roll-up once, then
plays a crawl that changed `--changed` of the agencies (a new version of one of their reports, a new report
for a year they had none, a site error for a tenth of them, in a new finished run) and times the
incremental update, then a full rebuild of the same data, and checks that both wrote the same rows (the
statuses and the benchmark rates and quartiles). Each time also says the benchmarks' share (横向对比,
monitor/benchmarks.py). Prints one line for README.md. Drops the database at the end.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import select  # noqa: E402

from nianbao.monitor import benchmarks  # noqa: E402
from nianbao.monitor.rollup import refresh, status_table  # noqa: E402
from nianbao.settings import Settings  # noqa: E402
from nianbao.storage.models import benchmark_rates, benchmark_regions  # noqa: E402
from nianbao.storage.store import Store  # noqa: E402

# bench/dashboard.py by its path: `dashboard` on sys.path is the project's dashboard package.
_spec = importlib.util.spec_from_file_location("bench_dashboard", ROOT / "bench" / "dashboard.py")
assert _spec and _spec.loader
bench_dashboard = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_dashboard)
PG, TODAY, fill = bench_dashboard.PG, bench_dashboard.TODAY, bench_dashboard.fill
EARLIER = f"{TODAY.isoformat()} 01:00:00+08"
CRAWLED = f"{TODAY.isoformat()} 03:00:00+08"  # the crawl played after the first build, the same day


def date_first_run(dbname: str) -> None:
    """bench/dashboard.py's run is dated now(): move it before TODAY, so the sites count as read."""
    with psycopg.connect(**PG, dbname=dbname) as conn:
        conn.execute("UPDATE crawl_runs SET started_at = %s, finished_at = %s", (EARLIER, EARLIER))


def play_crawl(dbname: str, agencies: int, share: float, seed: int = 11, *, new_figures: bool = False) -> int:
    """A finished run that changed `share` of the agencies; returns how many. The new versions carry the
    figures of the one before (a report published again), or with `new_figures` another 予以公开 total (a
    corrected table: the rates of its region and year move)."""
    rng = random.Random(seed)
    chosen = rng.sample(range(agencies), max(1, int(agencies * share)))
    with psycopg.connect(**PG, dbname=dbname) as conn, conn.cursor() as cur:
        run_id = cur.execute("INSERT INTO crawl_runs (started_at, finished_at, status, agency_ids, stats) "
                             "VALUES (%s, %s, 'finished', '[]', '{}') RETURNING id", (CRAWLED, CRAWLED)).fetchone()[0]
        for n, i in enumerate(chosen):
            agency = f"ag{i}"
            if n % 10 == 0:
                cur.execute("INSERT INTO site_errors (crawl_run_id, agency_id, url, kind, message, at) "
                            "VALUES (%s, %s, %s, 'connection', 'refused', now())", (run_id, agency, f"http://{agency}.example/"))
                continue
            report = cur.execute("SELECT id FROM reports WHERE agency_id = %s ORDER BY year DESC LIMIT 1",
                                 (agency,)).fetchone()
            if report is None:
                continue
            cur.execute(
                "INSERT INTO versions (report_id, number, sha256, size, url, headers, fetched_at, source_format, "
                "published_date, model, error_count, warning_count, crawl_run_id) "
                "SELECT report_id, number + 1, %s, size, url, headers, %s, source_format, published_date, "
                + ("jsonb_set(model::jsonb, '{applications,granted,total}', to_jsonb(%s::int))::json"
                   if new_figures else "model") + ", "
                "0, 0, %s FROM versions WHERE report_id = %s ORDER BY number DESC LIMIT 1",
                (secrets.token_hex(32), CRAWLED, *([rng.randint(0, 60)] if new_figures else []), run_id, report[0]))
        cur.execute("ANALYZE")
    return len(chosen)


def rows(store: Store) -> list[set[tuple[Any, ...]]]:
    with store.read_session() as s:
        return [{tuple(r) for r in s.execute(select(table))}
                for table in (status_table, benchmark_rates, benchmark_regions)]


BENCHMARKS_SECONDS: list[float] = []
_benchmarks_refresh = benchmarks.refresh


def _timed_benchmarks(*args: Any, **kwargs: Any) -> int:
    started = time.perf_counter()
    try:
        return _benchmarks_refresh(*args, **kwargs)
    finally:
        BENCHMARKS_SECONDS.append(time.perf_counter() - started)


benchmarks.refresh = _timed_benchmarks  # the roll-up calls it through the module: its share of each refresh


def timed_refresh(store: Store, settings: Settings, *, full: bool) -> tuple[float, int, float]:
    """Seconds of the whole roll-up, rows written, seconds of the benchmarks' part."""
    BENCHMARKS_SECONDS.clear()
    started = time.perf_counter()
    with store.session() as s:
        written = refresh(store, s, TODAY, settings, full=full)
    return time.perf_counter() - started, written, sum(BENCHMARKS_SECONDS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--new-figures", action="store_true", help="the new versions' tables differ")
    parser.add_argument("--prefix", default="nianbao_bench", help="of the database's name")
    args = parser.parse_args()
    dbname = f"{args.prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{dbname}"')
    try:
        fill(dbname, args.agencies, args.years)
        date_first_run(dbname)
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{dbname}"
        settings = Settings(database_url=url)
        store = Store(url, tempfile.mkdtemp())
        first, total, _ = timed_refresh(store, settings, full=True)
        changed = play_crawl(dbname, args.agencies, args.changed, new_figures=args.new_figures)
        incremental, written, incremental_rates = timed_refresh(store, settings, full=False)
        after_incremental = rows(store)
        full, _, full_rates = timed_refresh(store, settings, full=True)
        assert rows(store) == after_incremental, "the incremental rows differ from the full rebuild's"
        store.close()
        print(f"{args.agencies:,} agencies x {args.years} years ({total:,} rows; first build {first:.1f} s), a crawl "
              f"that changed {changed:,} agencies: incremental {incremental:.2f} s ({written:,} rows; benchmarks "
              f"{incremental_rates:.2f} s), full {full:.1f} s (benchmarks {full_rates:.1f} s), same rows")
    finally:
        with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


if __name__ == "__main__":
    main()
