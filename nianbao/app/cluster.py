"""The cluster: `nianbao run --coordinator` and `nianbao worker`, on Celery with a shared PostgreSQL.

- Shards by host. A round (one crawl of every active agency) is cut into shards of `hosts_per_shard` hosts;
  a host is in one shard, so one worker crawls it at a time and Scrapy's per-host delay and concurrency
  hold for the whole cluster. Hosts are dealt round-robin from the busiest down, so every shard mixes one
  big consolidated portal with small sites and one slow host does not stall a worker.
- Tasks are acknowledged late (`acks_late`, `reject_on_worker_lost`, prefetch 1): a worker killed mid-shard
  has its shard redelivered to another worker. A shard is idempotent: the store's unique keys and content
  hashes make the rerun add no duplicate version; events and digests are derived by the coordinator from
  what is stored. A worker holds a PostgreSQL advisory lock on the shard while it crawls, so a shard
  redelivered while its first worker still runs waits for it and is then skipped; the crawl child dies
  with its worker (PR_SET_PDEATHSIG), so a killed worker leaves no crawl behind.
- One coordinator: the leader is whoever holds a PostgreSQL advisory lock (a session lock, so it is
  released when the leader's process or machine dies); a second coordinator waits for it and takes over.
  The leader runs the APScheduler schedule, requests, plans and publishes rounds, and when a round is done
  derives events, flushes the outbox and rebuilds the dashboard's roll-up; digests run on their schedule.
  Every round and shard is a row, so the new leader continues the round where the old one left it.
- Workers run the Celery "solo" pool: one shard at a time per process (run several processes per machine).
  Broker heartbeats are off because a solo worker cannot answer them while it crawls; a dead worker's
  connection is closed by its kernel and RabbitMQ requeues its shard at once.
- A second queue parses stored documents (`parse_queue`): a machine with many cores takes it
  (`nianbao worker --queues parse`) while others crawl.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
from collections.abc import Sequence

import click
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from celery import Celery
from sqlalchemy import text

from nianbao.app import daemon
from nianbao.crawler.runner import run_crawl
from nianbao.crawler.store_jobs import store_report
from nianbao.monitor.events import derive_events
from nianbao.settings import Settings, SettingsError, load_settings
from nianbao.storage import shards
from nianbao.storage.store import Store

log = logging.getLogger("nianbao.cluster")

CRAWL_TASK = "nianbao.crawl_shard"
PARSE_TASK = "nianbao.parse_document"
JOBSTORE_TABLE = "apscheduler_cluster_jobs"  # not the single-machine daemon's: its crawl job differs
# Advisory lock keys (two int4: class, object). Any constants work; every process must agree on them.
LOCK_CLASS = 0x6E62  # "nb"
LEADER_OBJECT = 0
SHARD_LOCK_CLASS = 0x6E63


# --- Celery --------------------------------------------------------------------------------------------------


def make_celery(settings: Settings) -> Celery:
    cluster = settings.cluster
    app = Celery("nianbao", broker=cluster.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,  # progress lives in the database (cluster_shards), not in a result backend
        broker_heartbeat=0,  # a solo worker cannot answer heartbeats while it crawls (see the module doc)
        broker_connection_retry_on_startup=True,
        task_default_queue=cluster.crawl_queue,
        task_routes={CRAWL_TASK: {"queue": cluster.crawl_queue}, PARSE_TASK: {"queue": cluster.parse_queue}},
        worker_hijack_root_logger=False,
    )
    return app


# --- the worker's tasks --------------------------------------------------------------------------------------

_worker_settings: Settings | None = None


def _settings() -> Settings:
    assert _worker_settings is not None, "set by `nianbao worker` before the first task"
    return _worker_settings


def crawl_shard(shard_id: int) -> str:
    """Crawl the hosts of one shard in a child process; returns the run's status."""
    settings = _settings()
    with Store.from_settings(settings, migrate=False) as store, store.engine.connect() as lock:
        lock = lock.execution_options(isolation_level="AUTOCOMMIT")
        # Held for the whole crawl: the same shard delivered twice (a coordinator that died between
        # publishing and recording it) waits here, then finds it done.
        lock.execute(text("SELECT pg_advisory_lock(:c, :o)"), {"c": SHARD_LOCK_CLASS, "o": shard_id})
        with store.session() as s:
            hosts = shards.claim(s, shard_id)
        if hosts is None:
            return "done already"
        log.info("shard %s: crawling %d hosts", shard_id, len(hosts))
        summary = run_crawl(settings, hosts=hosts, sync=False, die_with_parent=True)
        if summary.status != "finished":
            log.warning("shard %s: crawl %s (exit %s): %s", shard_id, summary.status, summary.returncode,
                        summary.log[-2000:])
        with store.session() as s:
            shards.finish_shard(s, shard_id, summary.status, summary.run_id)
        lock.execute(text("SELECT pg_advisory_unlock(:c, :o)"), {"c": SHARD_LOCK_CLASS, "o": shard_id})
    return summary.status


def parse_document(agency_id: str, sha256: str, url: str, filename: str | None = None,
                   title: str | None = None) -> str:
    """Parse a document already in the shared blob store and save it as a version (idempotent: the same
    bytes for the same agency add nothing). Returns the store's outcome."""
    settings = _settings()
    with Store.from_settings(settings, migrate=False) as store:
        content = store.blobs.get(sha256, verify=True)
        result = store_report(store, agency_id, content, url=url, headers={}, fetched_at=dt.datetime.now(dt.UTC),
                              title=title, filename=filename)
    return str(result.outcome)


def register_tasks(app: Celery) -> None:
    app.task(name=CRAWL_TASK, acks_late=True, reject_on_worker_lost=True)(crawl_shard)
    app.task(name=PARSE_TASK, acks_late=True, reject_on_worker_lost=True)(parse_document)


def send_parse(app: Celery, agency_id: str, sha256: str, url: str, filename: str | None = None,
               title: str | None = None) -> None:
    """Hand a stored document to the parse queue."""
    app.send_task(PARSE_TASK, args=[agency_id, sha256, url, filename, title])


# --- the coordinator ----------------------------------------------------------------------------------------


def plan_shards(host_counts: Sequence[tuple[str, int]], hosts_per_shard: int) -> list[list[str]]:
    """Deal the hosts, busiest first, round-robin into shards of at most `hosts_per_shard` hosts."""
    hosts = [host for host, _ in host_counts if host]
    count = -(-len(hosts) // hosts_per_shard)
    dealt: list[list[str]] = [[] for _ in range(count)]
    for index, host in enumerate(hosts):
        dealt[index % count].append(host)
    return dealt


def tick(store: Store, app: Celery, settings: Settings, config_path: str | None) -> str | None:
    """One look at the open round: plan it, publish what is not published, finish it when all shards are
    done. Returns what happened (for the log and tests)."""
    with store.session() as s:
        current = shards.open_round(s)
    if current is None:
        return None
    round_id, started = current
    if not started:
        store.sync_agencies(settings.agencies)
        planned = plan_shards(store.host_counts(), settings.cluster.hosts_per_shard)
        with store.session() as s:
            shards.plan_round(s, round_id, planned)
        log.info("round %s: %d shards", round_id, len(planned))
    with store.session() as s:
        pending = shards.unpublished(s, round_id)
    for shard_id in pending:
        app.send_task(CRAWL_TASK, args=[shard_id])
        with store.session() as s:
            shards.mark_published(s, shard_id)
    with store.session() as s:
        total, done = shards.progress(s, round_id)
    if done < total:
        return "running"
    derive_events(store, settings)
    daemon.outbox_job(config_path)
    daemon.rollup_job(config_path)
    with store.session() as s:
        shards.finish_round(s, round_id)
    log.info("round %s finished: %d shards", round_id, total)
    return "finished"


def round_job(config_path: str | None) -> None:
    """The schedule's crawl: request a round (the leader's loop runs it)."""
    with Store.from_settings(load_settings(config_path)) as store, store.session() as s:
        shards.request_round(s)


class Leadership:
    """The leader's PostgreSQL session lock, on a connection of its own held for the leader's life."""

    def __init__(self, store: Store) -> None:
        self.connection = store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def try_acquire(self) -> bool:
        return bool(self.connection.scalar(text("SELECT pg_try_advisory_lock(:c, :o)"),
                                           {"c": LOCK_CLASS, "o": LEADER_OBJECT}))

    def alive(self) -> bool:
        try:
            self.connection.scalar(text("SELECT 1"))
        except Exception:  # the connection is gone, and with it the lock
            return False
        return True


def _scheduler(settings: Settings, config_path: str | None) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=settings.database_url, tablename=JOBSTORE_TABLE)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": daemon.MISFIRE_GRACE},
        timezone=settings.schedule.timezone)
    scheduler.start(paused=True)
    replace = {"crawl": round_job, "crawl-season": round_job, "crawl-offseason": round_job}
    for job_id, (func, trigger) in daemon.wanted_jobs(settings, config_path).items():
        scheduler.add_job(replace.get(job_id, func), trigger, id=job_id, name=job_id, args=[config_path],
                          replace_existing=True)
    scheduler.resume()
    return scheduler


def run_coordinator(config_path: str | None, *, crawl_now: bool = False) -> int:
    settings = load_settings(config_path)
    config_path = str(settings.path) if settings.path else config_path
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    store = Store.from_settings(settings)
    if store.dialect != "postgresql":
        raise click.ClickException("a cluster needs PostgreSQL (database_url); one machine: `nianbao run`")
    leadership = Leadership(store)
    log.info("coordinator %s on %s: waiting to lead", os.getpid(), socket.gethostname())
    while not leadership.try_acquire():
        if stop.wait(settings.cluster.poll_seconds):
            return 0
    log.info("coordinator %s leads", os.getpid())
    store.sync_agencies(settings.agencies)
    if crawl_now:
        with store.session() as s:
            shards.request_round(s)
    app = make_celery(settings)
    scheduler = _scheduler(settings, config_path)
    try:
        while not stop.is_set():
            tick(store, app, settings, config_path)
            if not leadership.alive():
                log.error("lost the database connection that holds the leadership: stopping")
                return 1
            stop.wait(settings.cluster.poll_seconds)
    finally:
        scheduler.shutdown(wait=False)
        store.close()
    return 0


def run_worker(config_path: str | None, queues: Sequence[str], name: str | None) -> None:
    global _worker_settings
    settings = load_settings(config_path)
    _worker_settings = settings
    app = make_celery(settings)
    register_tasks(app)
    names = {"crawl": settings.cluster.crawl_queue, "parse": settings.cluster.parse_queue}
    argv = ["worker", "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle",
            f"--queues={','.join(names[q] for q in queues)}",
            f"--hostname={name or f'nianbao-{os.getpid()}@{socket.gethostname()}'}"]
    app.worker_main(argv)


# --- commands -------------------------------------------------------------------------------------------------


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


@click.command()
@click.option("--no-dashboard", is_flag=True, help="Do not serve the dashboard beside the scheduler.")
@click.option("--coordinator", is_flag=True,
              help="Coordinate a cluster (PostgreSQL + Celery): schedule, shard and publish crawls; no crawling.")
@click.option("--crawl-now", is_flag=True, help="With --coordinator: start a crawl round at once.")
@click.pass_context
def run(ctx: click.Context, no_dashboard: bool, coordinator: bool, crawl_now: bool) -> None:
    """Run the monitor: scheduled crawls, events, the weekly digest (and the dashboard)."""
    if not coordinator:
        ctx.invoke(daemon.run, no_dashboard=no_dashboard)
        return
    _logging()
    try:
        code = run_coordinator((ctx.find_root().obj or {}).get("config_path"), crawl_now=crawl_now)
    except SettingsError as exc:
        click.echo(f"invalid settings:\n{exc}", err=True)
        raise SystemExit(2) from None
    raise SystemExit(code)


@click.command()
@click.option("--queues", type=click.Choice(["crawl", "parse"]), multiple=True, default=("crawl",),
              show_default=True, help="Queues to take tasks from (repeatable).")
@click.option("--name", default=None, help="Worker name (default nianbao-PID@HOST).")
@click.pass_context
def worker(ctx: click.Context, queues: tuple[str, ...], name: str | None) -> None:
    """A cluster worker: crawls shards of hosts (and/or parses documents), one at a time."""
    _logging()
    try:
        run_worker((ctx.find_root().obj or {}).get("config_path"), queues, name)
    except SettingsError as exc:
        click.echo(f"invalid settings:\n{exc}", err=True)
        raise SystemExit(2) from None

