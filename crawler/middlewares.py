"""Downloader middlewares: retries with backoff, conditional requests (incremental crawling), error kinds.

Incremental crawling, in one place:
- requests marked meta['conditional'] (articles and attachments; never list pages, which change) carry
  If-None-Match / If-Modified-Since from the Store's fetch record of their URL;
- a 304 for a known report reaches the spider as is (it yields `Unchanged`: nothing downloaded or parsed);
- a 304 for a page the spider must read again (an article holding attachments, a part of a split report)
  is answered from the blob store, where the page's bytes were kept when they were first downloaded.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
)
from scrapy.http import Response
from twisted.internet import error as twisted_errors

# --- error kinds -----------------------------------------------------------------------------------

ERROR_KINDS: tuple[tuple[str, tuple[type[BaseException], ...]], ...] = (
    ("connection", (DownloadConnectionRefusedError, CannotResolveHostError, twisted_errors.ConnectionRefusedError,
                    twisted_errors.ConnectError, twisted_errors.DNSLookupError, ConnectionRefusedError)),
    ("timeout", (DownloadTimeoutError, twisted_errors.TimeoutError, TimeoutError, asyncio.TimeoutError)),
    ("too_large", (DownloadCancelledError,)),
)


def error_kind(exc: BaseException) -> str:
    """The site_errors kind of a download failure (Playwright timeouts are recognised by name)."""
    for kind, types in ERROR_KINDS:
        if isinstance(exc, types):
            return kind
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
        self.backoff = settings.getfloat("NIANBAO_RETRY_BACKOFF", 1.0)

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


class ConditionalRequestMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        return cls(crawler)

    @property
    def store(self) -> Any:
        return self.crawler.spider.store  # type: ignore[union-attr]

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if not request.meta.get("conditional") or request.meta.get("unconditional"):
            return None
        record = self.store.get_fetch(request.url)
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
            return self._not_modified(request, response, record)
        if response.status == 200 and request.meta.get("keep_copy"):
            self._keep_copy(request, response)
        return response

    def _not_modified(self, request: Request, response: Response, record: Any) -> Any:
        if record.is_report or not request.meta.get("keep_copy"):
            return response  # the spider: Unchanged for a report, nothing to do for a known non-report
        if record.sha256 and self.store.blobs.exists(record.sha256):
            body = self.store.blobs.get(record.sha256)
            headers = {"Content-Type": record.content_type or "text/html", "ETag": record.etag or ""}
            return _response_class(record)(url=request.url, status=200, headers=headers, body=body, request=request,
                       flags=["not-modified"])
        # No copy to read again (an older crawl did not keep one): download it once more.
        return request.replace(meta={**request.meta, "unconditional": True, "known_fetch": None},
                               dont_filter=True)

    def _keep_copy(self, request: Request, response: Response) -> None:
        """Keep a page the spider may need to read again on a 304 (blob first, then the fetch row)."""
        sha = self.store.blobs.put(response.body)
        assert sha == hashlib.sha256(response.body).hexdigest()
        header = lambda name: (response.headers.get(name) or b"").decode("latin-1") or None  # noqa: E731
        self.store.record_fetch(
            request.url, request.meta.get("agency"), status_code=response.status, etag=header("ETag"),
            last_modified=header("Last-Modified"), sha256=sha, content_type=header("Content-Type"),
            is_report=False,
        )


def _response_class(record: Any) -> type[Response]:
    from scrapy.http import HtmlResponse

    ctype = (record.content_type or "").lower()
    return HtmlResponse if "html" in ctype or not ctype else Response
