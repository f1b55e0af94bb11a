"""The item pipeline: candidates -> checks -> Store.save_version; errors -> Store.record_site_error.

Parsing and database writes run on one worker thread so the crawl keeps downloading meanwhile; the
counters are touched only on the reactor thread. Checks before a version is stored:
- the same URL with the same bytes as last time: unchanged, not parsed again;
- the same bytes already taken in this crawl (a second URL of one report): skipped;
- the parsed agency must be the configured one (fuzzy): another agency's report is not taken.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from crawler.discovery import agency_matches, text_agency
from crawler.items import PageVisited, ReportCandidate, SiteErrorItem, Unchanged

log = logging.getLogger(__name__)


@dataclass
class CrawlStats:
    agencies_visited: set[str] = field(default_factory=set)
    reports_new: int = 0
    reports_changed: int = 0
    unchanged_reports: set[int] = field(default_factory=set)
    not_reports: int = 0
    other_agency: int = 0
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    saved: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["agencies_visited"] = sorted(self.agencies_visited)
        data["reports_unchanged"] = len(self.unchanged_reports)
        data.pop("unchanged_reports")
        return data


class StorePipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = CrawlStats()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nianbao-store")
        # (agency, sha256) taken in this crawl -> report id (None when it was not a report)
        self.seen: dict[tuple[str, str], int | None] = {}
        self.parts: dict[str, dict[int, ReportCandidate]] = {}
        self.progress: Callable[[CrawlStats], None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler)

    @property
    def spider(self) -> Any:
        return self.crawler.spider

    def open_spider(self, spider: Any = None) -> None:
        self.crawler.nianbao_pipeline = self  # run.py reads the stats from here
        self.progress = getattr(self.spider, "progress", None)

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, PageVisited):
            self.stats.agencies_visited.add(item.agency_id)
        elif isinstance(item, SiteErrorItem):
            self.stats.agencies_visited.add(item.agency_id)  # visited, and failing: never "no report"
            await self._in_worker(self._record_error, item)
        elif isinstance(item, Unchanged):
            self.stats.agencies_visited.add(item.agency_id)
            if item.report_id is not None:
                self.stats.unchanged_reports.add(item.report_id)
        elif isinstance(item, ReportCandidate):
            whole = self._assemble(item) if item.part_of else item
            if whole is not None:
                outcome = await self._in_worker(self._save, whole)
                self._count(whole, outcome)
        if self.progress is not None:
            self.progress(self.stats)
        return item

    async def _in_worker(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    # -- errors ----------------------------------------------------------------------------------

    def _record_error(self, item: SiteErrorItem) -> None:
        self.spider.store.record_site_error(self.spider.run_id, item.agency_id, item.url, item.kind,
                                            item.message, status_code=item.status_code)
        self.stats.errors.append(asdict(item))

    # -- reports ---------------------------------------------------------------------------------

    def _save(self, item: ReportCandidate) -> tuple[str, int | None, int | None]:
        """Runs on the worker thread. Returns (outcome, report_id, year)."""
        store = self.spider.store
        sha = hashlib.sha256(item.body).hexdigest()
        known = store.get_fetch(item.url)
        if known is not None and known.is_report and known.sha256 == sha:
            return "unchanged", known.report_id, None
        if (item.agency_id, sha) in self.seen:
            # The same bytes by a second URL: remember the URL (a recrawl sends it conditionally).
            report_id = self.seen[(item.agency_id, sha)]
            self._record_fetch(item, sha, report_id)
            return "duplicate", report_id, None
        verdict, checked = self._check_agency(item)
        if verdict is not None:
            self.seen[(item.agency_id, sha)] = None
            self._record_fetch(item, sha, None)
            return verdict, None, None
        result = store.save_version(
            item.agency_id, item.body, url=item.url, headers=item.headers, fetched_at=datetime.now(UTC),
            title=item.title, run_id=self.spider.run_id, filename=item.filename, year_hint=item.year_hint,
            checked=checked,  # parsed once, above: save_version does not parse again
        )
        self.seen[(item.agency_id, sha)] = result.report_id
        return result.outcome, result.report_id, result.year

    def _check_agency(self, item: ReportCandidate) -> tuple[str | None, object]:
        """('other_agency', _) when the document names another agency; (None, parse result) to go on."""
        try:
            from monitor import UnreadableDocument, check_bytes
        except ImportError:
            return None, None  # no parser in this build: save_version keeps the bytes
        try:
            result = check_bytes(item.body, item.filename)
        except UnreadableDocument:
            return "unreadable", None
        except Exception:  # a parser bug: save_version records it as a finding, nothing is lost
            log.exception("parser failed on %s", item.url)
            return None, None
        document = getattr(result, "document", None)
        found = result.report.agency or text_agency(getattr(document, "text", "") or "")
        name = self.spider.agencies[item.agency_id]["name"]
        return (None, result) if agency_matches(found, name) else ("other_agency", None)

    def _record_fetch(self, item: ReportCandidate, sha: str, report_id: int | None) -> None:
        header = {k.lower(): v for k, v in item.headers.items()}.get
        self.spider.store.record_fetch(
            item.url, item.agency_id, status_code=200, etag=header("etag"), last_modified=header("last-modified"),
            sha256=sha, content_type=header("content-type"), is_report=report_id is not None, report_id=report_id,
        )

    def _count(self, item: ReportCandidate, outcome: tuple[str, int | None, int | None]) -> None:
        kind, report_id, year = outcome
        self.stats.agencies_visited.add(item.agency_id)
        if kind == "new_report":
            self.stats.reports_new += 1
        elif kind == "new_version":
            self.stats.reports_changed += 1
        elif kind == "unchanged" and report_id is not None:
            self.stats.unchanged_reports.add(report_id)
        elif kind == "duplicate":
            self.stats.duplicates += 1
        elif kind == "other_agency":
            self.stats.other_agency += 1
        else:
            self.stats.not_reports += 1
        if kind in ("new_report", "new_version"):
            self.stats.saved.append({"agency_id": item.agency_id, "year": year, "url": item.url, "outcome": kind})

    # -- reports split over several attachments ------------------------------------------------

    def _assemble(self, item: ReportCandidate) -> ReportCandidate | None:
        """Collect the parts of one report; when all are in, one candidate with their texts joined."""
        assert item.part_of is not None
        group, index, count = item.part_of
        parts = self.parts.setdefault(group, {})
        parts[index] = item
        if len(parts) < count:
            return None
        del self.parts[group]
        from monitor.readers import UnreadableDocument, read_document

        texts = []
        for i in range(count):
            try:
                texts.append(read_document(parts[i].body, parts[i].filename).text)
            except UnreadableDocument as exc:
                log.warning("part %s of %s unreadable: %s", parts[i].url, group, exc)
        urls = " ".join(parts[i].url for i in range(count))
        return ReportCandidate(item.agency_id, f"{group}#attachments", "\n".join(texts).encode("utf-8"),
                               {"Content-Type": "text/plain; charset=utf-8", "X-Nianbao-Parts": urls},
                               title=item.title, filename="report.txt", year_hint=item.year_hint)

    def close_spider(self, spider: Any = None) -> None:
        for group, parts in self.parts.items():
            self.stats.errors.append({"agency_id": next(iter(parts.values())).agency_id, "url": group,
                                      "kind": "other", "message": "a part of a split report is missing"})
        self.executor.shutdown(wait=True)
