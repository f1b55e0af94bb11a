"""Cluster benchmark: a generated farm of sites with real-world latency, crawled by 1, 2, 4, 8 Celery workers.

    python3 bench/cluster.py [--sites 5000] [--workers 1 2 4 8] [--registry 300000]

The farm: every site has its own loopback address (127.0.x.y: Scrapy's per-host slots and the cluster's
shards see distinct hosts) on one port, each address bound explicitly (loopback only), shared out among
one asyncio server process per core. Each answer
waits 100-500 ms (fixed per site), one site in fifty waits 2 s. A site is a TRS column: robots.txt and three
list pages joined by a createPageHTML pager (4 requests, nothing to parse: the crawl itself is measured).
For each worker count: a fresh PostgreSQL database, the agencies imported into the registry, a coordinator
(`nianbao run --coordinator --crawl-now`) and N `nianbao worker` processes on RabbitMQ; pages/s is the
pages of the round's runs over the round's time (planned to finished), speed-up against one worker.

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

    name = f"nianbao_bench_{secrets.token_hex(4)}"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return PG + name, drop


def write_config(folder: Path, url: str, queue: str, hosts_per_shard: int) -> Path:
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    config = {"database_url": url, "blob_dir": str(folder / "blobs"), "outbox_dir": str(folder / "outbox"),
              "crawl": {"concurrency": 64, "per_domain_concurrency": 2, "delay": 0, "autothrottle": False,
                        "timeout": 10, "retries": 0},
              "cluster": {"crawl_queue": f"{queue}.crawl", "parse_queue": f"{queue}.parse",
                          "hosts_per_shard": hosts_per_shard, "poll_seconds": 0.5}}
    path = folder / "nianbao.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def run_cluster(sites: int, workers: int, folder: Path, hosts_per_shard: int) -> dict[str, Any]:
    from sqlalchemy import func, select

    from nianbao.crawler.runner import child_env
    from nianbao.settings import AgencyConfig, load_settings
    from nianbao.storage.models import ClusterRound, CrawlRun
    from nianbao.storage.store import Store

    url, drop = pg_database()
    queue = f"bench-{secrets.token_hex(3)}"
    config = write_config(folder, url, queue, hosts_per_shard)
    settings = load_settings(config)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with Store.from_settings(settings) as store:
            store.import_agencies([AgencyConfig.model_validate(a) for a in agencies(sites)])
        base = [sys.executable, "-m", "nianbao.cli", "--config", str(config)]
        logs = [open(folder / f"p{i}.log", "wb") for i in range(workers + 1)]  # noqa: SIM115
        procs.append(subprocess.Popen([*base, "run", "--coordinator", "--crawl-now"], stdout=logs[0],
                                      stderr=subprocess.STDOUT, env=child_env()))
        procs += [subprocess.Popen([*base, "worker", "--name", f"b{i}@bench"], stdout=logs[i + 1],
                                   stderr=subprocess.STDOUT, env=child_env()) for i in range(workers)]
        with Store.from_settings(settings, migrate=False) as store:
            while True:
                time.sleep(1)
                with store.read_session() as s:
                    row = s.execute(select(ClusterRound.started_at, ClusterRound.finished_at)).first()
                    if row and row[1]:
                        pages = s.scalar(select(func.sum(CrawlRun.stats["pages"].as_integer()))) or 0
                        break
        seconds = (row[1] - row[0]).total_seconds()
        return {"workers": workers, "sites": sites, "pages": int(pages), "seconds": round(seconds, 1),
                "pages_per_s": round(pages / seconds, 1)}
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        _delete_queues(queue)
        drop()


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
    queue = f"bench-{secrets.token_hex(3)}"
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
    parser.add_argument("--hosts-per-shard", type=int, default=125)
    parser.add_argument("--registry", type=int, default=300_000, help="agencies for the coordinator's costs (0: skip)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="nianbao-bench-cluster-"))
    results = []
    if args.workers:
        farm = start_farm(args.sites)
        try:
            for workers in args.workers:
                result = run_cluster(args.sites, workers, folder / f"w{workers}", args.hosts_per_shard)
                result["speedup"] = round(result["pages_per_s"] / results[0]["pages_per_s"], 2) if results else 1.0
                results.append(result)
                print(json.dumps(result), flush=True)
        finally:
            for proc in farm:
                proc.terminate()
    if args.registry:
        print(json.dumps(coordinator_costs(args.registry, folder / "registry")), flush=True)


if __name__ == "__main__":
    main()
