"""What the crawl knows of each host's URLs (crawler.known), read as the crawl reaches the host and dropped
once the host is finished: start-up reads nothing, and memory grows with the hosts in flight, not with the
registry (about 1 KB per known URL: a national registry's 3 million URLs were 3 GB held for the whole crawl).

The spider's start() takes the agencies host by host (`hosts()`), grouped by the host of their first start
URL (the cluster's shard key: agencies that share a site, and often its pages, are read and dropped
together). Their fetch rows are read `per_read` agencies to a query, in a thread (the reactor does not wait
for the database), the next batch while the current one is crawled. Before a batch is taken, hosts whose
agencies have nothing left in flight (crawler.downloader.agencies_in_flight: nothing queued, downloading or
being scraped, items included) are dropped; while `held` agencies are still in flight start() waits, so
Scrapy, which reads start() eagerly, never holds more than that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from scrapy.exceptions import CloseSpider

from nianbao.crawler.downloader import agencies_in_flight
from nianbao.crawler.known import KnownUrls
from nianbao.storage.agencies import host_of

log = logging.getLogger(__name__)

# How often a start() that waits for room looks for finished hosts: short beside a page's download, and a
# look costs microseconds (the agencies in flight are at most the concurrency plus the queued ones).
_POLL_SECONDS = 0.05

Reader = Callable[[list[str]], dict[str, Any]]  # agency ids -> url -> FetchRecord (Store.load_fetches)


@dataclass
class HostGroup:
    host: str
    agency_ids: list[str]
    urls: list[str] = field(default_factory=list)  # the known URLs read for its agencies


class KnownHosts:
    def __init__(self, agencies: Iterable[dict[str, Any]], known: KnownUrls, read: Reader | None,
                 crawler: Any, *, per_read: int, held: int) -> None:
        self.known = known
        self.read = read  # None: nothing is known (a spider made without a store)
        self.crawler = crawler
        self.held_limit = held
        self.batches = _batches(_groups(agencies), per_read)
        self.started: list[HostGroup] = []  # hosts held whose start requests are all scheduled
        self.held = 0  # agencies whose rows are held

    async def hosts(self) -> AsyncIterator[HostGroup]:
        """The host groups in crawl order, each with its known URLs held when it is yielded. A group counts
        as started once the caller asks for the next: by then Scrapy has scheduled its start requests."""
        pending = self._read_soon(self.batches[0]) if self.batches else None
        for index, batch in enumerate(self.batches):
            await self._room_for(sum(len(group.agency_ids) for group in batch))
            records = await self._records(pending)
            pending = self._read_soon(self.batches[index + 1]) if index + 1 < len(self.batches) else None
            self._hold(batch, records)
            for group in batch:
                yield group
                self.started.append(group)

    def drop_finished(self) -> None:
        """Drop the rows of started hosts with nothing left in flight."""
        if not self.started:
            return
        busy = agencies_in_flight(self.crawler)
        still = []
        for group in self.started:
            if busy.intersection(group.agency_ids):
                still.append(group)
                continue
            self.known.drop(group.urls)
            self.held -= len(group.agency_ids)
            self.crawler.stats.inc_value("nianbao/known_hosts_dropped")
        self.started = still

    async def _room_for(self, agencies: int) -> None:
        self.drop_finished()
        while self.held and self.held + agencies > self.held_limit:
            await asyncio.sleep(_POLL_SECONDS)
            self.drop_finished()

    def _read_soon(self, batch: list[HostGroup]) -> asyncio.Future[dict[str, Any]] | None:
        if self.read is None:
            return None
        ids = [agency_id for group in batch for agency_id in group.agency_ids]
        return asyncio.ensure_future(asyncio.to_thread(self.read, ids))

    async def _records(self, pending: asyncio.Future[dict[str, Any]] | None) -> dict[str, Any]:
        if pending is None:
            return {}
        try:
            return await pending
        except Exception as exc:
            # Crawling on without what is known would download every known page again and take known
            # reports for new ones: the run stops, recorded as interrupted (crawler.run.run_status).
            log.error("known URLs could not be read: %s", exc)
            raise CloseSpider("known_urls_unreadable") from exc

    def _hold(self, batch: list[HostGroup], records: dict[str, Any]) -> None:
        by_agency: dict[str, list[str]] = {}
        for url, record in records.items():
            by_agency.setdefault(record.agency_id, []).append(url)
        for group in batch:
            group.urls = [url for agency_id in group.agency_ids for url in by_agency.get(agency_id, ())]
        self.known.add(records)
        self.held += sum(len(group.agency_ids) for group in batch)
        self.crawler.stats.inc_value("nianbao/known_reads")
        self.crawler.stats.max_value("nianbao/known_urls_held", len(self.known.records))


def _groups(agencies: Iterable[dict[str, Any]]) -> list[HostGroup]:
    """The agencies by the host of their first start URL, hosts in the order their first agency comes."""
    groups: dict[str, HostGroup] = {}
    for agency in agencies:
        host = host_of(agency["start_urls"])
        groups.setdefault(host, HostGroup(host, [])).agency_ids.append(agency["id"])
    return list(groups.values())


def _batches(groups: list[HostGroup], per_read: int) -> list[list[HostGroup]]:
    """Whole hosts, up to `per_read` agencies a batch (a bigger host is a batch of its own)."""
    batches: list[list[HostGroup]] = []
    size = 0
    for group in groups:
        if not batches or size + len(group.agency_ids) > per_read:
            batches.append([])
            size = 0
        batches[-1].append(group)
        size += len(group.agency_ids)
    return batches
