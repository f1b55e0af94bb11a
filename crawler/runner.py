"""Run one crawl pass in a child process and read back its summary.

Twisted's reactor cannot restart, so a daemon that crawls every night (or a test that crawls twice)
spawns `python -m nianbao.crawler.run` each time. The child writes its summary JSON to a file; progress
arrives as JSON lines on its stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nianbao
from nianbao.settings import Settings

PROJECT_ROOT = Path(nianbao.__file__).resolve().parent.parent  # the folder that holds the nianbao package


@dataclass
class CrawlSummary:
    returncode: int
    run_id: int | None = None
    status: str = "failed"
    agencies_total: int = 0
    agencies_visited: int = 0
    reports_new: int = 0
    reports_changed: int = 0
    reports_unchanged: int = 0
    errors: int = 0
    error_list: list[dict[str, Any]] = field(default_factory=list)
    saved: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    not_reports: int = 0
    other_agency: int = 0
    pages: int = 0
    requests: int = 0
    bytes: int = 0
    not_modified: int = 0
    seconds: float = 0.0  # the whole child process, from its start (imports included) to its summary
    crawl_seconds: float = 0.0  # from spider open to close (Scrapy's elapsed_time_seconds)
    skipped_known: int = 0  # known pages not requested (crawler.known)
    known_reads: int = 0  # queries for what is known of the URLs, a batch of hosts each (crawler.known_hosts)
    known_urls_held: int = 0  # the most known URLs held at once
    known_hosts_dropped: int = 0  # hosts whose known URLs were dropped once finished, during the crawl
    browser_requests: int = 0  # pages opened in Chromium (rendered lists, script pagers)
    script_pager_pages: int = 0  # list pages reached by clicking a script pager in Chromium
    cpu_seconds: float = 0.0  # CPU of the crawl process
    store_cpu_seconds: float = 0.0  # CPU of its store process (parsing, database writes)
    log: str = ""  # the child's stderr (Scrapy's log), for diagnosing a failed run

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.status == "finished"


def config_path_of(settings: Settings | str | os.PathLike[str] | None) -> str | None:
    """The settings file to hand to the child: a path, or a Settings object's `.path`."""
    if settings is None or isinstance(settings, str | os.PathLike):
        return None if settings is None else str(settings)
    return str(settings.path) if settings.path is not None else None


def crawl_command(config: str | None, agency_ids: Iterable[str], summary: Path, progress: bool,
                  hosts: Iterable[str] = (), sync: bool = True) -> list[str]:
    cmd = [sys.executable, "-m", "nianbao.crawler.run", "--summary", str(summary)]
    if config:
        cmd += ["--config", config]
    for agency_id in agency_ids:
        cmd += ["--agency", agency_id]
    for host in hosts:
        cmd += ["--host", host]
    if not sync:
        cmd.append("--no-sync")
    if progress:
        cmd.append("--progress")
    return cmd


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    # The child must import this checkout's packages even when it is not pip-installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


def spawn_crawl(settings: Any, agency_ids: Iterable[str], summary: Path, *, progress: bool = False,
                stderr: Any = None, hosts: Iterable[str] = (), sync: bool = True,
                die_with_parent: bool = False) -> subprocess.Popen[str]:
    """Start the child; the caller waits (tests use this to kill a crawl mid-way). `hosts`: only the
    agencies on these hosts (a cluster's shard); `sync=False`: leave the registry and the schema as they are;
    `die_with_parent`: the kernel kills the child when this process dies (a cluster worker killed with
    SIGKILL must not leave its crawl running while the redelivered shard is crawled elsewhere)."""
    env = child_env()
    if die_with_parent:
        env["NIANBAO_DIE_WITH_PARENT"] = str(os.getpid())
    return subprocess.Popen(
        crawl_command(config_path_of(settings), list(agency_ids), summary, progress, hosts, sync),
        stdout=subprocess.PIPE if progress else subprocess.DEVNULL,
        stderr=stderr if stderr is not None else subprocess.PIPE,
        text=True, env=env, cwd=os.getcwd(),
    )


def run_crawl(settings: Any, agency_ids: Iterable[str] = (), *,
              on_progress: Callable[[dict[str, Any]], None] | None = None,
              timeout: float = 6 * 3600, hosts: Iterable[str] = (), sync: bool = True,
              die_with_parent: bool = False) -> CrawlSummary:
    """One crawl pass of `agency_ids` (all agencies when empty; those on `hosts` when given); returns the
    child's summary."""
    with tempfile.TemporaryDirectory(prefix="nianbao-crawl-") as tmp:
        summary_path = Path(tmp) / "summary.json"
        log_path = Path(tmp) / "crawl.log"
        with open(log_path, "w", encoding="utf-8") as log:
            proc = spawn_crawl(settings, agency_ids, summary_path, progress=on_progress is not None, stderr=log,
                               hosts=hosts, sync=sync, die_with_parent=die_with_parent)
            try:
                if on_progress is not None and proc.stdout is not None:
                    for line in proc.stdout:
                        _dispatch(line, on_progress)
                proc.wait(timeout=timeout)
            except BaseException:
                proc.kill()  # Ctrl-C or a timeout in the parent: never leave an orphan crawl
                proc.wait(timeout=30)
                raise
        return read_summary(summary_path, proc.returncode, log_path.read_text(encoding="utf-8", errors="replace"))


def _dispatch(line: str, on_progress: Callable[[dict[str, Any]], None]) -> None:
    try:
        message = json.loads(line)
    except ValueError:
        return
    if isinstance(message, dict):
        on_progress(message)


def read_summary(path: Path, returncode: int, log: str = "") -> CrawlSummary:
    if not path.exists():
        return CrawlSummary(returncode=returncode, log=log[-20000:])
    data = json.loads(path.read_text(encoding="utf-8"))
    known = {k: v for k, v in data.items() if k in CrawlSummary.__dataclass_fields__}
    return CrawlSummary(returncode=returncode, log=log[-20000:], **known)
