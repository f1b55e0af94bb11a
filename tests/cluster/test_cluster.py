"""A real cluster on this machine: RabbitMQ, PostgreSQL, one or two coordinators and three worker processes,
crawling consolidated portals (several agencies on one host). It must leave exactly the database a
single-machine crawl leaves, also when a worker is killed mid-shard and the coordinator is killed and
replaced, and never put more requests in flight on one host than the configured per-host concurrency."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nianbao.crawler.runner import child_env, run_crawl
from nianbao.monitor.events import derive_events
from nianbao.settings import load_settings
from nianbao.storage.models import ClusterRound
from nianbao.storage.store import Store
from tests.conftest import _pg_connect
from tests.crawler.conftest import snapshot
from tests.farm.agencies import write_config
from tests.farm.portals import start_portals
from tests.farm.server import SiteServer

pytestmark = [pytest.mark.cluster, pytest.mark.postgres, pytest.mark.timeout(240)]

PER_HOST = 2  # the politeness the cluster must keep on every host
BROKER = "amqp://guest:guest@127.0.0.1:5672//"


def _broker_up() -> bool:
    from kombu import Connection

    try:
        with Connection(BROKER, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception:
        return False
    return True


def database_state(database_url: str, blob_dir: Path) -> dict[str, Any]:
    """The crawl's snapshot (reports, versions with sha256, findings), with events named by what they are
    about (kind, agency, year, the version's sha256) instead of row ids, which depend on the order of writes."""
    from nianbao.storage.models import Event, Version

    state = snapshot(database_url, blob_dir)
    with Store(database_url, blob_dir, migrate=False) as store, store.read_session() as s:
        sha = dict(s.execute(select(Version.id, Version.sha256)).all())
        state["events"] = sorted((e.kind, e.agency_id or "", e.year or 0, sha.get(e.version_id, ""))
                                 for e in s.scalars(select(Event)))
    return state


@pytest.fixture(scope="module")
def portals() -> Iterator[tuple[list[SiteServer], list[dict[str, Any]]]]:
    servers, entries = start_portals(hosts=6, per_host=4)
    try:
        yield servers, entries
    finally:
        for site in servers:
            site.stop()


@pytest.fixture(scope="module")
def single_machine(portals: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What one machine's crawl (then the daemon's event derivation) leaves."""
    folder = tmp_path_factory.mktemp("single")
    config = write_config(folder / "config", f"sqlite:///{folder / 'db.sqlite'}", portals[1],
                          per_domain_concurrency=PER_HOST)
    summary = run_crawl(config)
    assert summary.ok, summary.log[-3000:]
    settings = load_settings(config)
    with Store.from_settings(settings) as store:
        derive_events(store, settings)
    result = database_state(settings.database_url, settings.blob_dir)
    assert len(result["reports"]) == len(portals[1])  # every agency's report found
    return result


@pytest.fixture
def database() -> Iterator[str]:
    name = f"nianbao_cluster_{secrets.token_hex(5)}"
    with _pg_connect("postgres") as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with _pg_connect("postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Cluster:
    """Processes of one test's cluster, all stopped (by pid) at the end; their queues deleted."""

    def __init__(self, folder: Path, database_url: str, agencies: list[dict[str, Any]]) -> None:
        token = secrets.token_hex(4)
        # Queues and worker names of their own: two test runs on one broker (a developer's and CI's) must not
        # take each other's shards or fight over a worker's control queue ("w1@test.celery.pidbox").
        self.token = token
        self.queues = {"crawl_queue": f"test-{token}.crawl", "parse_queue": f"test-{token}.parse"}
        self.folder = folder
        self.config = write_config(folder / "config", database_url, agencies, per_domain_concurrency=PER_HOST)
        text = self.config.read_text(encoding="utf-8")
        self.config.write_text(text + "cluster:\n  hosts_per_shard: 1\n  poll_seconds: 0.3\n" +
                               "".join(f"  {k}: {v}\n" for k, v in self.queues.items()), encoding="utf-8")
        self.settings = load_settings(self.config)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - the child owns it
        proc = subprocess.Popen([sys.executable, "-m", "nianbao.cli", "--config", str(self.config), *args],
                                stdout=log, stderr=subprocess.STDOUT, env=child_env(), cwd=self.folder)
        self.processes[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def store(self) -> Store:
        return Store.from_settings(self.settings, migrate=False)

    def wait_round(self, timeout: float = 150) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.store() as store, store.read_session() as s:
                if s.scalar(select(ClusterRound.finished_at).where(ClusterRound.finished_at.is_not(None))):
                    return
            time.sleep(0.5)
        logs = "\n".join(f"--- {n}\n{self.log(n)[-3000:]}" for n in self.processes)
        raise AssertionError(f"the round did not finish in {timeout}s\n{logs}")

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.kill()
        for proc in self.processes.values():
            proc.wait(timeout=30)
        from kombu import Connection

        with Connection(BROKER) as conn:
            for queue in self.queues.values():
                try:
                    conn.default_channel.queue_delete(queue)
                except Exception:  # never declared in this test
                    conn.close()
                    conn.connect()


@pytest.fixture
def cluster(tmp_path: Path, database: str, portals: Any, single_machine: Any) -> Iterator[Cluster]:
    if not _broker_up():
        pytest.skip(f"RabbitMQ at {BROKER} is not reachable")
    for site in portals[0]:
        site.max_in_flight, site.latency = 0, 0.05
    running = Cluster(tmp_path, database, portals[1])
    Store.from_settings(running.settings).close()  # the schema, before several processes race to make it
    try:
        yield running
    finally:
        running.stop()


def _shards(cluster: Cluster) -> list[dict[str, Any]]:
    from nianbao.storage import shards

    with cluster.store() as store, store.read_session() as s:
        round_id = s.scalar(select(ClusterRound.id).order_by(ClusterRound.id))
        return shards.shard_rows(s, round_id) if round_id else []


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text() if Path(f"/proc/{pid}/stat").exists() else ""
    return " Z " not in stat  # a zombie is dead


def test_three_workers_leave_the_database_one_machine_leaves_and_keep_per_host_politeness(
        cluster: Cluster, single_machine: dict[str, Any], portals: Any) -> None:
    cluster.start("coordinator", "run", "--coordinator", "--crawl-now")
    for n in range(3):
        cluster.start(f"worker{n}", "worker", "--name", f"w{n}-{cluster.token}@test")
    cluster.wait_round()
    assert database_state(cluster.settings.database_url, cluster.settings.blob_dir) == single_machine
    rows = _shards(cluster)
    assert len(rows) == len(portals[0]) and all(r["done"] and r["status"] == "finished" for r in rows)
    busy = {site.name: site.max_in_flight for site in portals[0]}
    assert max(busy.values()) <= PER_HOST, busy
    workers_used = sum("crawling" in cluster.log(f"worker{n}") for n in range(3))
    assert workers_used >= 2  # the shards were spread, not crawled by one worker


def test_a_killed_worker_and_a_replaced_coordinator_still_give_the_same_database(
        cluster: Cluster, single_machine: dict[str, Any], portals: Any) -> None:
    for site in portals[0]:
        site.latency = 0.4  # shards take seconds: the kill lands mid-shard
    first = cluster.start("coordinator", "run", "--coordinator", "--crawl-now")
    time.sleep(1.0)
    cluster.start("standby", "run", "--coordinator")
    workers = [cluster.start(f"worker{n}", "worker", "--name", f"w{n}-{cluster.token}@test") for n in range(3)]
    victim, crawl_child = None, None
    end = time.monotonic() + 60
    while victim is None and time.monotonic() < end:
        for proc in workers:
            children = _children(proc.pid)
            if children:
                victim, crawl_child = proc, children[0]
                break
        time.sleep(0.2)
    assert victim is not None, "no worker started crawling"
    time.sleep(1.5)  # well into its shard
    victim.send_signal(signal.SIGKILL)
    first.send_signal(signal.SIGKILL)
    cluster.wait_round()
    assert "leads" in cluster.log("standby")
    assert database_state(cluster.settings.database_url, cluster.settings.blob_dir) == single_machine
    rows = _shards(cluster)
    assert all(r["done"] for r in rows)
    assert max(r["attempts"] for r in rows) >= 2  # the killed worker's shard was delivered again
    assert crawl_child is not None and not _alive(crawl_child)  # its crawl died with it
    busy = {site.name: site.max_in_flight for site in portals[0]}
    assert max(busy.values()) <= PER_HOST, busy


def test_the_parse_queue_parses_a_stored_document_into_a_version(cluster: Cluster, portals: Any) -> None:
    from nianbao.app.cluster import make_celery, send_parse

    worker = cluster.start("parser", "worker", "--queues", "parse", "--name", f"parser-{cluster.token}@test")
    settings = cluster.settings
    agency = settings.agencies[0]
    body = portals[0][0].pages["/d0/art/report.html"].body
    with cluster.store() as store:
        store.sync_agencies(settings.agencies)
        sha = store.blobs.put(body)
    app = make_celery(settings)
    send_parse(app, agency.id, sha, f"{agency.start_urls[0]}#parse", "report.html")
    send_parse(app, agency.id, sha, f"{agency.start_urls[0]}#parse", "report.html")  # idempotent
    end = time.monotonic() + 60
    versions: list[Any] = []
    while time.monotonic() < end and not versions:
        with cluster.store() as store:
            versions = store.list_reports([agency.id])
        time.sleep(0.3)
    assert versions, cluster.log("parser")[-3000:]
    while time.monotonic() < end and cluster.log("parser").count("succeeded") < 2:
        time.sleep(0.3)
    assert cluster.log("parser").count("succeeded") == 2
    with cluster.store() as store:
        [report] = store.list_reports([agency.id])
    assert report.versions == 1
    assert worker.poll() is None
