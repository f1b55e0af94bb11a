"""Downloader middlewares: retries with backoff, conditional requests (incremental crawling), error kinds.

Incremental crawling, in one place (the rules of skipping are in crawler.known):
- requests marked meta['conditional'] carry If-None-Match / If-Modified-Since from what the crawl knows
  of their URL (read for the host before its first request, crawler.known_hosts: no database call
  per request);
- a 304 reaches the spider as is when it can be answered from what is known (a known report: Unchanged;
  a list page or article: the links it gave last time), and the URL is marked as confirmed;
- a 304 for a page whose bytes the spider needs (a part of a split report, a page known from an older
  crawl without links) is answered from the copy kept in the blob store, else downloaded again;
- robots.txt is read from the copy kept by an earlier crawl while that is less than a day old.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, Protocol, cast

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import HtmlResponse, Response
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet import error as twisted_errors

from nianbao.crawler.known import KnownUrls
from nianbao.storage.blobs import BlobError

# --- refusals: requests the crawl does not make ----------------------------------------------------


class OffsiteRequest(IgnoreRequest):
    """A request (a redirect hop, most often) that leaves the agency's places (crawler.confine)."""


class OverBudget(IgnoreRequest):
    """A request of an agency whose page or byte budget is spent (crawler.budget)."""


class ConfinementMiddleware:
    """Every request the downloader makes stays on its agency's places: the links the spider follows are
    checked there, and this checks every redirect hop too (a redirected request comes back through the
    middlewares). First in the chain, so even robots.txt is never asked of an off-site host.
    Requests of no agency (robots.txt) may go to the places of any agency."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConfinementMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        crawling = _spider(self.crawler)  # the ReportSpider (its places), not the `spider` argument
        agency_id = request.meta.get("agency")
        allowed = (crawling.places[agency_id].allows(request.url) if agency_id in crawling.places
                   else crawling.any_place.allows(request.url))
        if not allowed:
            came_from = (request.meta.get("redirect_urls") or [None])[0]
            raise OffsiteRequest(f"跳转到站外地址 {request.url}" + (f"（来自 {came_from}）" if came_from else "")
                                 + "，未抓取；如确属本单位网站，请加入 allowed_domains")
        return None


class BudgetMiddleware:
    """Counts each agency's requests and response bytes against its budget (the spider's SiteBudget)
    and drops what an agency asks for once its budget is spent."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BudgetMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        agency_id = request.meta.get("agency")
        if agency_id is None:
            return None  # robots.txt
        budget = _spider(self.crawler).budget
        if not budget.take_page(agency_id):
            raise OverBudget(budget.spent[agency_id])
        return None

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        agency_id = request.meta.get("agency")
        if agency_id is not None:
            _spider(self.crawler).budget.add_bytes(agency_id, len(response.body))
        return response


def _spider(crawler: Crawler) -> Any:
    """The crawl's ReportSpider (its places and budget)."""
    return crawler.spider


# --- error kinds -----------------------------------------------------------------------------------

ERROR_KINDS: tuple[tuple[str, tuple[type[BaseException], ...]], ...] = (
    ("connection", (DownloadConnectionRefusedError, CannotResolveHostError, twisted_errors.ConnectionRefusedError,
                    twisted_errors.ConnectError, twisted_errors.DNSLookupError, ConnectionRefusedError)),
    ("timeout", (DownloadTimeoutError, twisted_errors.TimeoutError, TimeoutError, asyncio.TimeoutError)),
    ("too_large", (DownloadCancelledError,)),
    ("offsite", (OffsiteRequest,)),
    ("budget", (OverBudget,)),
)


def error_kind(exc: BaseException) -> str:
    """The site_errors kind of a download failure (Playwright timeouts are recognised by name)."""
    for kind, types in ERROR_KINDS:
        if isinstance(exc, types):
            return kind
    if isinstance(exc, IgnoreRequest) and "robots" in str(exc):
        return "robots"
    if isinstance(exc, IgnoreRequest) and "decompression" in str(exc):
        return "too_large"  # a compressed body that inflates past DOWNLOAD_MAXSIZE (a gzip bomb)
    name = type(exc).__name__
    if "Timeout" in name:
        return "timeout"
    if "Connection" in name or "ERR_CONNECTION" in str(exc):
        return "connection"
    return "other"


# --- retries with exponential backoff --------------------------------------------------------------


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, plus a delay that doubles with every attempt (read by BackoffDelayMiddleware)."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff = float(settings["NIANBAO_RETRY_BACKOFF"])  # set by crawler.settings

    def _retry(self, request: Request, reason: Any) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None and self.backoff > 0:
            attempt = retry.meta.get("retry_times", 1)
            retry.meta["retry_delay"] = self.backoff * 2 ** (attempt - 1)
        return retry


class BackoffDelayMiddleware:
    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        delay = request.meta.pop("retry_delay", 0)
        if delay:
            await asyncio.sleep(min(float(delay), 60.0))


# --- conditional requests --------------------------------------------------------------------------


VALIDATORS = ("If-None-Match", "If-Modified-Since")


class CrawlingSpider(Protocol):
    """What these middlewares use of crawler.spiders.report_spider.ReportSpider (not imported: that
    module imports error_kind from here)."""

    writer: Any  # crawler.writer.StoreWriter
    store: Any  # storage.Store
    known: KnownUrls


def crawling_spider(crawler: Crawler) -> CrawlingSpider:
    # Scrapy types crawler.spider as Spider | None; these middlewares run only in ReportSpider crawls,
    # once the spider exists (they are configured by crawler.settings.scrapy_settings for it).
    return cast(CrawlingSpider, crawler.spider)


class ConditionalRequestMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        return cls(crawler)

    @property
    def spider(self) -> CrawlingSpider:
        return crawling_spider(self.crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        # A redirect's request is a copy of the one redirected: its record and validators are not this URL's.
        request.meta.pop("known_fetch", None)
        for name in VALIDATORS:
            request.headers.pop(name, None)
        if not request.meta.get("conditional") or request.meta.get("unconditional"):
            return None
        record = self.spider.known.get(request.url)
        if record is None:
            return None
        request.meta["known_fetch"] = record
        if record.etag:
            request.headers["If-None-Match"] = record.etag
        if record.last_modified:
            request.headers["If-Modified-Since"] = record.last_modified
        return None

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Any:
        record = request.meta.get("known_fetch")
        if response.status == 304 and record is not None:
            self.spider.writer.mark_checked(request.url)
            return self._not_modified(request, response, record)
        if response.status == 200 and request.meta.get("keep_copy"):
            self.spider.writer.keep_copy(request.url, request.meta.get("agency"), response.body,
                                         _header_text(response))
        return response

    def _not_modified(self, request: Request, response: Response, record: Any) -> Any:
        if not self.spider.known.needs_bytes(request, record):
            return response  # the spider answers it from what is known
        body = _copy(self.spider.store.blobs, record.sha256)
        if body is not None:
            headers = {"Content-Type": record.content_type or "text/html", "ETag": record.etag or ""}
            return _response_class(record)(url=request.url, status=200, headers=headers, body=body, request=request,
                       flags=["not-modified"])
        # No copy to read again (an older crawl did not keep one): download it once more, without
        # validators (process_request drops them), or the site answers 304 again.
        return request.replace(meta={**request.meta, "unconditional": True}, dont_filter=True)


# --- robots.txt ------------------------------------------------------------------------------------

# RFC 9309 lets a crawler keep robots.txt for up to 24 hours.
ROBOTS_MAX_AGE = timedelta(days=1)


class CachedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt handling, with the copy kept by an earlier crawl used while it is fresh: an
    unchanged recrawl then asks each site for its start page only, not for robots.txt first."""

    async def robot_parser(self, request: Request) -> Any:
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers and (body := self._fresh_copy(request)) is not None:
            self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, body)
            self._stats.inc_value("nianbao/robotstxt_from_copy")
        return await super().robot_parser(request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        # What Scrapy reads (a 200, or a 4xx meaning "no rules") is kept; a 5xx is asked again next time.
        if response.status < 500:
            spider = crawling_spider(self.crawler)
            spider.writer.keep_copy(_robots_url(request), request.meta.get("agency"), response.body,
                                    _header_text(response))
        await super()._parse_robots(response, netloc, request)

    def _fresh_copy(self, request: Request) -> bytes | None:
        spider = crawling_spider(self.crawler)
        record = spider.known.get(_robots_url(request))
        max_age = min(ROBOTS_MAX_AGE, spider.known.window)
        if record is None or not record.sha256 or record.checked_at is None:
            return None
        if spider.known.now - record.checked_at >= max_age:
            return None
        return _copy(spider.store.blobs, record.sha256)


def _copy(blobs: Any, sha256: str | None) -> bytes | None:
    """A kept copy, or None when there is none or it is damaged (copies are written without fsync)."""
    if not sha256:
        return None
    try:
        body: bytes = blobs.get(sha256, verify=True)  # blobs is Any: storage.blobs.Blobs.get returns bytes
        return body
    except BlobError:
        return None  # lost or damaged: ask the site again


def _robots_url(request: Request) -> str:
    parts = urlparse_cached(request)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def _header_text(response: Response) -> dict[str, str | None]:
    return {name: (response.headers.get(name) or b"").decode("latin-1") or None
            for name in ("ETag", "Last-Modified", "Content-Type")}


def _response_class(record: Any) -> type[Response]:
    ctype = (record.content_type or "").lower()
    return HtmlResponse if "html" in ctype or not ctype else Response
