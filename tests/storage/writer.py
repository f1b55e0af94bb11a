"""A separate process that stores a fixed sequence of report versions (used by test_processes.py).

python -m tests.storage.writer DATABASE_URL BLOB_DIR [START] — prints "saved N OUTCOME" after each commit.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from nianbao.crawler.store_jobs import store_report
from nianbao.settings import AgencyConfig
from nianbao.storage.store import Store
from tests.storage.reports import dongguan

AGENCY = AgencyConfig(
    id="dg-tjj",
    name="东莞市统计局",
    region="广东省/东莞市",
    level="city",
    kind="department",
    start_urls=("http://dg-tjj.example.gov.cn/nb/",),
)
T0 = datetime(2021, 2, 1, tzinfo=UTC)


def documents() -> list[tuple[str, bytes]]:
    """Twelve saves: four years, three versions each (the last repeats version 1: unchanged)."""
    docs = []
    for year in (2018, 2019, 2020, 2021):
        url = f"http://dg-tjj.example.gov.cn/nb/{year}.txt"
        docs.append((url, dongguan(year, carried_forward=year % 3)))
        docs.append((url, dongguan(year, carried_forward=year % 3, extra="\n更正\n")))
        docs.append((url, dongguan(year, carried_forward=year % 3)))
    return docs


def main(database_url: str, blob_dir: str, start: int = 0) -> None:
    store = Store(database_url, blob_dir)
    store.sync_agencies([AGENCY])
    for index, (url, content) in enumerate(documents()[start:], start):
        result = store_report(
            store, "dg-tjj", content, url=url, headers={}, fetched_at=T0 + timedelta(minutes=index)
        )
        print(f"saved {index} {result.outcome}", flush=True)
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0)
