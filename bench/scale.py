"""The scale test: everything a user waits for, at 100,000-300,000 agencies, on PostgreSQL.

    python3 bench/scale.py [--agencies 300000] [--years 6] [--repeat 20] [--db scale_x] [--keep]

Builds (unless --db names a database built before with --keep) a database as bench/dashboard.py does
(bulk COPY, the same generator), with three changes for the shape of a real registry: a third of the
agencies get a county-level region (广东省/第3市/第2区), each agency a host of ten agencies (the cluster's
shard key) and a start URL, and ten fetch rows per agency (the crawler's known-URL table: a start page and a
list page whose links are stored, articles, report documents). Then measures, p50 and p95 of --repeat runs:

- the dashboard overview, a city's and a county's agency list and the regions page (real HTTP);
- `nianbao status` as a user runs it (a new process; the whole registry, and --region for one province);
- building the weekly digest without sending (alerts.digest.build_digests) for a province's recipient and a
  national one;
- the incremental roll-up after a crawl that changed 1 % of the agencies (bench/rollup.py's crawl);
- the peak memory (RSS) of a crawl's start-up (registry rows and known-URL table, crawler.run), for the
  whole registry on one machine and for one cluster shard (40 hosts).

Prints Markdown lines with the machine's load average.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402


def _load(name: str) -> Any:
    # bench/*.py by path: `dashboard` on sys.path is the project's dashboard package.
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench_dashboard = _load("dashboard")
bench_rollup = _load("rollup")
PG, TODAY = bench_dashboard.PG, bench_dashboard.TODAY
AGENCIES_PER_HOST = 10
FETCHES_PER_AGENCY = 10
SHARD_HOSTS = 40  # one cluster shard (bench/cluster.py's shards hold hundreds of agencies)


def url_of(dbname: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{dbname}"


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


# --- building ---------------------------------------------------------------------------------------


def build(dbname: str, agencies: int, years: int) -> None:
    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{dbname}"')
    t0 = time.perf_counter()
    filled = bench_dashboard.fill(dbname, agencies, years)
    print(f"filled {agencies:,} x {years}: {filled['reports']:,} reports, {filled['versions']:,} versions, "
          f"{filled['findings']:,} findings in {time.perf_counter() - t0:.0f} s (load {load()})", flush=True)
    t0 = time.perf_counter()
    with psycopg.connect(**PG, dbname=dbname) as conn, conn.cursor() as cur:
        # Imported (`nianbao agencies import`: the settings file never deactivates them); a third of the
        # agencies in a county (level county = i % 3 == 2), eight counties a city; ten agencies per host.
        # The city is i % 400 and the county agencies of a city are 1,200 apart: the district is counted in
        # steps of 1,200 (i / 30 gave every county agency of a city the same district: 400 in all).
        cur.execute(
            "UPDATE agencies SET source = 'registry', region = CASE WHEN level = 'county' "
            "THEN region || '/第' || (substr(id, 3)::int / 1200 % 8 + 1) || '区' ELSE region END, "
            f"host = 'h' || (substr(id, 3)::int / {AGENCIES_PER_HOST}) || '.example', "
            "start_urls = json_build_array('http://h' || "
            f"(substr(id, 3)::int / {AGENCIES_PER_HOST}) || '.example/' || id || '/')")
        fetch_rows(cur, agencies)
        cur.execute("ANALYZE")
    print(f"regions, hosts and {agencies * FETCHES_PER_AGENCY:,} fetch rows in {time.perf_counter() - t0:.0f} s",
          flush=True)
    bench_rollup.date_first_run(dbname)
    from nianbao.settings import Settings
    from nianbao.storage.store import Store

    settings = Settings(database_url=url_of(dbname))
    store = Store(settings.database_url, tempfile.mkdtemp())
    seconds, rows, rates = bench_rollup.timed_refresh(store, settings, full=True)
    store.close()
    print(f"roll-up: {rows:,} rows in {seconds:.0f} s (benchmarks {rates:.0f} s; load {load()})", flush=True)


def fetch_rows(cur: Any, agencies: int) -> None:
    """Ten URLs per agency as a crawl leaves them: a start page and a list page with their links, four
    articles, four documents (two of them reports)."""
    from nianbao.crawler.known import rules_fingerprint

    rules = rules_fingerprint({}, {})
    columns = ["url", "url_hash", "agency_id", "status_code", "etag", "last_modified", "sha256", "content_type",
               "fetched_at", "is_report", "checked_at", "links"]
    at = "2025-05-25 02:00:00+00"
    for start in range(0, agencies, 20000):
        buffer = io.StringIO()
        for i in range(start, min(agencies, start + 20000)):
            base = f"http://h{i // AGENCIES_PER_HOST}.example/ag{i}/"
            articles = [f"{base}xxgk/{year}/t{i}_{year}.html" for year in range(2021, 2025)]
            documents = [f"{base}xxgk/{year}/P0{i}{year}.pdf" for year in range(2021, 2025)]
            listing = f"{base}xxgk/ndbg/"
            pages = [(base, [(listing, "list", "政府信息公开年报")]),
                     (listing, [(a, "article", f"{year}年政府信息公开工作年度报告")
                                for a, year in zip(articles, range(2021, 2025), strict=True)])]
            pages += [(a, [(d, "document", "附件")]) for a, d in zip(articles, documents, strict=True)]
            pages += [(d, None) for d in documents]
            for n, (url, links) in enumerate(pages):
                stored = None if links is None else json.dumps(
                    {"rules": rules, "links": [{"role": role, "url": u, "title": t, "hops": 1}
                                               for u, role, t in links]}, ensure_ascii=False)
                kind = "application/pdf" if links is None else "text/html"
                buffer.write(bench_dashboard._line(
                    url, hashlib.sha1(url.encode()).hexdigest(), f"ag{i}", 200, f'"{secrets.token_hex(8)}"',
                    "Sun, 25 May 2025 02:00:00 GMT", secrets.token_hex(32) if links is None else None, kind, at,
                    "t" if n >= 8 else "f", at, stored))
        bench_dashboard._copy(cur, "fetches", columns, buffer)


# --- measuring --------------------------------------------------------------------------------------


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def timed(fn: Callable[[], Any], repeat: int, warm: int = 1) -> tuple[float, float]:
    for _ in range(warm):
        fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return percentiles(samples)


def row(name: str, p50: float, p95: float, note: str = "") -> None:
    print(f"| {name} | {p50:,.0f} | {p95:,.0f} | {load()} | {note} |", flush=True)


def measure_dashboard(dbname: str, requests: int) -> None:
    from nianbao.dashboard.users import add_user
    from nianbao.settings import Settings
    from nianbao.storage.store import Store
    from tests.dashboard.conftest import PASSWORD, Client, start_server

    blobs = Path(tempfile.mkdtemp())
    settings = Settings(database_url=url_of(dbname), blob_dir=blobs / "b")
    store = Store(settings.database_url, settings.blob_dir)
    user = f"bench{secrets.token_hex(3)}"  # a new one each run on a kept database
    add_user(store, user, PASSWORD, "viewer")
    server = start_server(settings, store, today=TODAY)
    server.app.state.dashboard.freshness.interval = 3600  # the roll-up is built: measured pages only
    try:
        client = Client(server.base_url, follow=False)
        client.login(user)
        cookie = "; ".join(f"{c.name}={c.value}" for c in client.jar)
        conn = bench_dashboard.http.client.HTTPConnection("127.0.0.1", int(server.base_url.rsplit(":", 1)[1]),
                                                          timeout=120)
        year = TODAY.year - 1
        q = bench_dashboard._q
        pages = {
            "dashboard overview": f"/overview?year={year}",
            "regions page (first page of regions)": f"/regions?year={year}",
            "a city's agency list (广东省/第1市)": f"/agencies?year={year}&region={q('广东省/第1市')}",
            "a county's agency list (广东省/第1市/第1区)": f"/agencies?year={year}&region={q('广东省/第1市/第1区')}",
        }
        for name, path in pages.items():
            row(name, *timed(lambda p=path: bench_dashboard._get(conn, p, cookie), requests, warm=3))
    finally:
        server.stop()
        store.close()


def measure_status(dbname: str, repeat: int) -> None:
    env = {**os.environ, "NIANBAO_DATABASE_URL": url_of(dbname), "PYTHONPATH": str(ROOT),
           "NIANBAO_CONFIG": str(_empty_settings())}
    base = [sys.executable, "-m", "nianbao.cli", "status", "--year", str(TODAY.year - 1), "--as-of",
            TODAY.isoformat()]
    runs = {"`nianbao status --json`, every agency": [*base, "--json"],
            "`nianbao status` (table), every agency": base}
    if "--region" in subprocess.run([*base, "--help"], env=env, capture_output=True, text=True).stdout:
        runs["`nianbao status --region 广东省`"] = [*base, "--region", "广东省"]
        runs["`nianbao status --region 广东省/第1市/第1区`"] = [*base, "--region", "广东省/第1市/第1区"]

    def one(argv: list[str]) -> None:
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, cwd=tempfile.gettempdir())

    for name, argv in runs.items():
        row(name, *timed(lambda a=argv: one(a), repeat), "a new process each time, output to /dev/null")


def _empty_settings() -> Path:
    path = Path(tempfile.mkdtemp()) / "nianbao.yaml"
    path.write_text("{}\n", encoding="utf-8")
    return path


def measure_digest(dbname: str, repeat: int) -> None:
    from nianbao.alerts.digest import build_digests
    from nianbao.settings import Recipient, Settings
    from nianbao.storage.store import Store

    for name, recipient in (("digest for a province's recipient (广东省)", {"regions": ["广东省"]}),
                            ("digest for a national recipient", {})):
        settings = Settings(database_url=url_of(dbname),
                            recipients=[Recipient(email="a@example.gov.cn", **recipient)])
        store = Store(settings.database_url, tempfile.mkdtemp())
        row(name, *timed(lambda s=settings, st=store: build_digests(st, s, as_of=TODAY, record=False), repeat),
            "build_digests, not sent")
        store.close()


def measure_rollup(dbname: str, agencies: int, share: float) -> None:
    """Two crawls in turn: new versions with the figures of the old (a report published again), then with
    other figures (the 横向对比 of their regions re-ranked)."""
    from nianbao.settings import Settings
    from nianbao.storage.store import Store

    settings = Settings(database_url=url_of(dbname))
    store = Store(settings.database_url, tempfile.mkdtemp())
    for new_figures in (False, True):
        changed = bench_rollup.play_crawl(dbname, agencies, share, seed=random.randrange(1 << 30),
                                          new_figures=new_figures)
        cpu = time.process_time()
        seconds, written, rates = bench_rollup.timed_refresh(store, settings, full=False)
        cpu = time.process_time() - cpu
        kind = "other figures" if new_figures else "the same figures"
        print(f"| incremental roll-up, a crawl that changed {changed:,} agencies ({kind}) | {seconds * 1000:,.0f} | | "
              f"{load()} | {written:,} rows rewritten; 横向对比 {rates:.1f} s; {cpu:.1f} s CPU |", flush=True)
    store.close()


def measure_crawl_start(dbname: str) -> None:
    """Peak RSS of a process doing what a crawl does before its first request: registry rows, the spider,
    the known URLs of the first batch of hosts (bench/crawl_start.py)."""
    probe = ROOT / "bench" / "crawl_start.py"
    env = {**os.environ, "NIANBAO_DATABASE_URL": url_of(dbname), "PYTHONPATH": str(ROOT),
           "NIANBAO_CONFIG": str(_empty_settings())}
    with psycopg.connect(**PG, dbname=dbname) as conn:
        hosts = [h for (h,) in conn.execute("SELECT DISTINCT host FROM agencies ORDER BY host LIMIT %s",
                                            (SHARD_HOSTS,))]
    for name, args in (("crawl start-up, whole registry on one machine", []),
                       (f"crawl start-up, one cluster shard ({SHARD_HOSTS} hosts)", ["--hosts", ",".join(hosts)])):
        out = subprocess.run([sys.executable, str(probe), *args], env=env, check=True, capture_output=True,
                             text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        print(f"| {name} | {result['seconds'] * 1000:,.0f} | | {load()} | {result['cpu_seconds']:.1f} s CPU, "
              f"peak RSS {result['peak_mb']:,.0f} MB ({result['baseline_mb']:,.0f} MB before), "
              f"{result['agencies']:,} agencies, {result['known']:,} known URLs read before the first request |",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=300_000)
    parser.add_argument("--years", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=20, help="Runs of each measure (HTTP pages: 10x).")
    parser.add_argument("--db", default=None, help="Reuse this database (built by an earlier --keep run).")
    parser.add_argument("--keep", action="store_true", help="Keep the database (its name is printed).")
    parser.add_argument("--only", default="dashboard,status,digest,rollup,crawl")
    args = parser.parse_args()
    dbname = args.db or f"scale_{secrets.token_hex(4)}"
    with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
    try:
        if not exists:
            t0 = time.perf_counter()
            build(dbname, args.agencies, args.years)
            print(f"database {dbname} built in {time.perf_counter() - t0:.0f} s", flush=True)
        print(f"\n| {args.agencies:,} agencies x {args.years} years | p50 ms | p95 ms | load 1/5/15 min | |")
        print("|---|---:|---:|---|---|")
        only = args.only.split(",")
        if "dashboard" in only:
            measure_dashboard(dbname, args.repeat * 10)
        if "status" in only:
            measure_status(dbname, args.repeat)
        if "digest" in only:
            measure_digest(dbname, args.repeat)
        if "crawl" in only:
            measure_crawl_start(dbname)
        if "rollup" in only:  # last: it adds a crawl to the data
            measure_rollup(dbname, args.agencies, 0.01)
    finally:
        if not args.keep:
            with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


if __name__ == "__main__":
    main()
