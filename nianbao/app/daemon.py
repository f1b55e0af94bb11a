"""`nianbao run`: the monitor daemon.

- APScheduler 3.11 BackgroundScheduler with a SQLAlchemyJobStore in the project's database: the
  schedule and each job's next run time survive a restart; runs missed while the daemon was down are
  run once on start (coalesce, generous misfire grace).
- Jobs (module-level functions, as APScheduler 3 requires; their only argument is the settings path):
  crawl (season and off-season cron from settings.schedule), then events; the digest (Monday 08:00
  in schedule.timezone by default); the outbox (retries unsent digests every 15 minutes).
- One instance at a time: an fcntl lock file; a second start prints "already running (pid N)", exits 1.
- SIGTERM/SIGINT: stop taking new runs, forward SIGTERM to the crawl child (Scrapy stops gracefully and
  marks its run 'interrupted'; the Store writes each version in one transaction, so nothing is half
  written), kill it if it does not stop in time, and exit 0. A crawl cut short this way is run again
  first thing on the next start, so no scheduled crawl is lost.
- Serves the dashboard beside the scheduler (`--no-dashboard` for the scheduler alone).

Test/debug only: NIANBAO_SCHEDULE_OVERRIDE="crawl=2,digest=5,outbox=3" replaces the cron triggers by
intervals in seconds.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

import click
import uvicorn
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from nianbao.alerts.digest import build_digests, scheduled_week
from nianbao.alerts.mailer import send_pending
from nianbao.crawler.runner import read_summary, spawn_crawl
from nianbao.dashboard.app import create_app
from nianbao.monitor.events import derive_events
from nianbao.monitor.rollup import data_stamp, refresh, stored_stamp
from nianbao.monitor.schedule import _crontab_weekday as _crontab_weekday  # re-exported for tests
from nianbao.monitor.schedule import cron_trigger
from nianbao.settings import Settings, SettingsError, load_settings
from nianbao.storage.models import CrawlRun
from nianbao.storage.store import Store

log = logging.getLogger("nianbao.daemon")

JOBSTORE_TABLE = "apscheduler_jobs"
MISFIRE_GRACE = 7 * 24 * 3600  # a run missed within a week is still run (once) on start
CHILD_STOP_SECONDS = float(os.environ.get("NIANBAO_CHILD_STOP_SECONDS", "60"))
OUTBOX_CRON = "*/15 * * * *"
# Statuses depend on the date: rebuild the dashboard's roll-up just after midnight, not in a request.
ROLLUP_CRON = "5 0 * * *"
# Rechecks a reviewer queued in the dashboard are looked for every minute.
RECHECK_CRON = "* * * * *"

# The crawl child of the running crawl job, so that the signal handler can stop it.
_child_lock = threading.Lock()
_child: subprocess.Popen[str] | None = None
_stopping = threading.Event()
# One crawl at a time across all crawl jobs. max_instances=1 holds per job id only, and on start the
# rerun of an interrupted crawl, a missed season crawl and a missed off-season crawl may all be due at
# once: the first takes the crawl, the others see it running and skip (it is the crawl they owed).
_crawl_running = threading.Lock()


# --- jobs (module level: APScheduler pickles references to them) ---------------------------------------


def _load(config_path: str | None) -> Settings:
    return load_settings(config_path)


def crawl_job(config_path: str | None) -> None:
    """One crawl pass in a child process, then derive events and flush the outbox."""
    if _stopping.is_set():
        return
    if not _crawl_running.acquire(blocking=False):
        log.info("crawl skipped: another crawl is running")
        return
    try:
        _crawl_once(config_path)
    finally:
        _crawl_running.release()


def recheck_job(config_path: str | None) -> None:
    """Crawl the agencies a reviewer asked to recheck ("recheck now" in the dashboard), if any are queued.
    Waits for a running crawl to end: the requests stay queued until the next minute."""
    if _stopping.is_set() or not _crawl_running.acquire(blocking=False):
        return
    try:
        settings = _load(config_path)
        with Store.from_settings(settings) as store:
            agency_ids = store.claim_rechecks()
        if not agency_ids:
            return
        log.info("recheck requested from the dashboard: %s", ", ".join(agency_ids))
        run_id = _crawl_once(config_path, agency_ids)
        with Store.from_settings(settings) as store:
            store.finish_rechecks(agency_ids, run_id)
    finally:
        _crawl_running.release()


def _crawl_once(config_path: str | None, agency_ids: list[str] | None = None) -> int | None:
    """One crawl child (of `agency_ids`, else of every agency); returns its run id."""
    global _child
    settings = _load(config_path)
    log.info("crawl started (%d agencies)", len(agency_ids or settings.agencies))
    with tempfile.TemporaryDirectory(prefix="nianbao-run-") as tmp:
        summary_path, log_path = Path(tmp) / "summary.json", Path(tmp) / "crawl.log"
        with open(log_path, "w", encoding="utf-8") as child_log:
            with _child_lock:
                if _stopping.is_set():  # shutdown began while this job was starting
                    return None
                _child = spawn_crawl(settings.path or config_path, agency_ids or [], summary_path, stderr=child_log)
            try:
                returncode = _child.wait()
            finally:
                with _child_lock:
                    _child = None
        summary = read_summary(summary_path, returncode, log_path.read_text(encoding="utf-8", errors="replace"))
    with Store.from_settings(settings) as store:
        if summary.status != "finished":
            store.close_abandoned_runs()  # a child killed before it could record its end
        log.info("crawl %s: run %s, %s new, %s changed, %s unchanged, %s site errors, %.1fs", summary.status,
                 summary.run_id, summary.reports_new, summary.reports_changed, summary.reports_unchanged,
                 summary.errors, summary.seconds)
        if _stopping.is_set():
            return summary.run_id
        derive_events(store, settings)
        _flush_outbox(store, settings)
        _refresh_rollup(store, settings)
    return summary.run_id


def rollup_job(config_path: str | None) -> None:
    """Rebuild the dashboard's status roll-up if the date or the data changed."""
    settings = _load(config_path)
    with Store.from_settings(settings) as store:
        _refresh_rollup(store, settings)


def _refresh_rollup(store: Any, settings: Settings) -> None:
    """Bring the roll-up up to date here, after a crawl, so that no overseer's page waits for it: only the
    agencies the crawl changed are recomputed (monitor.rollup.changed_agencies); the nightly job on a new
    day rebuilds every row (about a minute at 100,000 agencies)."""
    today = settings.clock.today()
    with store.session() as session:
        if stored_stamp(session) != data_stamp(session, today):
            rows = refresh(store, session, today, settings)
            log.info("dashboard roll-up updated: %d rows written", rows)


def digest_job(config_path: str | None) -> None:
    """Build last week's digest (Monday to Sunday) for every recipient and send it."""
    settings = _load(config_path)
    as_of = scheduled_week(settings.clock.now(), settings.clock)
    with Store.from_settings(settings) as store:
        store.sync_agencies(settings.agencies)
        derive_events(store, settings)
        built = build_digests(store, settings, as_of=as_of)
        log.info("digest for the week ending %s recorded for %d recipients", as_of, len(built))
        _flush_outbox(store, settings)


def outbox_job(config_path: str | None) -> None:
    """Retry digests that could not be sent (server down, refused)."""
    settings = _load(config_path)
    with Store.from_settings(settings) as store:
        _flush_outbox(store, settings)


def _flush_outbox(store: Any, settings: Settings) -> None:
    counts = send_pending(store, settings.smtp, outbox_dir=settings.outbox_dir)
    if counts["sent"] or counts["failed"]:
        log.info("outbox: %d sent, %d not sent (will retry)", counts["sent"], counts["failed"])


# --- schedule ------------------------------------------------------------------------------------------


def _overrides() -> dict[str, float]:
    raw = os.environ.get("NIANBAO_SCHEDULE_OVERRIDE", "")
    pairs = (item.split("=", 1) for item in raw.split(",") if "=" in item)
    return {name.strip(): float(seconds) for name, seconds in pairs}


def wanted_jobs(settings: Settings, config_path: str | None) -> dict[str, tuple[Any, Any]]:
    """job id -> (function, trigger)."""
    schedule = settings.schedule
    tz = schedule.timezone
    over = _overrides()
    jobs: dict[str, tuple[Any, Any]] = {}
    if "crawl" in over:
        jobs["crawl"] = (crawl_job, IntervalTrigger(seconds=over["crawl"], timezone=tz))
    else:
        jobs["crawl-season"] = (crawl_job, cron_trigger(schedule.crawl_season, tz))
        jobs["crawl-offseason"] = (crawl_job, cron_trigger(schedule.crawl_offseason, tz))
    for name, func, default in (("digest", digest_job, schedule.digest), ("outbox", outbox_job, OUTBOX_CRON),
                                ("rollup", rollup_job, ROLLUP_CRON), ("recheck", recheck_job, RECHECK_CRON)):
        trigger = IntervalTrigger(seconds=over[name], timezone=tz) if name in over else cron_trigger(default, tz)
        jobs[name] = (func, trigger)
    return jobs


def sync_jobs(scheduler: Any, settings: Settings, config_path: str | None) -> None:
    """Make the stored jobs match the settings without resetting the ones that did not change:
    an unchanged job keeps its stored next run time, which is what lets a missed run happen on start."""
    wanted = wanted_jobs(settings, config_path)
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            log.info("removing job %s (no longer in the schedule)", job.id)
            job.remove()
    for job_id, (func, trigger) in wanted.items():
        job = scheduler.get_job(job_id)
        if job is not None and str(job.trigger) == str(trigger) and job.args == (config_path,):
            log.info("job %s kept: %s, next run %s", job_id, trigger, job.next_run_time)
            continue
        if job is not None:
            job.remove()
        job = scheduler.add_job(func, trigger, id=job_id, name=job_id, args=[config_path], max_instances=1,
                                coalesce=True, misfire_grace_time=MISFIRE_GRACE)
        log.info("job %s scheduled: %s, next run %s", job_id, trigger, job.next_run_time)


def make_scheduler(settings: Settings) -> Any:
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=settings.database_url, tablename=JOBSTORE_TABLE)},
        # One crawl and one digest/outbox at a time is plenty and keeps SQLite writers few.
        executors={"default": ThreadPoolExecutor(2)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE},
        timezone=settings.schedule.timezone,
    )


def _catch_up_interrupted(scheduler: Any, settings: Settings, config_path: str | None) -> None:
    """If the last crawl was cut short (our own shutdown, a crash), crawl again now."""


    with Store.from_settings(settings) as store:
        store.close_abandoned_runs()  # runs whose process is gone (a crash, SIGKILL) say so now
        with store.read_session() as s:
            last = s.scalar(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1))
        # Still 'running' now means alive: a crawl started by hand, not ours to redo.
        if last is None or last.status != "interrupted":
            return
        log.info("last crawl (run %s) was interrupted: crawling again now", last.id)
    scheduler.add_job(crawl_job, "date", id="crawl-catchup", args=[config_path], replace_existing=True,
                      misfire_grace_time=MISFIRE_GRACE)


# --- single instance -------------------------------------------------------------------------------------


class AlreadyRunning(Exception):
    def __init__(self, pid: str) -> None:
        super().__init__(f"already running (pid {pid})")
        self.pid = pid


def lock_path(settings: Settings) -> Path:
    explicit = os.environ.get("NIANBAO_LOCK_FILE")
    return Path(explicit) if explicit else Path(settings.blob_dir).parent / "nianbao-run.lock"


def acquire_lock(path: Path) -> Any:
    """Hold an exclusive flock for the life of the process (released by the OS even on a crash)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held open on purpose
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        pid = handle.read().strip() or "?"
        handle.close()
        raise AlreadyRunning(pid) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


# --- dashboard beside the scheduler ------------------------------------------------------------------------


def start_dashboard(settings: Settings) -> Any | None:
    """Serve the dashboard in a thread beside the scheduler."""
    app = create_app(settings)
    config = uvicorn.Config(app, host=settings.dashboard.host, port=settings.dashboard.port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="dashboard", daemon=True)
    thread.start()
    log.info("dashboard on http://%s:%s", settings.dashboard.host, settings.dashboard.port)
    return server


# --- the command -----------------------------------------------------------------------------------------


def _stop_child() -> None:
    with _child_lock:
        child = _child
    if child is None or child.poll() is not None:
        return
    log.info("stopping the crawl child (pid %s)", child.pid)
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=CHILD_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        log.warning("crawl child did not stop in %.0fs: killing it", CHILD_STOP_SECONDS)
        child.kill()


def run_daemon(config_path: str | None, *, serve_dashboard: bool = True) -> int:
    settings = load_settings(config_path)
    config_path = str(settings.path) if settings.path else config_path
    lock = acquire_lock(lock_path(settings))
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("signal %s: shutting down", signum)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)

    with Store.from_settings(settings) as store:  # creates/migrates the schema before the job store
        store.sync_agencies(settings.agencies)
    scheduler = make_scheduler(settings)
    scheduler.start(paused=True)
    sync_jobs(scheduler, settings, config_path)
    _catch_up_interrupted(scheduler, settings, config_path)
    scheduler.resume()
    server = start_dashboard(settings) if serve_dashboard else None
    log.info("running (pid %s); schedule: %s", os.getpid(),
             "; ".join(f"{j.id} next {j.next_run_time}" for j in scheduler.get_jobs()))
    # Wake up every second: a SIGTERM that the kernel hands to another thread only sets Python's flag,
    # and the handler runs when the main thread next wakes (a wait without a timeout may never wake).
    while not stop.wait(timeout=1.0):
        pass
    _stopping.set()
    scheduler.pause()
    _stop_child()
    scheduler.shutdown(wait=True)  # let the job thread record the crawl's end
    if server is not None:
        server.should_exit = True
    log.info("stopped")
    lock.close()
    return 0


@click.command(short_help="Keep watch: crawl on schedule, mail the digest, serve.")
@click.option("--no-dashboard", is_flag=True, help="Do not serve the dashboard beside the scheduler.")
@click.pass_context
def run(ctx: click.Context, no_dashboard: bool) -> None:
    """Keep watch unattended: crawl on schedule, note what changed, mail the weekly digest, serve the
    dashboard."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one migration check per Store opened
    config_path = (ctx.find_root().obj or {}).get("config_path")

    try:
        code = run_daemon(config_path, serve_dashboard=not no_dashboard)
    except SettingsError as exc:
        click.echo(f"invalid settings:\n{exc}", err=True)
        raise SystemExit(2) from None
    except AlreadyRunning as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from None
    raise SystemExit(code)
