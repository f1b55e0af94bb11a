"""Cluster benchmark: a generated farm of sites with real-world latency, crawled by 1, 2, 4, 8 Celery workers.

    python3 bench/cluster.py [--sites 5000] [--workers 1 2 4 8] [--repeats 2] [--registry 300000]
                             [--concurrency N]   # requests in flight per worker (the latency-bound regime)

The farm: every site has its own loopback address (127.0.x.y: Scrapy's per-host slots and the cluster's
shards see distinct hosts) on one port, each address bound explicitly (loopback only), shared out among
one asyncio server process per core. Each answer
waits 100-500 ms (fixed per site), one site in fifty waits 2 s. A site is a TRS column: robots.txt and three
list pages joined by a createPageHTML pager (4 requests, nothing to parse: the crawl itself is measured).
The crawl runs with the settings' own politeness (the `crawl` section's defaults: requests in flight per
worker, per host, the delay between requests to a host, AutoThrottle), so the crawl waits on the sites,
as it does on the web.
For each worker count: a fresh PostgreSQL database, the agencies imported into the registry, N `nianbao
worker` processes on RabbitMQ, then a coordinator (`nianbao run --coordinator --crawl-now`). pages/s is the
pages of the round's runs over the crawl (planned to the last shard done), speed-up against one worker.
CPU is read from the kernel (utime + stime), not from the wall: the Celery workers themselves, their crawl
processes and those processes' store processes (from the runs' records), the coordinator, the database's
backends of the bench database (sampled each second: a lower bound), the farm, and the whole machine
(/proc/stat), so that a reader can tell what the crawl costs from what else ran. Each worker count is run
`--repeats` times (the order reversed every other pass) and the medians are printed last.

Then the coordinator's costs at `--registry` agencies (on as many hosts / 10): import from CSV, the host
roll-call and shard plan of a round, publishing its shards.
Needs RabbitMQ at 127.0.0.1:5672 and PostgreSQL at 127.0.0.1:5432 (user postgres, trust).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import multiprocessing
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PORT = 18_080
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"
PREFIX = "benchcluster"  # of the databases and queues this benchmark makes (and drops)
TICK = os.sysconf("SC_CLK_TCK")


# --- the farm -------------------------------------------------------------------------------------------------


def site_address(index: int) -> str:
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


def latency(host: str) -> float:
    h = zlib.crc32(host.encode())
    return 2.0 if h % 50 == 0 else 0.1 + (h % 401) / 1000


def page(host: str, path: str) -> tuple[int, bytes]:
    if path == "/robots.txt":
        return 404, b"not found"
    names = {"/nb/index.html": 0, "/nb/index_1.html": 1, "/nb/index_2.html": 2}
    if path not in names:
        return 404, b"not found"
    n = names[path]
    body = (f"<html><head><meta charset='utf-8'><title>统计信息 {host}</title></head><body><ul>"
            f"<li><a href='/art/{n}.html'>{host} 统计工作动态第{n}期</a></li></ul>"
            f"<script>createPageHTML(3, {n}, \"index\", \"html\");</script></body></html>")
    return 200, body.encode()


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1].split("?")[0]
            host = next((h.split(":", 1)[1].strip() for h in lines if h.lower().startswith("host:")), "")
            host = host.split(":")[0]
            await asyncio.sleep(latency(host))
            status, body = page(host, path)
            writer.write(f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\nContent-Type: "
                         f"text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, IndexError):
        pass
    finally:
        writer.close()


def _server_process(addresses: list[str]) -> None:
    async def main() -> None:
        # Each site's own loopback address, bound one by one: nothing listens beyond this machine (a
        # wildcard address would also answer on every other interface).
        server = await asyncio.start_server(_serve, host=addresses, port=PORT, backlog=4096, reuse_address=True)
        await server.serve_forever()

    _raise_open_files(len(addresses) + 1024)
    asyncio.run(main())


def _raise_open_files(needed: int) -> None:
    """One listening socket per site: lift the soft limit of open files towards the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed * 2, hard), hard))


def start_farm(sites: int) -> list[multiprocessing.Process]:
    """One server process per core, each bound to its share of the sites' addresses."""
    count = os.cpu_count() or 1
    addresses = [site_address(i) for i in range(sites)]
    procs = [multiprocessing.Process(target=_server_process, args=(addresses[k::count],), daemon=True)
             for k in range(count)]
    for proc in procs:
        proc.start()
    time.sleep(0.5 + sites / 5000)
    return procs


# --- one cluster run ------------------------------------------------------------------------------------------


def agencies(count: int) -> list[dict[str, Any]]:
    return [{"id": f"site-{i}", "name": f"某县第{i}局", "region": "某省/某市/某县", "level": "county",
             "kind": "department", "start_urls": [f"http://{site_address(i)}:{PORT}/nb/index.html"]}
            for i in range(count)]


def pg_database() -> tuple[str, Any]:
    import psycopg

    name = f"{PREFIX}_{secrets.token_hex(4)}"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return PG + name, drop


def write_config(folder: Path, url: str, queue: str, hosts_per_shard: int, concurrency: int | None = None) -> Path:
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    # No `crawl` section: the settings' defaults (their politeness) are what is measured; --concurrency sets
    # the requests in flight per worker only (a worker that waits more on the sites for each CPU second).
    config: dict[str, Any] = {
        "database_url": url, "blob_dir": str(folder / "blobs"), "outbox_dir": str(folder / "outbox"),
        "cluster": {"crawl_queue": f"{queue}.crawl", "parse_queue": f"{queue}.parse", "hosts_per_shard": hosts_per_shard}}
    if concurrency is not None:
        config["crawl"] = {"concurrency": concurrency}
    path = folder / "nianbao.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def run_cluster(sites: int, workers: int, folder: Path, hosts_per_shard: int,
                farm: list[multiprocessing.Process], concurrency: int | None = None) -> dict[str, Any]:
    from nianbao.settings import AgencyConfig, load_settings
    from nianbao.storage.store import Store

    url, drop = pg_database()
    queue = f"{PREFIX}-{secrets.token_hex(3)}"
    config = write_config(folder, url, queue, hosts_per_shard, concurrency)
    settings = load_settings(config)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with Store.from_settings(settings) as store:
            store.import_agencies([AgencyConfig.model_validate(a) for a in agencies(sites)])
        base = [sys.executable, "-m", "nianbao.cli", "--config", str(config)]
        logs = [folder / f"p{i}.log" for i in range(workers + 1)]
        procs += [_start([*base, "worker", "--name", f"b{i}@{queue}"], logs[i + 1]) for i in range(workers)]
        _wait_ready(logs[1:])  # a worker still starting would cost the first shards its start-up
        started = [_proc_cpu(proc.pid) or (0.0, 0.0) for proc in procs]  # a worker's start-up is not a round's
        before = Machine.now(farm)
        procs.insert(0, _start([*base, "run", "--coordinator", "--crawl-now"], logs[0]))
        with Store.from_settings(settings, migrate=False) as store:
            database_cpu = _watch_round(store)
            after = Machine.now(farm)
            figures = _round_figures(store)
        # Read before they are killed (the crawls are all reaped by now), less the workers' start-up.
        own = [_proc_cpu(proc.pid) or (0.0, 0.0) for proc in procs]
        own[1:] = [(cpu[0] - at[0], cpu[1] - at[1]) for cpu, at in zip(own[1:], started, strict=True)]
        return _summary(workers, sites, figures, own, database_cpu, before, after)
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        _delete_queues(queue)
        drop()


def _start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    from nianbao.crawler.runner import child_env

    with open(log, "wb") as out:  # the child keeps its own descriptor
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=child_env())


def _wait_ready(logs: list[Path], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not all(b" ready." in log.read_bytes() for log in logs):
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers not ready after {timeout} s: see {logs}")
        time.sleep(0.5)


def _watch_round(store: Any) -> float:
    """Wait for the round to finish; meanwhile sample the CPU of the database's backends of this database
    each second (their last reading each: a backend that lived less than a second is missed)."""
    from sqlalchemy import select, text

    from nianbao.storage.models import ClusterRound

    backends: dict[int, float] = {}
    with store.engine.connect() as conn:
        me = conn.scalar(text("SELECT pg_backend_pid()"))
        while True:
            time.sleep(1)
            pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))
            for pid in pids.scalars():
                if pid != me and (cpu := _proc_cpu(pid)) is not None:
                    backends[pid] = sum(cpu)
            conn.commit()
            with store.read_session() as s:
                if s.scalar(select(ClusterRound.finished_at)) is not None:
                    return sum(backends.values())


def _round_figures(store: Any) -> dict[str, Any]:
    from sqlalchemy import func, select

    from nianbao.storage.models import ClusterRound, ClusterShard, CrawlRun

    with store.read_session() as s:
        def total(key: str) -> float:
            return float(s.scalar(select(func.sum(CrawlRun.stats[key].as_float()))) or 0)

        started, finished = s.execute(select(ClusterRound.started_at, ClusterRound.finished_at)).one()
        last_shard = s.scalar(select(func.max(ClusterShard.done_at)))
        return {"pages": int(total("pages")), "shards": s.scalar(select(func.count()).select_from(ClusterShard)),
                "crawl_s": (last_shard - started).total_seconds(), "round_s": (finished - started).total_seconds(),
                "crawl_cpu": total("cpu_seconds"), "store_cpu": total("store_cpu_seconds")}


def _summary(workers: int, sites: int, figures: dict[str, Any], own: list[tuple[float, float]],
             database_cpu: float, before: Machine, after: Machine) -> dict[str, Any]:
    """`own`: the coordinator's and each worker's (own, children's) CPU seconds over the round."""
    pages, crawl_s = figures["pages"], figures["crawl_s"]
    coordinator, worker_procs = own[0], own[1:]
    per_1k = 1000 / max(pages, 1)
    celery = sum(cpu[0] for cpu in worker_procs)
    children = sum(cpu[1] for cpu in worker_procs)  # the crawl processes and their store processes
    farm = after.farm - before.farm
    ours = celery + children + sum(coordinator) + database_cpu + farm
    wall = after.at - before.at
    return {
        "workers": workers, "sites": sites, "shards": figures["shards"], "pages": pages,
        "crawl_s": round(crawl_s, 1), "round_s": round(figures["round_s"], 1),
        "pages_per_s": round(pages / crawl_s, 1),
        # CPU seconds per 1,000 pages, all workers together ("worker": the Celery processes, their crawl
        # processes and those processes' store processes: what a worker machine runs)
        "cpu_per_1k": {
            "worker": round((celery + children) * per_1k, 2),
            "celery": round(celery * per_1k, 2), "crawl": round(figures["crawl_cpu"] * per_1k, 2),
            "store": round(figures["store_cpu"] * per_1k, 2),
            "coordinator": round(sum(coordinator) * per_1k, 2), "database": round(database_cpu * per_1k, 2),
            "farm": round(farm * per_1k, 2),
        },
        # The machine over the round: cores busy on average, and how many of them with other work.
        "cores_busy": round((after.busy - before.busy) / wall, 2),
        "cores_busy_elsewhere": round((after.busy - before.busy - ours) / wall, 2),
        "load": [round(before.load, 1), round(after.load, 1)],
    }


class Machine:
    """CPU seconds used so far by the whole machine and by the farm, and the load average, at one moment."""

    def __init__(self, at: float, busy: float, farm: float, load: float) -> None:
        self.at, self.busy, self.farm, self.load = at, busy, farm, load

    @classmethod
    def now(cls, farm: list[multiprocessing.Process]) -> Machine:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle, iowait
        busy = (sum(fields[:8]) - idle) / TICK  # user .. steal (guest time is counted in user already)
        farm_cpu = sum(sum(_proc_cpu(proc.pid) or (0.0, 0.0)) for proc in farm if proc.pid is not None)
        return cls(time.monotonic(), busy, farm_cpu, os.getloadavg()[0])


def _proc_cpu(pid: int) -> tuple[float, float] | None:
    """(own, reaped children's) CPU seconds of a process, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK, (int(fields[13]) + int(fields[14])) / TICK


def crawl_start_cpu(folder: Path, repeats: int = 3) -> float:
    """CPU seconds of a shard's crawl process (and its store process) that crawls one site: what a shard
    costs before its first page, the median of `repeats`."""
    from nianbao.crawler.runner import child_env, read_summary
    from nianbao.settings import AgencyConfig, load_settings
    from nianbao.storage.store import Store

    url, drop = pg_database()
    config = write_config(folder, url, f"{PREFIX}-start", 1)
    host = next(site_address(i) for i in range(50) if latency(site_address(i)) < 0.2)
    costs = []
    try:
        with Store.from_settings(load_settings(config)) as store:
            store.import_agencies([AgencyConfig.model_validate(a) for a in agencies(50)])
        for attempt in range(repeats):
            summary = folder / f"start{attempt}.json"
            subprocess.run([sys.executable, "-m", "nianbao.crawler.run", "--config", str(config), "--summary",
                            str(summary), "--no-sync", "--host", host], env=child_env(), check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            result = read_summary(summary, 0)
            costs.append(result.cpu_seconds + result.store_cpu_seconds)
    finally:
        drop()
    return round(statistics.median(costs), 2)


def _delete_queues(queue: str) -> None:
    from kombu import Connection

    with Connection("amqp://guest:guest@127.0.0.1:5672//") as conn:
        for name in (f"{queue}.crawl", f"{queue}.parse"):
            try:
                conn.default_channel.queue_delete(name)
            except Exception:  # noqa: S112 - never declared
                conn.close()
                conn.connect()


# --- the coordinator at national scale ------------------------------------------------------------------------


def coordinator_costs(count: int, folder: Path) -> dict[str, Any]:
    """Import `count` agencies from CSV (10 per host: consolidated portals), then plan and publish a round."""
    from nianbao.app.cluster import CRAWL_TASK, make_celery, plan_shards
    from nianbao.app.registry import COLUMNS, import_file
    from nianbao.settings import load_settings
    from nianbao.storage.store import Store

    url, drop = pg_database()
    queue = f"{PREFIX}-{secrets.token_hex(3)}"
    config = write_config(folder, url, queue, 20)
    settings = load_settings(config)
    source = folder / "registry.csv"
    with open(source, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(count):
            writer.writerow([f"a{i}", f"某县第{i}局", "某省/某市/某县", "county", "department",
                             f"http://portal{i // 10}.example.gov.cn/d{i % 10}/", "", "", "", "", ""])
    figures: dict[str, Any] = {"agencies": count}
    try:
        with Store.from_settings(settings) as store:
            start = time.perf_counter()
            import_file(store, source)
            figures["import_s"] = round(time.perf_counter() - start, 1)
            start = time.perf_counter()
            planned = plan_shards(store.host_counts(), settings.cluster.hosts_per_shard)
            figures["plan_s"] = round(time.perf_counter() - start, 2)
            figures["shards"] = len(planned)
            app = make_celery(settings)
            start = time.perf_counter()
            with app.producer_or_acquire() as producer:
                for number in range(len(planned)):
                    app.send_task(CRAWL_TASK, args=[number], producer=producer)
            figures["publish_s"] = round(time.perf_counter() - start, 2)
    finally:
        _delete_queues(queue)
        drop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=5000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--repeats", type=int, default=2, help="runs of each worker count (medians printed)")
    parser.add_argument("--hosts-per-shard", type=int, default=125)
    parser.add_argument("--registry", type=int, default=300_000, help="agencies for the coordinator's costs (0: skip)")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="requests in flight per worker (default: the settings'); fewer shows the latency-bound regime")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="nianbao-bench-cluster-"))
    from nianbao.settings import CrawlSettings

    crawl = CrawlSettings() if args.concurrency is None else CrawlSettings(concurrency=args.concurrency)
    print(json.dumps({"crawl": {k: getattr(crawl, k) for k in ("concurrency", "per_domain_concurrency", "delay",
                                                               "autothrottle", "obey_robots")},
                      "hosts_per_shard": args.hosts_per_shard, "cores": os.cpu_count()}), flush=True)
    runs: dict[int, list[dict[str, Any]]] = {n: [] for n in args.workers}
    if args.workers:
        farm = start_farm(args.sites)
        try:
            for repeat in range(args.repeats):
                for workers in args.workers if repeat % 2 == 0 else reversed(args.workers):
                    result = run_cluster(args.sites, workers, folder / f"w{workers}-{repeat}", args.hosts_per_shard,
                                         farm, args.concurrency)
                    runs[workers].append(result)
                    print(json.dumps(result), flush=True)
        finally:
            for proc in farm:
                proc.terminate()
        start = crawl_start_cpu(folder / "start")
        print(json.dumps({"crawl_start_cpu_s": start}), flush=True)
        for line in medians(runs, start):
            print(json.dumps(line), flush=True)
    if args.registry:
        print(json.dumps(coordinator_costs(args.registry, folder / "registry")), flush=True)


def medians(runs: dict[int, list[dict[str, Any]]], start: float) -> list[dict[str, Any]]:
    """Per worker count: the medians of the repeats, speed-up of the median pages/s against one worker's, and
    the crawl's CPU per 1,000 pages once its shards' start-ups (`start` CPU seconds each) are taken out."""
    lines = []
    for workers, results in runs.items():
        line: dict[str, Any] = {"median_of": len(results), "workers": workers}
        line["crawl_per_1k_after_start"] = round(statistics.median(
            r["cpu_per_1k"]["crawl"] + r["cpu_per_1k"]["store"] - 1000 * start * r["shards"] / r["pages"]
            for r in results), 2)
        for key in ("pages_per_s", "crawl_s", "cores_busy", "cores_busy_elsewhere"):
            line[key] = round(statistics.median(r[key] for r in results), 2)
        line["cpu_per_1k"] = {key: round(statistics.median(r["cpu_per_1k"][key] for r in results), 2)
                              for key in results[0]["cpu_per_1k"]}
        line["load"] = [min(r["load"][0] for r in results), max(r["load"][1] for r in results)]
        lines.append(line)
    first = lines[0]["pages_per_s"] if lines else 0
    for line in lines:
        line["speedup"] = round(line["pages_per_s"] / first, 2) if first else None
    return lines


if __name__ == "__main__":
    main()
