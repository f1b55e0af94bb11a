"""A crawl killed mid-way (SIGKILL, when the farm has served N requests) and started again ends with the same
database as an uninterrupted crawl: every version is one Store transaction and a re-crawl is idempotent."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from nianbao.crawler.runner import run_crawl, spawn_crawl
from tests.crawler.conftest import snapshot
from tests.farm import Farm
from tests.farm.server import SiteServer

pytestmark = [pytest.mark.browser, pytest.mark.libreoffice, pytest.mark.timeout(240)]


def kill_after(farm: Farm, requests: int) -> tuple[threading.Event, list[int]]:
    """Arm the farm: the crawl process whose pid is put in the list dies at the N-th request served."""
    killed, pid_box, lock, served = threading.Event(), [], threading.Lock(), [0]

    def hook(_site: SiteServer, _path: str) -> None:
        with lock:
            served[0] += 1
            if served[0] == requests and pid_box:
                os.kill(pid_box[0], signal.SIGKILL)
                killed.set()

    for site in farm.sites.values():
        site.on_request = hook
    return killed, pid_box


@pytest.mark.parametrize("kill_at", [14])
def test_killed_crawl_resumed_equals_uninterrupted(working_farm: Farm, database_url: str, tmp_path: Path,
                                                   kill_at: int) -> None:
    farm = working_farm
    reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
    assert run_crawl(farm.write_config(reference_url, folder=tmp_path / "ref" / "config")).ok
    reference = snapshot(reference_url, tmp_path / "ref" / "blobs")
    assert len(reference["reports"]) == 5

    config = farm.write_config(database_url, folder=tmp_path / "resumed" / "config")
    killed, pid_box = kill_after(farm, kill_at)
    proc = spawn_crawl(config, [], tmp_path / "killed.json", stderr=open(os.devnull, "w"))  # noqa: SIM115
    pid_box.append(proc.pid)
    proc.wait(timeout=120)
    assert killed.is_set() and proc.returncode == -signal.SIGKILL
    partial = snapshot(database_url, tmp_path / "resumed" / "blobs")
    assert len(partial["reports"]) < 5  # it really was cut short

    for site in farm.sites.values():
        site.on_request = None
    summary = run_crawl(config)
    assert summary.ok, summary.log[-3000:]
    assert snapshot(database_url, tmp_path / "resumed" / "blobs") == reference
