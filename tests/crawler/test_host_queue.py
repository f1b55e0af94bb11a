"""The scheduler queue (crawler.downloader.HostQueue) chooses as Scrapy's broad-crawl queue does, cheaply."""

from __future__ import annotations

import random

from scrapy import Request
from scrapy.core.downloader import Slot
from scrapy.core.engine import ExecutionEngine
from scrapy.pqueues import DownloaderAwarePriorityQueue
from scrapy.squeues import LifoMemoryQueue
from scrapy.utils.test import get_crawler

from nianbao.crawler.downloader import HostQueue
from nianbao.crawler.settings import scrapy_settings
from nianbao.settings import CrawlSettings


def _engine_crawler():  # type: ignore[no-untyped-def]
    crawler = get_crawler(settings_dict=scrapy_settings(CrawlSettings()))
    crawler._apply_settings()
    crawler.engine = ExecutionEngine(crawler, lambda _: None)
    return crawler


def test_the_host_queue_pops_what_scrapys_queue_pops_as_downloads_come_and_go() -> None:
    crawler = _engine_crawler()
    downloader = crawler.engine.downloader
    ours = HostQueue.from_crawler(crawler, LifoMemoryQueue, "")
    scrapys = DownloaderAwarePriorityQueue.from_crawler(crawler, LifoMemoryQueue, "")
    rng = random.Random(7)
    hosts = [f"127.0.{i // 250}.{i % 250 + 1}" for i in range(60)]
    in_flight: list[Request] = []
    popped = 0
    for step in range(5000):
        if rng.random() < 0.55:
            request = Request(f"http://{rng.choice(hosts)}:8080/p{step}.html", priority=rng.choice((0, 0, 1)))
            ours.push(request)
            scrapys.push(request)
        else:
            mine, theirs = ours.pop(), scrapys.pop()
            assert mine is theirs, step
            if mine is not None:
                popped += 1
                in_flight.append(mine)  # now downloading: its host is busy
                slot = downloader.slots.setdefault(downloader.get_slot_key(mine), Slot(2, 0, 0))
                slot.active.add(mine)
        if in_flight and rng.random() < 0.4:  # a download ends
            done = in_flight.pop(rng.randrange(len(in_flight)))
            downloader.slots[downloader.get_slot_key(done)].active.discard(done)
    assert popped > 1000 and len(ours) == len(scrapys)
    while len(scrapys):
        assert ours.pop() is scrapys.pop()
    assert ours.pop() is None and not ours._names
