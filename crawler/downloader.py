"""Scrapy's downloader with its per-host concurrency kept under the asyncio reactor.

Scrapy 2.19's Downloader._process_queue pops requests while `slot.free_transfer_slots() > 0` and
schedules each download as a coroutine that marks the request transferring only when it first runs. On
the asyncio reactor that is after the loop ends, so the loop drains the whole queue: measured on the test
farm, 4 requests at once on one host configured for 2. Marking the request transferring before it is
scheduled restores the limit (Scrapy's own _download adds it again, a no-op on a set, and removes it).
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from scrapy.core.downloader import Downloader, Slot, _schedule_coro  # type: ignore[attr-defined]
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
