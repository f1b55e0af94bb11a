"""One crawl pass in this process: `python -m nianbao.crawler.run --config FILE [--agency ID]... [--host HOST]...
--summary OUT`.

Run by crawler.runner in a child process, because Twisted's reactor cannot be started twice in one
process. Prints progress as JSON lines on stdout (--progress) and writes the summary JSON to --summary.
"""

from __future__ import annotations

import argparse
import time

PROCESS_STARTED = time.monotonic()  # first thing: the summary's `seconds` covers imports and startup

import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from nianbao.crawler.stats import CrawlStats  # noqa: E402
from nianbao.settings import AgencyConfig, Settings, load_settings  # noqa: E402


def agency_dict(agency: AgencyConfig) -> dict[str, Any]:
    """What the spider needs of an AgencyConfig (plain data: the spider must not import settings)."""
    return {
        "id": agency.id,
        "name": agency.name,
        "start_urls": list(agency.start_urls),
        "render": agency.render,
        "selectors": agency.selectors.model_dump(exclude_none=True),
        "allowed_domains": list(agency.allowed_domains),
    }


class ProgressPrinter:
    """JSON lines for the parent's progress display, at most a few per second. Each line carries the
    running counts and the reports and errors found since the previous line (none is skipped by the
    throttle: the next line carries them)."""

    def __init__(self, total_agencies: int) -> None:
        self.total = total_agencies
        self.last = 0.0
        self.errors_shown = 0
        self.saved_shown = 0

    def __call__(self, stats: CrawlStats, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < 0.25:
            return
        self.last = now
        new_errors = [{k: e.get(k) for k in ("agency_id", "kind", "url", "message", "status_code")}
                      for e in stats.errors[self.errors_shown:]]
        new_saved = stats.saved[self.saved_shown:]
        self.errors_shown, self.saved_shown = len(stats.errors), len(stats.saved)
        line = {"event": "progress", "agencies_total": self.total, "agencies_visited": len(stats.agencies_visited),
                "pages": stats.pages, "reports_new": stats.reports_new, "reports_changed": stats.reports_changed,
                "reports_unchanged": len(stats.unchanged_reports), "errors": len(stats.errors),
                "new_errors": new_errors, "new_reports": new_saved}
        print(json.dumps(line, ensure_ascii=False, default=str), flush=True)


def run(config: str | None, agency_ids: list[str], summary_path: Path, progress: bool,
        hosts: list[str] | None = None, sync: bool = True) -> int:
    settings = load_settings(config)
    store = _open_store(settings, sync=sync)
    agencies = select_agencies(store, agency_ids, hosts)
    unknown = sorted(set(agency_ids) - {a.id for a in agencies})
    if unknown:
        print(f"unknown agency id(s): {', '.join(unknown)}", file=sys.stderr)
        store.close()
        return 2
    store.close()  # no connection may cross the store process's fork; the engine reconnects after it
    writer = _start_writer(settings, agencies)  # forks before any thread exists
    try:
        run_id = store.begin_crawl([a.id for a in agencies])
        writer.set_run(run_id)
        crawler, printer = _crawl(settings, agencies, store, writer, run_id, progress)
    finally:
        writer.close()  # every write of the crawl is done before its end is recorded

    stats: CrawlStats = crawler.spider.crawl_stats
    scrapy_stats = crawler.stats.get_stats() if crawler.stats else {}
    status = run_status(scrapy_stats.get("finish_reason", "finished"), store_died=writer.broken)
    summary = summarize(run_id, stats, scrapy_stats, time.monotonic() - PROCESS_STARTED, status, len(agencies))
    # With the CPU of the crawl and of its store process: what a crawl costs, read from the runs (bench/cluster.py).
    store.finish_crawl(run_id, {k: summary[k] for k in ("pages", "requests", "reports_new", "reports_changed",
                                                         "reports_unchanged", "errors", "bytes", "crawl_seconds",
                                                         "cpu_seconds", "store_cpu_seconds")}, status=status)
    store.close()
    if printer is not None:
        printer(stats, force=True)
    tmp = summary_path.with_suffix(".part")
    tmp.write_text(json.dumps(summary, ensure_ascii=False, default=str), encoding="utf-8")
    tmp.replace(summary_path)
    if status == "failed":
        print("抓取失败：存储进程意外退出，本次运行记为失败；未保存的报告将在下次抓取时重新获取", file=sys.stderr)
        return 1
    return 0


def select_agencies(store: Any, agency_ids: list[str], hosts: list[str] | None) -> list[AgencyConfig]:
    """The agencies of this pass, from the registry in the database (the settings' agencies file is synced
    into it first): those named, those on `hosts` (a cluster shard), or every active one."""
    rows = store.agency_rows(ids=agency_ids or None, hosts=hosts or None)
    return [AgencyConfig.model_validate({k: v for k, v in row.items() if k not in ("source", "active")})
            for row in rows]


def run_status(finish_reason: str, *, store_died: bool) -> str:
    """finished; interrupted (Ctrl-C, a signal); failed when the store process died: what it held was
    lost, so the run may prove no absence (monitor.status reads finished runs only)."""
    if store_died:
        return "failed"
    return "finished" if finish_reason == "finished" else "interrupted"


def _start_writer(settings: Settings, agencies: list[AgencyConfig]) -> Any:
    from nianbao.crawler.writer import StoreWriter

    return StoreWriter(settings.database_url, str(settings.blob_dir), {a.id: a.name for a in agencies},
                       limits=settings.documents.limits())


def _open_store(settings: Settings, *, sync: bool) -> Any:
    from nianbao.storage.store import Store

    # A cluster's coordinator keeps the schema (it migrates when it starts): a shard's crawl does not load
    # alembic to find nothing to do (a second of CPU per shard).
    store = Store.from_settings(settings, migrate=sync)
    store.close_abandoned_runs()  # runs of crawls killed earlier (SIGKILL) say so before this one starts
    if sync:  # a cluster's workers leave the registry (and the schema) to the coordinator
        store.sync_agencies(settings.agencies)
    return store


def _crawl(settings: Settings, agencies: list[AgencyConfig], store: Any, writer: Any, run_id: int,
           progress: bool) -> tuple[Any, Any]:
    """Run Scrapy to the end."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    # Imported here, not by Scrapy from deep inside Crawler.crawl: importing Scrapy's HTTP handler runs
    # a deprecation shim that walks the whole call stack (inspect.stack), several times slower when deep.
    import nianbao.crawler.handlers  # noqa: F401
    from nianbao.crawler.settings import scrapy_settings
    from nianbao.crawler.spiders.report_spider import ReportSpider
    from nianbao.crawler.writer import Heartbeat

    heartbeat = Heartbeat(store, run_id)
    process = CrawlerProcess(scrapy_settings(settings.crawl), install_root_handler=True)
    crawler = process.create_crawler(ReportSpider)
    if progress:
        crawler.signals.connect(_count_page, signal=signals.response_received)
    writer.on_broken = lambda: _stop_from_any_thread(crawler)
    printer = ProgressPrinter(len(agencies)) if progress else None
    try:
        process.crawl(crawler, agencies=[agency_dict(a) for a in agencies], store=store, writer=writer,
                      read_known=store.load_fetches, run_id=run_id, progress=printer)
        process.start()
    finally:
        heartbeat.stop()
    return crawler, printer


def _count_page(spider: Any, **_: Any) -> None:
    """Every response received, for the progress display: pages move while a big site is read."""
    spider.crawl_stats.page()


def _stop_from_any_thread(crawler: Any) -> None:
    """Close the spider (reason store_died) on the reactor thread: the writer learns of a dead store
    process on its pool's thread."""
    from scrapy.utils.defer import deferred_from_coro
    from twisted.internet import reactor

    def stop() -> None:
        if crawler.engine is not None and crawler.engine.spider is not None:
            deferred_from_coro(crawler.engine.close_spider_async(reason="store_died"))

    reactor.callFromThread(stop)


def summarize(run_id: int, stats: CrawlStats, scrapy_stats: dict[str, Any], seconds: float, status: str,
              agencies_total: int) -> dict[str, Any]:
    data = stats.as_dict()
    return {
        "run_id": run_id,
        "status": status,
        "agencies_total": agencies_total,
        "agencies_visited": len(data["agencies_visited"]),
        "reports_new": data["reports_new"],
        "reports_changed": data["reports_changed"],
        "reports_unchanged": data["reports_unchanged"],
        "errors": len(data["errors"]),
        "error_list": data["errors"],
        "saved": data["saved"],
        "duplicates": data["duplicates"],
        "not_reports": data["not_reports"],
        "other_agency": data["other_agency"],
        "pages": int(scrapy_stats.get("response_received_count", 0)),
        "requests": int(scrapy_stats.get("downloader/request_count", 0)),
        "bytes": int(scrapy_stats.get("downloader/response_bytes", 0)),
        "not_modified": int(scrapy_stats.get("downloader/response_status_count/304", 0)),
        "seconds": round(seconds, 3),
        "crawl_seconds": float(scrapy_stats.get("elapsed_time_seconds", seconds)),
        "skipped_known": int(scrapy_stats.get("nianbao/skipped_known", 0)),
        # What was known of the URLs, read host by host (crawler.known_hosts): reads, and the most held at once.
        "known_reads": int(scrapy_stats.get("nianbao/known_reads", 0)),
        "known_urls_held": int(scrapy_stats.get("nianbao/known_urls_held", 0)),
        "known_hosts_dropped": int(scrapy_stats.get("nianbao/known_hosts_dropped", 0)),
        "browser_requests": int(scrapy_stats.get("nianbao/browser_requests", 0)),
        "script_pager_pages": int(scrapy_stats.get("nianbao/script_pager_pages", 0)),
        # CPU of this process and of the store process: where a crawl's time goes (bench/crawl.py).
        "cpu_seconds": round(_cpu(resource.RUSAGE_SELF), 3),
        "store_cpu_seconds": round(_cpu(resource.RUSAGE_CHILDREN), 3),
    }


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def die_with_parent() -> None:
    """Ask the kernel for SIGKILL when the parent dies (Linux prctl PR_SET_PDEATHSIG), when the parent asked
    for it (crawler.runner, die_with_parent=True)."""
    import ctypes
    import os
    import signal

    parent = os.environ.pop("NIANBAO_DIE_WITH_PARENT", "")
    if not parent or not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != int(parent):  # the parent died before the request took effect
        os._exit(1)


def main(argv: list[str] | None = None) -> int:
    die_with_parent()
    parser = argparse.ArgumentParser(prog="python -m nianbao.crawler.run")
    parser.add_argument("--config", default=None)
    parser.add_argument("--agency", action="append", default=[])
    parser.add_argument("--summary", required=True, type=Path)
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--host", action="append", default=[], help="only agencies on this host (a shard)")
    parser.add_argument("--no-sync", action="store_true",
                        help="neither sync the settings' agencies file nor migrate (a cluster's shard)")
    args = parser.parse_args(argv)
    return run(args.config, args.agency, args.summary, args.progress, args.host, sync=not args.no_sync)


def exit_now(code: int) -> None:
    """Leave without the interpreter's teardown of Scrapy's and SQLAlchemy's object graphs (~0.25 s, a
    seventh of an unchanged recrawl): by now every write is committed, the summary is on disk, and the
    store process has ended."""
    import logging
    import os

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
