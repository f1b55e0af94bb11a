"""The daemon as a real process: crawls a local farm on a fast schedule, one instance at a time,
survives SIGTERM and a restart without losing or repeating a run."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from nianbao.storage.models import CrawlRun
from nianbao.storage.store import Store
from tests.farm import Farm
from tests.waiting import wait_for

pytestmark = pytest.mark.timeout(240)


def start_daemon(config: Path, log: Path, schedule: str = "crawl=2,digest=3600,outbox=3600") -> subprocess.Popen[bytes]:
    env = dict(os.environ, NIANBAO_SCHEDULE_OVERRIDE=schedule, NIANBAO_CHILD_STOP_SECONDS="20")
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "nianbao.cli", "--config", str(config), "run", "--no-dashboard"],
                                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=config.parent)


def runs(store: Store) -> list[CrawlRun]:
    with store.read_session() as s:
        return list(s.scalars(select(CrawlRun).order_by(CrawlRun.id)))


def stop(proc: subprocess.Popen[bytes], log: Path) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        assert proc.wait(timeout=60) == 0, log.read_text(errors="replace")[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def assert_sequential(all_runs: list[CrawlRun]) -> None:
    """max_instances=1 and no double execution: a run starts only after the previous one ended."""
    for before, after in zip(all_runs, all_runs[1:], strict=False):
        assert before.finished_at is not None and after.started_at >= before.finished_at - dt.timedelta(seconds=1)


def test_daemon_survives_sigterm_and_restart(tmp_path: Path, database_url: str) -> None:
    farm = Farm(tmp_path / "farm", only=["trs"]).start()
    config = farm.write_config(database_url)
    store = Store(database_url, tmp_path / "farm" / "blobs")
    log = tmp_path / "daemon.log"
    proc = start_daemon(config, log)
    try:
        wait_for(lambda: sum(r.status == "finished" for r in runs(store)) >= 2, 120, "two finished crawls")
        # A second instance refuses to start.
        second = subprocess.run([sys.executable, "-m", "nianbao.cli", "--config", str(config), "run", "--no-dashboard"],
                                capture_output=True, text=True, timeout=60, cwd=config.parent)
        assert second.returncode != 0
        assert f"already running (pid {proc.pid})" in second.stderr
        stop(proc, log)
        first = runs(store)
        assert first and all(r.status in ("finished", "interrupted") for r in first)
        assert_sequential(first)
        engine = create_engine(database_url)
        with engine.connect() as conn:
            jobs = dict(conn.execute(text("SELECT id, next_run_time FROM apscheduler_jobs")).all())
        assert {"crawl", "digest", "outbox", "rollup"} <= set(jobs)
        with engine.connect() as conn:  # each crawl rebuilt the dashboard roll-up: no page waits for it
            assert conn.execute(text("SELECT count(*) FROM dashboard_status")).scalar_one() > 0
        engine.dispose()
        stopped_at = time.time()
        time.sleep(4.5)  # the daemon is down while two crawl intervals pass
        assert jobs["crawl"] < time.time()  # the stored next run is now in the past: missed

        proc = start_daemon(config, log)
        wait_for(lambda: len(runs(store)) > len(first), 30, "the missed crawl after restart")
        wait_for(lambda: runs(store)[-1].status != "running", 60, "the catch-up crawl to end")
        stop(proc, log)
        after = runs(store)
        new = after[len(first):]
        assert new[0].started_at.timestamp() >= stopped_at  # nothing ran while the daemon was down
        assert [r.id for r in after[: len(first)]] == [r.id for r in first]
        assert all(r.status in ("finished", "interrupted") for r in after)
        assert_sequential(after)
        # Missed runs are coalesced: at most one catch-up (plus the rerun of an interrupted crawl)
        # started within the first seconds after the restart.
        assert sum(r.started_at.timestamp() < new[0].started_at.timestamp() + 1.5 for r in new) == 1
        output = log.read_text(errors="replace")
        assert "crawl finished: run" in output and "stopped" in output
        assert farm.expected <= {(r.agency_id, r.year) for r in store.list_reports()}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        store.close()
        farm.stop()


def test_sigterm_mid_crawl_interrupts_cleanly_and_restart_reruns(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'nianbao.db'}"
    farm = Farm(tmp_path / "farm", only=["trs", "hang"]).start()  # the hanging site keeps the crawl busy
    config = farm.write_config(database_url)
    store = Store(database_url, tmp_path / "farm" / "blobs")
    log = tmp_path / "daemon.log"
    proc = start_daemon(config, log)
    try:
        wait_for(lambda: any(r.status == "running" for r in runs(store)), 60, "a crawl in progress")
        stop(proc, log)
        first = runs(store)
        assert [r.status for r in first] == ["interrupted"]
        # Whatever was stored before the stop is whole: every version's bytes are there and intact.
        for report in store.list_reports():
            for version in store.get_versions(report.report_id):
                assert store.blobs.get(version.sha256, verify=True)
        # Same schedule: the stored crawl job is kept, due again within two seconds, while the rerun of
        # the interrupted crawl (slow: the hanging site) is still going. The two must not overlap.
        proc = start_daemon(config, log)
        wait_for(lambda: len(runs(store)) >= 2, 30, "the interrupted crawl to be run again")
        wait_for(lambda: runs(store)[1].status != "running", 90, "the rerun to end")
        stop(proc, log)
        after = runs(store)
        assert after[1].status == "finished"
        for before, later in zip(after[1:], after[2:], strict=False):  # one crawl at a time, strictly
            assert before.finished_at is not None and later.started_at >= before.finished_at
        output = log.read_text(errors="replace")
        assert "crawling again now" in output
        assert "crawl skipped: another crawl is running" in output
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        store.close()
        farm.stop()
