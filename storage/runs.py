"""Crawl runs (begin, heartbeat, finish, abandoned) and the site errors a run met."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nianbao.storage.models import CrawlRun, SiteError, utcnow

SITE_ERROR_KINDS = ("connection", "timeout", "http_status", "blocked", "too_large", "parse", "other",
                    "robots", "offsite", "budget", "private_address")
CRAWL_STATUSES = ("running", "finished", "interrupted", "failed")
# A crawl writes a heartbeat this often; a run silent for STALE_RUN_SECONDS is taken for dead.
HEARTBEAT_SECONDS = 30.0
STALE_RUN_SECONDS = 600.0


def begin_crawl(s: Session, agency_ids: Iterable[str], pid: int | None = None) -> int:
    """A new 'running' run, owned by process `pid` (this one by default) on this host."""
    run = CrawlRun(status="running", agency_ids=list(agency_ids), stats={}, pid=pid or os.getpid(),
                   host=socket.gethostname(), heartbeat_at=utcnow())
    s.add(run)
    s.flush()
    return run.id


def heartbeat(s: Session, run_id: int) -> None:
    """The run's process is alive (called every HEARTBEAT_SECONDS while it crawls)."""
    run = s.get(CrawlRun, run_id)
    if run is not None:
        run.heartbeat_at = utcnow()


def close_abandoned_runs(s: Session, stale_after: float = STALE_RUN_SECONDS) -> list[int]:
    """Mark 'running' runs whose process is gone as 'interrupted'; returns their ids.

    A process killed with SIGKILL (or a power cut) never records its end. On this host the run's
    pid tells: no such process means it is gone. A live pid, a run of another host or an old row
    without a pid is judged by its heartbeat: silent for `stale_after` seconds means gone (a
    reused pid or a hung process does not keep a run 'running' forever).
    """
    now, host = utcnow(), socket.gethostname()
    closed: list[int] = []
    for run in s.scalars(select(CrawlRun).where(CrawlRun.status == "running")):
        if _run_is_alive(run, host, now, stale_after):
            continue
        run.status, run.finished_at = "interrupted", now
        closed.append(run.id)
    return closed


def finish_crawl(s: Session, run_id: int, stats: Mapping[str, Any], status: str = "finished") -> None:
    if status not in CRAWL_STATUSES:
        raise ValueError(f"crawl status must be one of {CRAWL_STATUSES}, got {status!r}")
    run = s.get(CrawlRun, run_id)
    if run is None:
        raise KeyError(f"no crawl run {run_id}")
    run.status = status
    run.stats = dict(stats)
    run.finished_at = utcnow()


def record_site_error(
    s: Session,
    run_id: int | None,
    agency_id: str | None,
    url: str | None,
    kind: str,
    message: str,
    status_code: int | None = None,
) -> int:
    if kind not in SITE_ERROR_KINDS:
        raise ValueError(f"site error kind must be one of {SITE_ERROR_KINDS}, got {kind!r}")
    row = SiteError(crawl_run_id=run_id, agency_id=agency_id, url=url, kind=kind, status_code=status_code,
                    message=message)
    s.add(row)
    s.flush()
    return row.id


def _run_is_alive(run: CrawlRun, host: str, now: datetime, stale_after: float) -> bool:
    last_sign = run.heartbeat_at or run.started_at
    fresh = now - last_sign < timedelta(seconds=stale_after)
    if run.pid is None or run.host != host:
        return fresh
    return _process_exists(run.pid) and fresh


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True
