"""Scrapy's downloader with its per-host concurrency kept under the asyncio reactor, and its scheduler queue
for broad crawls without a cost that grows with the square of the hosts (HostQueue).

Scrapy 2.19's Downloader._process_queue pops requests while `slot.free_transfer_slots() > 0` and
schedules each download as a coroutine that marks the request transferring only when it first runs. On
the asyncio reactor that is after the loop ends, so the loop drains the whole queue: measured on the test
farm, 4 requests at once on one host configured for 2. Marking the request transferring before it is
scheduled restores the limit (Scrapy's own _download adds it again, a no-op on a set, and removes it).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Iterable
from itertools import chain
from time import monotonic
from typing import Any

from scrapy import Request
from scrapy.core.downloader import Downloader, Slot, _schedule_coro  # type: ignore[attr-defined]
from scrapy.pqueues import DownloaderAwarePriorityQueue, DownloaderInterface
from scrapy.utils.asyncio import call_later


class PoliteDownloader(Downloader):
    def _process_queue(self, slot: Slot) -> None:
        if slot.latercall:
            return
        now = monotonic()
        delay = slot.download_delay()
        if delay:
            penalty = delay - now + slot.lastseen
            if penalty > 0:
                slot.latercall = call_later(penalty, self._latercall, slot)
                return
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            slot.transferring.add(request)  # the fix: counted now, not when the coroutine first runs
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))
            if delay:
                self._process_queue(slot)
                break

    def _latercall(self, slot: Any) -> None:
        slot.latercall = None
        self._process_queue(slot)



class HostQueue(DownloaderAwarePriorityQueue):
    """Scrapy's scheduler queue for broad crawls (the host with the fewest downloads in flight goes next;
    among equals the next host by name after the last one chosen), without its cost: Scrapy counts the
    downloads of every host with a queued request on every pop, so a shard of N hosts costs N² (at 1,000
    hosts a third of the crawl's CPU). Most waiting hosts have nothing in flight (`concurrency` requests
    among hundreds of hosts), so the hosts are kept sorted by name and scanned on from the last one chosen
    to the first idle one: the host Scrapy would choose, found after at most `concurrency` busy ones.
    Scrapy's full count decides only when every waiting host is busy.

    It also counts the queued requests of each agency: an agency with none queued and none in the engine
    is finished (agencies_in_flight), and what the crawl knew of its URLs can be dropped."""

    def __init__(self, crawler: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(crawler, *args, **kwargs)
        self._names: list[str] = sorted(self.pqueues)  # the hosts with queued requests, by name
        self._downloader_interface = _IdleFirst(crawler, self)
        self.agencies: Counter[str] = Counter()  # queued requests per agency

    def push(self, request: Request) -> None:
        slot = self._downloader_interface.get_slot_key(request)
        if slot not in self.pqueues:
            insort(self._names, slot)
        super().push(request)
        self.agencies[request.meta.get("agency") or ""] += 1

    def pop(self) -> Request | None:
        request = super().pop()
        if request is not None:
            self._count_out(request.meta.get("agency") or "")
        slot = self._last_selected_slot
        if slot is not None and slot not in self.pqueues:  # its last request: Scrapy dropped its queue
            index = bisect_left(self._names, slot)
            if index < len(self._names) and self._names[index] == slot:
                del self._names[index]
        return request

    def _count_out(self, agency_id: str) -> None:
        self.agencies[agency_id] -= 1
        if self.agencies[agency_id] <= 0:
            del self.agencies[agency_id]

    def first_idle(self) -> str | None:
        """The first host by name after the last one chosen (wrapping round) with nothing in flight."""
        names, slots = self._names, self._downloader_interface.downloader.slots
        last = self._last_selected_slot
        start = bisect_right(names, last) if last is not None else 0
        for index in chain(range(start, len(names)), range(start)):
            slot = slots.get(names[index])
            if slot is None or not slot.active:
                return names[index]
        return None


class _IdleFirst(DownloaderInterface):
    """The downloads in flight that Scrapy's queue chooses by: only the first idle host when there is one
    (nothing has fewer than none in flight), every waiting host's count otherwise."""

    def __init__(self, crawler: Any, queue: HostQueue) -> None:
        super().__init__(crawler)
        self.queue = queue

    def stats(self, possible_slots: Iterable[str]) -> list[tuple[int, str]]:
        idle = self.queue.first_idle()
        return [(0, idle)] if idle is not None else super().stats(possible_slots)


def agencies_in_flight(crawler: Any) -> set[str]:
    """The agencies with a request queued, or in the engine: from the scheduler's pop until its response
    went through the callback and every item of it through the pipeline (Scrapy's engine holds a request
    in its slot's `inprogress` that long, and a request a callback or a middleware yields is queued
    before the request it came from leaves). Any other agency of the crawl is finished or not begun."""
    slot = crawler.engine._slot
    queue = slot.scheduler.mqs  # crawler.settings: SCHEDULER_PRIORITY_QUEUE is HostQueue, in memory
    in_engine = {request.meta.get("agency") for request in slot.inprogress}
    return {*queue.agencies, *(agency for agency in in_engine if agency)}
