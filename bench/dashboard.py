"""Dashboard latency on a big PostgreSQL database.

    python3 bench/dashboard.py [--agencies 100000] [--years 5] [--requests 200] [--keep]

Creates a fresh database nianbao_bench_<random> on 127.0.0.1:5432, fills it with synthetic agencies x
years of reports, versions and findings using COPY (fast), builds the dashboard rollup, starts the dashboard
on a free loopback port (uvicorn, real HTTP with keep-alive), then measures p50/p95 of the overview, a
region list, an agency page, a report page, an agency list sorted by a column, a search and the
benchmarks page (a region's agencies; every region). Prints a Markdown table for README.md. Drops the
database at the end unless --keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import io
import json
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402

from nianbao.monitor.benchmarks import figures  # noqa: E402
from nianbao.report.model import APPEAL_COLUMNS, APPEAL_GROUPS, APPLICANT_COLUMNS, APPLICATION_ROWS  # noqa: E402
from nianbao.storage.benchmarks import FIGURES as FIGURE_NAMES  # noqa: E402

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
TODAY = dt.date(2025, 6, 1)
PROVINCES = ["广东省", "山东省", "浙江省", "江苏省", "四川省", "河南省", "湖北省", "福建省", "宁夏回族自治区", "云南省"]
DEPARTMENTS = ["统计局", "财政局", "教育局", "卫生健康委员会", "生态环境局", "交通运输局", "市场监督管理局", "人民政府"]
# A sorted agency list (any column, both ways) and searches: a department (an eighth of all agencies), a
# province, a full agency name, a year in report titles.
SORTS = ["name", "-name", "region", "-published", "due", "-errors", "status", "versions"]
SEARCHES = [*DEPARTMENTS, *PROVINCES, "广东省第12市统计局", "2023年", "年度报告"]
RULES = [("balance", "applications.total_handled.total"), ("outcome_total", "applications.total_handled.total"),
         ("column_total", "applications.granted.total"), ("appeals_total", "appeals.review.total")]


def model_json(agency: str, year: int, rng: random.Random) -> str:
    """A plausible 2021-format model: every applications row and the appeals groups filled."""
    applications: dict[str, Any] = {}
    for path in APPLICATION_ROWS["2021"]:
        row = {c: rng.randint(0, 9) for c in APPLICANT_COLUMNS[:-1]}
        row["total"] = sum(row.values())
        node = applications
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = row
    appeals = {g: {c: rng.randint(0, 3) for c in APPEAL_COLUMNS} for g in APPEAL_GROUPS}
    return json.dumps({
        "agency": agency, "year": year, "format_version": "2021", "published_date": f"{year + 1}-01-20",
        "sections_present": [1, 2, 3, 4, 5, 6], "summary_text": "本机关认真贯彻落实条例，主动公开政府信息。",
        "problems_text": "存在的问题。", "other_text": "无。",
        "proactive": {"licensing": {"decisions": rng.randint(0, 500)}},
        "applications": applications, "appeals": appeals,
    }, ensure_ascii=False)


def _copy(cur: Any, table: str, columns: list[str], rows: io.StringIO) -> None:
    rows.seek(0)
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        while chunk := rows.read(1 << 20):
            copy.write(chunk)


def _esc(value: Any) -> str:
    if value is None:
        return "\\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


BATCH = 5000
MODEL_FIGURES: list[dict[str, int | None]] = []  # figures of the reused models, by index
BENCHMARKS_S: list[float] = []  # seconds the benchmarks' refresh takes alone
COPY_COLUMNS: dict[str, list[str]] = {
    "agencies": ["id", "name", "region", "level", "kind", "start_urls", "render", "active", "added_at", "updated_at"],
    "reports": ["id", "agency_id", "year", "title", "first_seen", "last_seen"],
    "versions": ["id", "report_id", "number", "sha256", "size", "url", "headers", "fetched_at", "source_format",
                 "published_date", "model", "error_count", "warning_count", "crawl_run_id"],
    "findings": ["id", "version_id", "rule", "severity", "message", "location", "expected", "actual"],
    # What the refresh would read from the latest version's model (monitor.benchmarks.figures), COPYed with it
    # as the crawler's stored versions leave it: the rollup then ranks every agency without parsing a model.
    "benchmark_figures": ["agency_id", "year", "version_id", *FIGURE_NAMES],
}


def _line(*values: Any) -> str:
    return "\t".join(_esc(v) for v in values) + "\n"


def _agency_rows(i: int, first_year: int, rng: random.Random, models: list[str], ids: dict[str, int],
                 ag: io.StringIO, rep: io.StringIO, ver: io.StringIO, fnd: io.StringIO, fig: io.StringIO) -> None:
    """One agency and its reports (about 85 % published, 15 % of those inconsistent, some late)."""
    province = PROVINCES[i % len(PROVINCES)]
    region = f"{province}/第{(i // len(PROVINCES)) % 40 + 1}市"
    department = DEPARTMENTS[i % len(DEPARTMENTS)]
    name = f"{region.split('/')[1]}{department}{i}"
    kind = "government" if department == "人民政府" else "department"
    added = "2015-01-01 00:00:00+00"
    ag.write(_line(f"ag{i}", name, region, ("province", "city", "county")[i % 3], kind, "[]", "auto", "t", added,
                   added))
    for year in range(first_year, TODAY.year):
        if rng.random() > 0.85:
            continue
        ids["report"] += 1
        published = dt.date(year + 1, 1, 10) + dt.timedelta(days=rng.choice([0, 5, 10, 15, 30, 60, 120]))
        seen = f"{published.isoformat()} 08:00:00+00"
        rep.write(_line(ids["report"], f"ag{i}", year, f"{name}{year}年政府信息公开工作年度报告", seen, seen))
        bad = rng.random() < 0.15
        for number in (1, 2) if rng.random() < 0.1 else (1,):
            ids["version"] += 1
            ver.write(_line(ids["version"], ids["report"], number, secrets.token_hex(32), 20000,
                            f"http://ag{i}.example/nb/{year}.html", "{}", seen, "html", published.isoformat(),
                            models[ids["version"] % len(models)], 2 if bad else 0, 0, None))
            for rule, location in rng.sample(RULES, 2) if bad else ():
                ids["finding"] += 1
                fnd.write(_line(ids["finding"], ids["version"], rule, "error", f"{rule} does not add up", location,
                                rng.randint(1, 99), rng.randint(1, 99)))
        figs = MODEL_FIGURES[ids["version"] % len(models)]
        fig.write(_line(f"ag{i}", year, ids["version"], *(figs[name] for name in FIGURE_NAMES)))


def fill(url_db: str, agencies: int, years: int, seed: int = 7) -> dict[str, float]:
    """Synthetic data: about 85 % of reports exist, 15 % of those inconsistent, some late."""
    from nianbao.storage.store import Store

    rng = random.Random(seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    Store(f"postgresql+psycopg://postgres@127.0.0.1:5432/{url_db}", tempfile.mkdtemp()).close()  # schema
    timings["schema_s"] = time.perf_counter() - started
    first_year = TODAY.year - years
    models = [model_json("某局", first_year, rng) for _ in range(20)]  # a few distinct models, reused
    MODEL_FIGURES[:] = [figures(json.loads(m)) for m in models]
    ids = {"report": 0, "version": 0, "finding": 0}
    t0 = time.perf_counter()
    with psycopg.connect(**PG, dbname=url_db) as conn, conn.cursor() as cur:
        # Batches of agencies, each COPYed at once: memory stays flat whatever the size.
        for start in range(0, agencies, BATCH):
            buffers = [io.StringIO() for _ in COPY_COLUMNS]
            for i in range(start, min(agencies, start + BATCH)):
                _agency_rows(i, first_year, rng, models, ids, *buffers)
            for (table, columns), buffer in zip(COPY_COLUMNS.items(), buffers, strict=True):
                _copy(cur, table, columns, buffer)
        cur.execute("INSERT INTO crawl_runs (started_at, finished_at, status, agency_ids, stats) "
                    "VALUES (now(), now(), 'finished', '[]', '{}')")
        for table in ("reports", "versions", "findings"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cur.execute("ANALYZE")
    timings["fill_s"] = time.perf_counter() - t0
    timings.update(reports=ids["report"], versions=ids["version"], findings=ids["finding"])
    return timings


def _get(conn: http.client.HTTPConnection, path: str, cookie: str) -> float:
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie})
    resp = conn.getresponse()
    body = resp.read()
    elapsed = time.perf_counter() - t0
    if resp.status != 200:
        raise RuntimeError(f"{path}: HTTP {resp.status} {body[:300]!r}")
    return elapsed * 1000


def measure(dbname: str, requests: int, agencies: int) -> tuple[list[tuple[str, float, float, float]], float]:
    from sqlalchemy import select

    from nianbao.dashboard.users import add_user
    from nianbao.monitor import benchmarks
    from nianbao.monitor.rollup import status_table
    from nianbao.settings import Settings
    from nianbao.storage.models import Report
    from nianbao.storage.store import Store
    from tests.dashboard.conftest import PASSWORD, Client, start_server

    blobs = Path(tempfile.mkdtemp())
    settings = Settings(database_url=f"postgresql+psycopg://postgres@127.0.0.1:5432/{dbname}", blob_dir=blobs / "b")
    store = Store(settings.database_url, settings.blob_dir)
    add_user(store, "bench", PASSWORD, "viewer")
    server = start_server(settings, store, today=TODAY)
    server.app.state.dashboard.freshness.interval = 3600  # measured pages, not the freshness check
    try:
        t0 = time.perf_counter()
        server.app.state.dashboard.freshness.interval = 0
        server.app.state.dashboard.ensure_fresh()  # the rollup: once, timed separately
        refresh_s = time.perf_counter() - t0
        server.app.state.dashboard.freshness.interval = 3600
        t0 = time.perf_counter()
        with store.session() as s:  # the benchmarks' share of that refresh, once more on its own
            benchmarks.refresh(s, settings.benchmarks)
        BENCHMARKS_S.append(time.perf_counter() - t0)
        client = Client(server.base_url, follow=False)
        client.login("bench")
        cookie = "; ".join(f"{c.name}={c.value}" for c in client.jar)
        rng = random.Random(3)
        with store.read_session() as s:
            regions = list(s.scalars(select(status_table.c.region).distinct()))
            report_ids = list(s.scalars(select(Report.id).order_by(Report.id).limit(50000)))
        year = TODAY.year - 1
        pages = {
            "overview": lambda: f"/overview?year={year}",
            "region list": lambda: f"/agencies?year={year}&region={_q(rng.choice(regions))}",
            "agency page": lambda: f"/agencies/ag{rng.randrange(agencies)}",
            "report page": lambda: f"/reports/{rng.choice(report_ids)}",
            "sorted list": lambda: f"/agencies?year={year}&sort={rng.choice(SORTS)}",
            "search": lambda: f"/search?q={_q(rng.choice(SEARCHES))}",
            "benchmarks, a region": lambda: f"/benchmarks?year={year}&region={_q(rng.choice(regions))}",
            "benchmarks, every region": lambda: f"/benchmarks?year={year}",
        }
        conn = http.client.HTTPConnection("127.0.0.1", int(server.base_url.rsplit(":", 1)[1]), timeout=60)
        results = []
        for name, make in pages.items():
            for _ in range(5):  # warm-up: plans, caches, template compilation
                _get(conn, make(), cookie)
            samples = sorted(_get(conn, make(), cookie) for _ in range(requests))
            p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
            results.append((name, statistics.median(samples), p95, samples[-1]))
        return results, refresh_s
    finally:
        server.stop()
        store.close()


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="Keep the database (its name is printed).")
    args = parser.parse_args()
    dbname = f"nianbao_bench_{secrets.token_hex(4)}"
    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{dbname}"')
    try:
        filled = fill(dbname, args.agencies, args.years)
        print(f"database {dbname}: {args.agencies:,} agencies x {args.years} years -> {filled['reports']:,} reports, "
              f"{filled['versions']:,} versions, {filled['findings']:,} findings; generated and COPYed in "
              f"{filled['fill_s']:.1f} s")
        results, refresh_s = measure(dbname, args.requests, args.agencies)
        print(f"rollup (dashboard_status, {args.agencies * args.years:,} rows) built in {refresh_s:.1f} s, of which "
              f"the benchmarks' rates, percentiles and quartiles {BENCHMARKS_S[0]:.1f} s\n")
        print(f"| page ({args.requests} requests, real HTTP) | p50 ms | p95 ms | max ms |")
        print("|---|---:|---:|---:|")
        for name, p50, p95, worst in results:
            print(f"| {name} | {p50:.1f} | {p95:.1f} | {worst:.1f} |")
    finally:
        if not args.keep:
            with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


if __name__ == "__main__":
    main()
