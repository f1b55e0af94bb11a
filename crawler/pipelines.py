"""The item pipeline: report candidates -> the store process (parse, checks, Store.save_version).

The counters are the spider's (crawler.stats), touched only on the reactor thread.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures.process import BrokenProcessPool
from typing import Any, cast

from nianbao.crawler import store_jobs
from nianbao.crawler.items import ReportCandidate
from nianbao.crawler.spiders.report_spider import ReportSpider
from nianbao.crawler.stats import CrawlStats
from nianbao.crawler.writer import StoreDied

log = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.parts: dict[str, dict[int, ReportCandidate]] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        return cls(crawler)

    @property
    def spider(self) -> ReportSpider:
        # Scrapy's crawler.spider is untyped here; this pipeline is configured only for ReportSpider crawls.
        return cast(ReportSpider, self.crawler.spider)

    @property
    def stats(self) -> CrawlStats:
        return self.spider.crawl_stats

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        if isinstance(item, ReportCandidate):
            await self._candidate(item)
        return item

    async def _candidate(self, item: ReportCandidate) -> None:
        parts = self._collect(item) if item.part_of else [item]
        if parts is None:
            return  # more parts to come
        # A page joined with its pictures is stored as the page's: what is known of its URL decides "unchanged".
        group = item.part_of[0] if item.part_of is not None and item.bundle else None
        known = self.spider.known.get(group or item.url) if item.part_of is None or group else None
        try:
            outcome = await asyncio.wrap_future(self.spider.writer.call(store_jobs.save_report, parts, known))
        except (BrokenProcessPool, StoreDied):
            # Lost with the store process: the run stops and is recorded failed (crawler.writer), and the
            # next run asks for it again. Not a site error: the site did nothing wrong.
            log.error("the store process died while storing %s", item.url)
            return
        self._count(item.agency_id, outcome)
        self.stats.changed()

    def _collect(self, item: ReportCandidate) -> list[ReportCandidate] | None:
        """The parts of a split report, in page order, once all are in."""
        assert item.part_of is not None
        group, index, count = item.part_of
        parts = self.parts.setdefault(group, {})
        parts[index] = item
        if len(parts) < count:
            return None
        del self.parts[group]
        return [parts[i] for i in range(count)]

    def _count(self, agency_id: str, outcome: store_jobs.Outcome) -> None:
        kind = outcome.kind
        self.stats.agencies_visited.add(agency_id)
        if kind == "new_report":
            self.stats.reports_new += 1
        elif kind == "new_version":
            self.stats.reports_changed += 1
        elif kind == "unchanged" and outcome.report_id is not None:
            self.stats.unchanged_reports.add(outcome.report_id)
        elif kind == "duplicate":
            self.stats.duplicates += 1
        elif kind == "other_agency":
            self.stats.other_agency += 1
        else:
            self.stats.not_reports += 1
        if kind in ("new_report", "new_version"):
            self.stats.saved.append({"agency_id": agency_id, "year": outcome.year, "url": outcome.url,
                                     "outcome": kind})

    def close_spider(self, spider: Any = None) -> None:
        for group, parts in self.parts.items():
            self.stats.errors.append({"agency_id": next(iter(parts.values())).agency_id, "url": group,
                                      "kind": "other", "message": "a part of a split report is missing"})

