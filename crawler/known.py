"""What a crawl already knows about each URL, and when it may skip one (incremental crawling).

Held for the hosts the crawl is at (crawler.known_hosts reads a host's rows before its first request and
drops them once it is finished), so that no request waits for the database and memory does not grow
with the registry. The rules, with N = crawl.recheck_known_after_days:

- Start URLs and report documents are requested on every crawl, conditionally (If-None-Match /
  If-Modified-Since): a corrected report usually keeps its URL, and its list entry often stays as it
  was, so only asking the report itself finds the correction. A 304 costs no body and no parse.
- A known page reached through an unchanged list entry (its list page answered 304, or changed but
  still lists the same URL under the same title) is not requested at all while the site confirmed it
  less than N days ago; what was derived from it last time (its links) is followed instead. After N
  days it is asked again, conditionally. N = 0 asks every known URL on every crawl.
- A 304 for a list page or an article replays the links derived from it last time: the same bytes give
  the same links, so the page is neither downloaded nor parsed. Links are stored with a fingerprint of
  the rules (this code and the agency's crawl settings); after a change of either they are derived
  again from a fresh download.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from scrapy import Request

_RULE_SOURCES = ("discovery.py", "known.py", "spiders/report_spider.py")
_CODE_FINGERPRINT = hashlib.sha1(
    b"".join((Path(__file__).parent / name).read_bytes() for name in _RULE_SOURCES)
).hexdigest()
# A weekly crawl that starts a little earlier than last week's still finds last week's checks due.
_MAX_SLACK = timedelta(hours=12)

Entry = tuple[str, str, str]  # (role, url, link title): one entry of a list page


def rules_fingerprint(agency: dict[str, Any], limits: dict[str, Any]) -> str:
    """Links stored under another fingerprint were derived by other rules: they are not replayed."""
    config = {key: agency.get(key) for key in ("selectors", "allowed_domains", "render")}
    text = json.dumps([_CODE_FINGERPRINT, config, limits], sort_keys=True, default=str)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def link_of(request: Request) -> dict[str, Any]:
    """The part of a request that rebuilds it (ReportSpider.request_from_link)."""
    meta = request.meta
    link = {"role": meta["role"], "url": request.url, "title": meta.get("title") or "",
            "hops": meta.get("hops"), "pages": meta.get("pages"), "part_of": meta.get("part_of"),
            "render": bool(meta.get("playwright"))}
    return {key: value for key, value in link.items() if value not in (None, False)}


def entry_of(link: dict[str, Any]) -> Entry:
    return link["role"], link["url"], link.get("title", "")


class KnownUrls:
    def __init__(self, records: dict[str, Any], *, recheck_days: float, now: datetime,
                 rules: dict[str, str]) -> None:
        self.records = records  # url -> storage.store.FetchRecord, of the hosts the crawl is at
        self.window = timedelta(days=recheck_days)
        self.slack = min(_MAX_SLACK, self.window / 2)
        self.now = now
        self.rules = rules  # agency id -> rules fingerprint

    def get(self, url: str) -> Any:
        return self.records.get(url)

    def add(self, records: dict[str, Any]) -> None:
        self.records.update(records)

    def drop(self, urls: list[str]) -> None:
        for url in urls:
            self.records.pop(url, None)

    def links(self, agency_id: str, record: Any) -> list[dict[str, Any]] | None:
        """The links derived from the page last time, when the same rules derived them."""
        stored = record.links if record is not None else None
        if not isinstance(stored, dict) or stored.get("rules") != self.rules.get(agency_id):
            return None
        return list(stored.get("links") or [])

    def old_entries(self, agency_id: str, url: str) -> set[Entry]:
        """The entries a page had last time (empty when unknown)."""
        return {entry_of(link) for link in self.links(agency_id, self.get(url)) or []}

    def record_links(self, agency_id: str, links: list[dict[str, Any]]) -> dict[str, Any]:
        return {"rules": self.rules[agency_id], "links": links}

    def needs_bytes(self, request: Request, record: Any) -> bool:
        """True when a 304 for `request` cannot be answered from what is known: the page must be read."""
        meta = request.meta
        if meta.get("part_of"):
            return True  # the parts of a split report are joined from their bytes
        if meta["role"] == "document" or (meta["role"] == "article" and record.is_report):
            return False  # a report is unchanged; a known non-report leaf needs nothing
        return self.links(meta["agency"], record) is None

    def skippable(self, agency_id: str, link: dict[str, Any], record: Any) -> bool:
        """A known URL behind an unchanged list entry that need not be asked again yet."""
        if record is None or self.window <= timedelta(0) or record.is_report:
            return False
        if link.get("render") or link.get("part_of"):
            return False
        if link["role"] != "document" and self.links(agency_id, record) is None:
            return False  # nothing to follow in its place
        confirmed = record.checked_at or record.fetched_at
        return confirmed is not None and self.now - confirmed < self.window - self.slack
