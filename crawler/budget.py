"""Per-agency budgets: how many requests and bytes one site may cost a crawl, and pagination traps.

The defaults (crawl.max_pages_per_site, crawl.max_bytes_per_site) are far above what a real county site
needs; they only stop a site that leads the crawler on without end (a page of 100,000 links, a calendar,
`?page=N+1` forever). A site that hits one is recorded once as a site error of kind "budget": its reports
may be among the pages not read, so its absence proves nothing (monitor.status: unreachable).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

_SPACE = re.compile(r"\s+")


@dataclass
class SiteBudget:
    max_pages: int
    max_bytes: int
    pages: Counter[str] = field(default_factory=Counter)  # requests sent (redirect hops, retries), per agency
    scheduled: Counter[str] = field(default_factory=Counter)  # requests the spider asked for, per agency
    bytes: Counter[str] = field(default_factory=Counter)  # response bytes received, per agency
    spent: dict[str, str] = field(default_factory=dict)  # agency -> what was used up (a Chinese message)
    contents: dict[str, set[str]] = field(default_factory=dict)  # agency -> fingerprints of list pages read

    def take_page(self, agency_id: str) -> bool:
        """Count one more request sent for the agency; False once over the pages or the bytes (what the
        spider queued before its own count ran out is still sent)."""
        if self.bytes[agency_id] > self.max_bytes:
            return False
        if self.pages[agency_id] >= self.max_pages:
            self._spend(agency_id)
            return False
        self.pages[agency_id] += 1
        return True

    def schedule(self, agency_id: str) -> bool:
        """Count one more request the spider asks for; False once over (it stops asking at once instead of
        queueing a whole page of links only for the downloader to drop them)."""
        if agency_id in self.spent:
            return False
        if self.scheduled[agency_id] >= self.max_pages:
            self._spend(agency_id)
            return False
        self.scheduled[agency_id] += 1
        return True

    def add_bytes(self, agency_id: str, size: int) -> None:
        self.bytes[agency_id] += size
        if self.bytes[agency_id] > self.max_bytes and agency_id not in self.spent:
            self.spent[agency_id] = f"已达到每站下载上限（{self.max_bytes} 字节），其余页面未抓取"

    def _spend(self, agency_id: str) -> None:
        self.spent[agency_id] = f"已达到每站页面上限（{self.max_pages} 个请求），其余页面未抓取"

    def seen_content(self, agency_id: str, text: str) -> bool:
        """True when a list page of this agency with the same visible text was read before (a pager that
        goes on past the last page shows the last page, or an empty list, again and again)."""
        digest = hashlib.sha1(_SPACE.sub(" ", text).strip().encode("utf-8", "surrogatepass")).hexdigest()
        seen = self.contents.setdefault(agency_id, set())
        if digest in seen:
            return True
        seen.add(digest)
        return False
