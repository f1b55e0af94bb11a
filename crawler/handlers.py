"""The download handler: plain HTTP, and Chromium (scrapy-playwright) only for pages that need it."""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Response


class LazyBrowserHandler(HTTP11DownloadHandler):
    """Plain HTTP, and scrapy-playwright's handler for requests marked `playwright`, created (and
    Playwright's Node.js driver started) on the first such request instead of when every crawl
    starts: most crawls render nothing, and an unchanged recrawl takes about as long as importing
    Playwright and starting and stopping its driver."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._browser: asyncio.Task[Any] | None = None

    async def download_request(self, request: Request) -> Response:
        if request.meta.get("playwright"):
            if self.crawler.stats is not None:  # the summary says how many pages needed Chromium
                self.crawler.stats.inc_value("nianbao/browser_requests")
            if self._browser is None:  # one start, however many renders wait for it
                self._browser = asyncio.ensure_future(self._start_browser())
            handler = await asyncio.shield(self._browser)
            # scrapy-playwright is untyped: its handler's download_request answers a Scrapy Response.
            response: Response = await handler.download_request(request)
            return response
        return await super().download_request(request)

    async def _start_browser(self) -> Any:
        from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

        handler = ScrapyPlaywrightDownloadHandler.from_crawler(self.crawler)
        await handler._launch()  # what it would have done on engine_started, which has passed
        return handler

    async def close(self) -> None:
        await super().close()
        if self._browser is not None:
            await (await self._browser).close()
