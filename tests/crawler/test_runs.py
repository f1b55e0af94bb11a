"""A crawl killed with SIGKILL never records its end: its run must not stay 'running' forever. The next
crawl (or `nianbao reports`) marks it 'interrupted' once its process is gone, and leaves live runs alone."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from nianbao.crawler.runner import run_crawl, spawn_crawl
from nianbao.monitor.status import compute_statuses
from nianbao.settings import load_settings
from nianbao.storage.models import CrawlRun
from nianbao.storage.store import Store
from tests.crawler.test_resume import kill_after
from tests.farm import Farm
from tests.waiting import wait_for

pytestmark = [pytest.mark.timeout(180)]


def store_processes(parent: int) -> list[int]:
    """The pids of the store processes of crawl process `parent` (forked: the same command line)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue  # it ended while we looked
        if int(fields[1]) == parent and b"nianbao.crawler.run" in cmdline:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"


def runs(store: Store) -> list[CrawlRun]:
    from sqlalchemy import select

    with store.read_session() as s:
        return list(s.scalars(select(CrawlRun).order_by(CrawlRun.id)))


def test_live_crawl_stays_running_and_a_killed_one_becomes_interrupted(tmp_path: Path, database_url: str) -> None:
    with Farm(tmp_path / "farm", only=["trs", "hang"]) as farm:  # the hanging site keeps the crawl alive
        config = farm.write_config(database_url, timeout=60, retries=0)
        store = Store(database_url, tmp_path / "farm" / "blobs")
        proc = spawn_crawl(config, [], tmp_path / "summary.json", stderr=open(os.devnull, "w"))  # noqa: SIM115
        try:
            wait_for(lambda: bool(runs(store)), 60, "the crawl's run")
            [run] = runs(store)
            assert run.status == "running" and run.pid == proc.pid
            wait_for(lambda: farm.sites["hang"].count() >= 1, 60, "the crawl to reach the hanging site")
            assert store.close_abandoned_runs() == []  # alive: not touched
            assert runs(store)[0].status == "running"
            [child] = store_processes(proc.pid)

            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            wait_for(lambda: not alive(child), 15, "the killed crawl's store process to end too")
            assert runs(store)[0].status == "running"  # nobody recorded its end
            assert store.close_abandoned_runs() == [run.id]
            after = runs(store)[0]
            assert after.status == "interrupted" and after.finished_at is not None
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
            store.close()


def test_next_crawl_marks_the_killed_run_interrupted(working_farm: Farm, database_url: str, tmp_path: Path) -> None:
    config = working_farm.write_config(database_url)
    killed, pid_box = kill_after(working_farm, 6)
    proc = spawn_crawl(config, [], tmp_path / "killed.json", stderr=open(os.devnull, "w"))  # noqa: SIM115
    pid_box.append(proc.pid)
    proc.wait(timeout=120)
    assert killed.is_set() and proc.returncode == -signal.SIGKILL
    store = Store(database_url, tmp_path / "farm" / "blobs")
    try:
        assert [r.status for r in runs(store)] == ["running"]
        for site in working_farm.sites.values():
            site.on_request = None
        assert run_crawl(config).ok
        assert [r.status for r in runs(store)] == ["interrupted", "finished"]
    finally:
        store.close()


def test_a_store_process_that_dies_fails_the_run_loudly_and_the_next_crawl_has_it_all(
        working_farm: Farm, database_url: str, tmp_path: Path) -> None:
    """The store process killed mid-crawl (as the OOM killer or a crashing parser library would): the jobs
    it held are lost, so the run stops, exits non-zero and is recorded failed; no agency is taken for
    "missing" because of it; the next crawl asks again for what was lost and has every report."""
    farm, config = working_farm, working_farm.write_config(database_url)
    pid_box: list[int] = []
    killed: list[int] = []

    def kill_store(_site: object, path: str) -> None:
        if pid_box and not killed and path.endswith((".pdf", ".docx", ".doc", ".htm")):
            for child in store_processes(pid_box[0]):
                os.kill(child, signal.SIGKILL)
                killed.append(child)

    for site in farm.sites.values():
        site.on_request = kill_store
    summary_path = tmp_path / "summary.json"
    proc = spawn_crawl(config, [], summary_path, stderr=open(tmp_path / "crawl.log", "w"))  # noqa: SIM115
    pid_box.append(proc.pid)
    log = (tmp_path / "crawl.log").read_text
    assert proc.wait(timeout=180) == 1, log()[-3000:]
    assert killed, "the store process was never found"
    assert "抓取失败：存储进程意外退出" in log()
    for site in farm.sites.values():
        site.on_request = None
    store = Store(database_url, tmp_path / "farm" / "blobs")
    try:
        assert [r.status for r in runs(store)] == ["failed"]
        settings = load_settings(config)
        for year in (2020, 2021):  # both past due: a report lost with the store process is no absence
            assert "missing" not in {s.status for s in compute_statuses(store, year, settings.clock.today(), settings)}
        again = run_crawl(config)
        assert again.ok, again.log[-3000:]
        assert [r.status for r in runs(store)] == ["failed", "finished"]
        assert {(r.agency_id, r.year) for r in store.list_reports()} == farm.expected
    finally:
        store.close()
