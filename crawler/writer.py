"""Every database write of a crawl, done by one child process, in the order asked.

The crawl process only hands work over: a database call or a report parse on the reactor thread would
stall every download, and on a worker thread it would still hold the GIL that the downloads need. The
store process (crawler.store_jobs) runs one job at a time, in the order sent. Bookkeeping (fetch rows,
links, URLs confirmed by a 304) is buffered here and sent in batches, one transaction each; any other
job first sends the buffer, so rows are never written out of order. Buffered rows are only a cache of
what the sites said: a crash that loses some costs a re-download, never a version.

If the store process dies (killed, out of memory, a crash in a parser), the jobs it held are lost: the
writer is then broken, sends nothing more, and tells the crawl (`on_broken`) to stop. The run is recorded
`failed` (crawler.run): nothing it did not store is taken for absent, and the next run asks again for
whatever was lost (a report whose fetch row was never written is not known, so not skipped).

Used from the reactor thread only (the pipeline and the downloader middleware); `on_broken` may be called
from the pool's own thread.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from nianbao.crawler import store_jobs
from nianbao.report.limits import Limits
from nianbao.storage.store import HEARTBEAT_SECONDS, FetchRow

log = logging.getLogger(__name__)


class StoreDied(RuntimeError):
    """The store process died: nothing more can be stored in this run."""


class StoreWriter:
    def __init__(self, database_url: str, blob_dir: str, agency_names: dict[str, str], *,
                 batch: int = 500, linger: float = 2.0, limits: Limits | None = None) -> None:
        self.initargs = (database_url, str(blob_dir), agency_names, os.getpid(), limits)
        self.batch = batch
        self.linger = linger  # seconds a buffered row may wait for company before it is sent
        self.fetches: list[FetchRow] = []
        self.links: list[tuple[str, dict[str, Any]]] = []
        self.checked: list[str] = []
        self.copies: list[tuple[str, str | None, bytes, dict[str, str | None]]] = []
        self.oldest = 0.0  # when the oldest buffered row came
        self.run_id: int | None = None
        self.broken = False
        self.on_broken: Callable[[], None] | None = None  # set by the crawl: stop it
        self.pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # Forked (it inherits the imports: no second start-up) when this runs first in the crawl process,
        # as crawler.run does: no thread and no database connection exists yet; spawned otherwise.
        method = "fork" if _forkable() else "spawn"
        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context(method),
                                   initializer=store_jobs.open_store, initargs=self.initargs)
        pool.submit(store_jobs.ready).add_done_callback(self._check)  # start it now, not at the first report
        return pool

    def set_run(self, run_id: int) -> None:
        """The crawl run that site errors and versions belong to."""
        self.run_id = run_id
        self.post(store_jobs.set_run, run_id)

    # -- bookkeeping, buffered --------------------------------------------------------------------

    def fetch(self, row: FetchRow) -> None:
        self._buffer(self.fetches, row)

    def set_links(self, url: str, links: dict[str, Any]) -> None:
        self._buffer(self.links, (url, links))

    def mark_checked(self, url: str) -> None:
        self._buffer(self.checked, url)

    def keep_copy(self, url: str, agency_id: str | None, body: bytes, headers: dict[str, str | None]) -> None:
        """Keep a page's bytes (robots.txt, a part of a split report) for reading again on a later 304."""
        self._buffer(self.copies, (url, agency_id, body, headers))

    def _buffer(self, rows: list[Any], row: Any) -> None:
        if self.broken:
            return  # bookkeeping only: lost rows cost a re-download next run
        if not self._pending():
            self.oldest = time.monotonic()
        rows.append(row)
        if self._pending() >= self.batch or time.monotonic() - self.oldest > self.linger:
            self.flush()

    def _pending(self) -> int:
        return len(self.fetches) + len(self.links) + len(self.checked) + len(self.copies)

    def flush(self) -> None:
        if not self._pending():
            return
        batch = (self.fetches, self.links, self.checked, self.copies)
        self.fetches, self.links, self.checked, self.copies = [], [], [], []
        self._submit(store_jobs.write_batch, *batch).add_done_callback(self._check)

    # -- jobs -------------------------------------------------------------------------------------

    def call(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run store_jobs.fn(*args) in the store process after the buffered rows; the result in the future."""
        self.flush()
        return self._submit(fn, *args)

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        """Like call, for work nobody waits for: a failure is logged. Nothing is sent once the store
        process died (the run is failing; its end is recorded by the crawl process)."""
        try:
            self.call(fn, *args).add_done_callback(self._check)
        except StoreDied:
            return

    def _submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        if self.broken:
            raise StoreDied("the store process died")
        try:
            return self.pool.submit(fn, *args)
        except BrokenProcessPool as exc:
            self._died()
            raise StoreDied("the store process died") from exc

    def _check(self, future: Future[Any]) -> None:
        """A job's end: a store process that died breaks the writer; any other failure is logged."""
        exc = future.exception()
        if isinstance(exc, BrokenProcessPool):
            self._died()
        elif exc is not None:
            log.error("a store job failed", exc_info=exc)

    def _died(self) -> None:
        # Not replaced by a new one: the jobs it held are lost, and a run that goes on would count them
        # neither as stored nor as failed. The run stops and is recorded failed instead.
        if self.broken:
            return
        self.broken = True
        log.error("存储进程意外退出，本次抓取中止并记为失败；未保存的报告将在下次抓取时重新获取")
        if self.on_broken is not None:
            self.on_broken()

    def close(self) -> None:
        """Send what is buffered, wait for every job, stop the store process."""
        try:
            self.flush()
            self._submit(store_jobs.close)
        except StoreDied:
            pass  # nothing to wait for: what it held is lost
        self.pool.shutdown(wait=True, cancel_futures=self.broken)


def _forkable() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


class Heartbeat:
    """A run's sign of life, on its own thread (Store.close_abandoned_runs reads it)."""

    def __init__(self, store: Any, run_id: int, every: float = HEARTBEAT_SECONDS) -> None:
        self.store, self.run_id, self.every = store, run_id, every
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="nianbao-heartbeat", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                self.store.heartbeat(self.run_id)
            except Exception:  # the database may be busy or briefly down; the next beat tries again
                log.warning("heartbeat of run %s failed", self.run_id, exc_info=True)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()
