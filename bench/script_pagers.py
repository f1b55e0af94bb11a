"""What following a script pager in Chromium costs, against a site whose pager the static reading follows.

    python3 bench/script_pagers.py [--repeat 3]

Crawls one farm site of each shape (tests/farm/script_pagers.py) on its own, `--repeat` times, and prints the
median crawl seconds (spider open to close), the pages opened in Chromium and the list pages reached by
clicking. Each site lists its report on its last page (3 pages; the static one 2).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nianbao.crawler.runner import run_crawl  # noqa: E402
from tests.farm import script_pagers  # noqa: E402
from tests.farm.agencies import write_config  # noqa: E402
from tests.farm.server import SiteServer  # noqa: E402


def measure(key: str, repeat: int) -> tuple[float, int, int]:
    seconds, browser, clicked = [], 0, 0
    for _ in range(repeat):
        site = SiteServer(key).start()
        try:
            entry = script_pagers.build(key, site)
            with tempfile.TemporaryDirectory() as tmp:
                config = write_config(Path(tmp) / "config", f"sqlite:///{tmp}/db.sqlite", [entry])
                summary = run_crawl(config)
            assert summary.ok and summary.reports_new == 1, summary.log[-2000:]
            seconds.append(summary.crawl_seconds)
            browser, clicked = summary.browser_requests, summary.script_pager_pages
        finally:
            site.stop()
    return statistics.median(seconds), browser, clicked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'site':<20} {'crawl s':>8} {'browser pages':>14} {'clicked pages':>14}")
    for key in script_pagers.SHAPES:
        seconds, browser, clicked = measure(key, args.repeat)
        print(f"{key:<20} {seconds:>8.2f} {browser:>14} {clicked:>14}")


if __name__ == "__main__":
    main()
