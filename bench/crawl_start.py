"""A crawl's start-up alone, for bench/scale.py: what crawler.run does before Scrapy runs (the registry rows
of the pass, the known-URL table), then its peak memory. Prints one JSON line.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", default="")
    args = parser.parse_args()
    from nianbao.crawler import run
    from nianbao.settings import load_settings
    from nianbao.storage.store import Store

    settings = load_settings(None)
    store = Store.from_settings(settings)
    store.agency_rows(ids=["none"])  # connected, tables mapped: the baseline is the process without data
    baseline = rss_mb()
    started = time.perf_counter()
    agencies = run.select_agencies(store, [], args.hosts.split(",") if args.hosts else None)
    known = run.load_known(store, agencies)
    dicts = [run.agency_dict(a) for a in agencies]
    seconds = time.perf_counter() - started
    print(json.dumps({"agencies": len(dicts), "known": len(known), "seconds": seconds, "baseline_mb": baseline,
                      "peak_mb": rss_mb()}))


if __name__ == "__main__":
    main()
