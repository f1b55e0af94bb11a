"""A crawl's start-up alone, for bench/scale.py: what crawler.run and the spider do before the first request
(the registry rows of the pass, the spider with its host groups, the known URLs of the first batch of hosts:
the rest are read as the crawl reaches them, crawler.known_hosts), then its peak memory and CPU. Prints one
JSON line.

    NIANBAO_DATABASE_URL=... python3 bench/crawl_start.py [--hosts h1,h2]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", default="")
    args = parser.parse_args()
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings as ScrapySettings

    from nianbao.crawler import run
    from nianbao.crawler.settings import scrapy_settings
    from nianbao.crawler.spiders.report_spider import ReportSpider
    from nianbao.settings import load_settings
    from nianbao.storage.store import Store

    settings = load_settings(None)
    store = Store.from_settings(settings)
    store.agency_rows(ids=["none"])  # connected, tables mapped: the baseline is the process without data
    crawler = Crawler(ReportSpider, ScrapySettings(scrapy_settings(settings.crawl)))
    baseline, cpu = rss_mb(), cpu_seconds()
    started = time.perf_counter()
    agencies = run.select_agencies(store, [], args.hosts.split(",") if args.hosts else None)
    dicts = [run.agency_dict(a) for a in agencies]
    spider = ReportSpider.from_crawler(crawler, agencies=dicts, store=store, read_known=store.load_fetches)
    batches = spider.known_hosts.batches
    first = [agency_id for group in (batches[0] if batches else []) for agency_id in group.agency_ids]
    known = store.load_fetches(first)  # what start() reads before the first request
    seconds = time.perf_counter() - started
    print(json.dumps({"agencies": len(dicts), "known": len(known), "seconds": seconds,
                      "cpu_seconds": cpu_seconds() - cpu, "baseline_mb": baseline, "peak_mb": rss_mb()}))


if __name__ == "__main__":
    main()
