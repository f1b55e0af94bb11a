"""The one generic spider: list pages -> pagination -> articles -> attachments, for every agency.

No per-site code. Each request carries meta:
  agency   the agency id            role   'list' | 'article' | 'document'
  hops     column links followed    pages  list pages read along this pagination chain
  title    the link text that led here (the report title, for articles and attachments)
Decisions come from crawler.discovery (titles, links, pages); the pipeline decides from the content.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import scrapy
from scrapy.http import HtmlResponse, Response, TextResponse
from twisted.python.failure import Failure

from crawler import discovery as d
from crawler.items import PageVisited, ReportCandidate, SiteErrorItem, Unchanged
from crawler.middlewares import error_kind

log = logging.getLogger(__name__)

Output = Iterator[scrapy.Request | ReportCandidate | Unchanged | SiteErrorItem | PageVisited]


class ReportSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, agencies: list[dict[str, Any]], store: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.agencies = {a["id"]: a for a in agencies}
        self.store = store  # storage.Store: read by the conditional-request middleware
        self.netlocs = {a["id"]: _netlocs(a["start_urls"], a.get("allowed_domains") or ()) for a in agencies}
        self.rendered_pages = 0

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ReportSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_depth = crawler.settings.getint("NIANBAO_MAX_DEPTH", 3)
        spider.max_list_pages = crawler.settings.getint("NIANBAO_MAX_LIST_PAGES", 50)
        spider.restart_every = crawler.settings.getint("NIANBAO_BROWSER_RESTART_EVERY", 50)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for agency in self.agencies.values():
            for url in agency["start_urls"]:
                yield self.list_request(agency["id"], url, hops=0, pages=1,
                                        render=agency.get("render") == "browser", start=True)

    # -- requests --------------------------------------------------------------------------------

    def _request(self, agency_id: str, url: str, role: str, callback: Any, **meta: Any) -> scrapy.Request:
        meta.update(agency=agency_id, role=role, handle_httpstatus_all=True)
        if meta.pop("render", False):
            # networkidle: the list is filled by an XHR that ends after the load event.
            meta.update(playwright=True, playwright_include_page=True,
                        playwright_page_goto_kwargs={"wait_until": "networkidle"},
                        playwright_context=f"nianbao-{self.rendered_pages // max(self.restart_every, 1)}")
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta,
                              dont_filter=bool(meta.pop("dont_filter", False)))

    def list_request(self, agency_id: str, url: str, *, hops: int, pages: int, render: bool = False,
                     start: bool = False, dont_filter: bool = False) -> scrapy.Request:
        # Lists are read on every crawl, conditionally: a 304 is answered from the copy kept last time.
        return self._request(agency_id, url, "list", self.parse_list, hops=hops, pages=pages, render=render,
                             start=start, dont_filter=dont_filter, priority=0, conditional=not render,
                             keep_copy=not render)

    def article_request(self, agency_id: str, url: str, title: str) -> scrapy.Request:
        return self._request(agency_id, url, "article", self.parse_article, title=title, conditional=True,
                             keep_copy=True)

    def document_request(self, agency_id: str, url: str, title: str,
                         part_of: tuple[str, int, int] | None = None) -> scrapy.Request:
        # Attachments always over plain HTTP (browser downloads are fragile); parts are kept for 304s.
        return self._request(agency_id, url, "document", self.parse_document, title=title, conditional=True,
                             part_of=part_of, keep_copy=part_of is not None)

    # -- callbacks -------------------------------------------------------------------------------

    async def parse_list(self, response: Response) -> AsyncIterator[Any]:
        await self._close_page(response)
        for item in self._parse_list(response):
            yield item

    def _parse_list(self, response: Response) -> Output:
        agency_id = response.meta["agency"]
        if (error := self._failed(response)) is not None:
            yield error
            return
        yield PageVisited(agency_id, response.url)
        if not isinstance(response, TextResponse):
            return
        useful = 0  # report links and pagination: a list page without any may be built by a script
        for text, url in self._links(response):
            request = self._follow(response, text, url)
            if request is not None:
                useful += request.meta["role"] != "list" or request.meta["pages"] > response.meta["pages"]
                yield request
        for url in d.create_page_html_urls(response.text, response.url, self.max_list_pages):
            if self._allowed(agency_id, url):
                useful += 1
                yield self.list_request(agency_id, url, hops=response.meta["hops"],
                                        pages=response.meta["pages"] + 1)
        if self._should_render(response, useful):
            yield self.list_request(agency_id, response.url, hops=response.meta["hops"],
                                    pages=response.meta["pages"], render=True, dont_filter=True)
        if d.classify_title(_page_title(response)).is_report and not useful:
            # A start URL may be the report's own article page.
            yield from self._parse_article(response)

    def _follow(self, response: Response, text: str, url: str) -> scrapy.Request | None:
        agency_id, meta = response.meta["agency"], response.meta
        if not self._allowed(agency_id, url):
            return None
        verdict = d.classify_title(text)
        if verdict.is_report:
            if not d.agency_matches(verdict.agency, self.agencies[agency_id]["name"]):
                return None  # another agency's report linked from this page
            if d.is_document_url(url, text):
                return self.document_request(agency_id, url, text)
            return self.article_request(agency_id, url, text)
        if d.is_pagination_text(text) and meta["pages"] < self.max_list_pages:
            return self.list_request(agency_id, url, hops=meta["hops"], pages=meta["pages"] + 1)
        if verdict.kind is d.TitleKind.OTHER and d.is_column_text(text) and meta["hops"] < self.max_depth:
            return self.list_request(agency_id, url, hops=meta["hops"] + 1, pages=1)
        return None

    def _should_render(self, response: Response, useful: int) -> bool:
        agency = self.agencies[response.meta["agency"]]
        return (agency.get("render", "auto") == "auto" and not response.meta.get("playwright")
                and d.page_needs_render(response.text, useful))

    def parse_article(self, response: Response) -> Output:
        return self._parse_article(response)

    def _parse_article(self, response: Response) -> Output:
        agency_id = response.meta["agency"]
        if response.status == 304:
            yield from _unchanged(response)
            return
        if (error := self._failed(response)) is not None:
            yield error
            return
        yield PageVisited(agency_id, response.url)
        title = _page_title(response) or response.meta.get("title")
        attachments = [(t, u) for t, u in self._links(response)
                       if d.is_document_url(u, t) and self._allowed(agency_id, u)]
        yield from self._attachment_requests(agency_id, response.url, title, attachments)
        if not attachments:
            # No attachment: the page itself is the report (or, the parser will say, it is not).
            yield ReportCandidate(agency_id, response.url, response.body, _headers(response), title=title,
                                  filename=_filename(response.url, ".html"), year_hint=d.title_year(title or ""))

    def _attachment_requests(self, agency_id: str, page_url: str, title: str | None,
                             attachments: list[tuple[str, str]]) -> Output:
        # Attachments that are reports of different years are separate reports; otherwise several
        # attachments are parts of one report (e.g. 附件1 text, 附件2 tables), joined in page order.
        years = {d.title_year(t) for t, _ in attachments}
        if len(attachments) == 1 or (None not in years and len(years) == len(attachments)):
            for text, url in attachments:
                yield self.document_request(agency_id, url, _better_title(text, title))
            return
        unique = list(dict.fromkeys(u for _, u in attachments))
        for index, url in enumerate(unique):
            yield self.document_request(agency_id, url, title or "", part_of=(page_url, index, len(unique)))

    def parse_document(self, response: Response) -> Output:
        meta, agency_id = response.meta, response.meta["agency"]
        if response.status == 304:
            yield from _unchanged(response)
            return
        if (error := self._failed(response)) is not None:
            yield error
            return
        title = meta.get("title")
        yield ReportCandidate(agency_id, response.url, response.body, _headers(response), title=title,
                              filename=_filename(response.url, ""), year_hint=d.title_year(title or ""),
                              part_of=meta.get("part_of"))

    # -- failures --------------------------------------------------------------------------------

    def _failed(self, response: Response) -> SiteErrorItem | None:
        """Blocked (challenge, captcha) or an HTTP error: a site error, never 'no report'."""
        text = response.text if isinstance(response, TextResponse) else ""
        agency_id = response.meta["agency"]
        if d.looks_like_challenge(response.status, text):
            return SiteErrorItem(agency_id, response.url, "blocked",
                                 f"anti-bot challenge or captcha (HTTP {response.status})", response.status)
        if response.status >= 400:
            return SiteErrorItem(agency_id, response.url, "http_status", f"HTTP {response.status}",
                                 response.status)
        return None

    def on_error(self, failure: Failure) -> Iterator[SiteErrorItem]:
        request = failure.request  # type: ignore[attr-defined]
        exc = failure.value
        if type(exc).__name__ == "IgnoreRequest":
            return  # robots.txt forbids it: not an error of the site
        kind = error_kind(exc)
        yield SiteErrorItem(request.meta["agency"], request.url, kind, f"{type(exc).__name__}: {exc}"[:500])

    # -- helpers ---------------------------------------------------------------------------------

    def _links(self, response: Response) -> Iterator[tuple[str, str]]:
        if not isinstance(response, TextResponse):
            return
        selectors = self.agencies[response.meta["agency"]].get("selectors") or {}
        anchors = _select(response, selectors.get("list_items")) + _select(response, selectors.get("pagination"))
        for anchor in anchors or response.css("a"):
            href = anchor.attrib.get("href") or anchor.css("a::attr(href)").get()
            if not href or href.startswith(("javascript:", "mailto:", "#")):
                continue
            text = d.normalize_text(anchor.attrib.get("title") or " ".join(anchor.css("::text").getall()))
            url = response.urljoin(href.strip()).split("#", 1)[0]
            if not d.is_skipped_url(url):
                yield text, url

    def _allowed(self, agency_id: str, url: str) -> bool:
        parts = urlsplit(url)
        netloc = (parts.hostname or "", parts.port)
        # IP hosts (the test farm) are told apart by port; domain names also allow their subdomains.
        return any(netloc == allowed or (not _is_ip(allowed[0]) and (allowed[1] is None or allowed[1] == netloc[1])
                                         and d.same_site(url, {allowed[0]}))
                   for allowed in self.netlocs[agency_id])

    async def _close_page(self, response: Response) -> None:
        """Close the browser tab at once; restart the browser every N rendered pages (memory)."""
        page = response.meta.get("playwright_page")
        if page is None:
            return
        self.rendered_pages += 1
        context = page.context
        await page.close()
        if self.rendered_pages % max(self.restart_every, 1) == 0:
            await context.close()
            browser = context.browser
            if browser is not None:
                await browser.close()  # scrapy-playwright launches a fresh one on the next render


def _select(response: TextResponse, selector: str | None) -> list[Any]:
    """A per-site override (CSS, or XPath when it starts with / or ( ), as <a> elements."""
    if not selector:
        return []
    found = response.xpath(selector) if selector.startswith(("/", "(")) else response.css(selector)
    return [node for el in found for node in ([el] if el.root.tag == "a" else el.css("a"))]


def _unchanged(response: Response) -> Iterator[Unchanged]:
    """304 Not Modified: a known report is unchanged; a known non-report needs nothing."""
    record = response.meta.get("known_fetch")
    if record is not None and record.is_report:
        yield Unchanged(response.meta["agency"], response.url, record.report_id)


def _netlocs(urls: list[str], domains: Any) -> set[tuple[str, int | None]]:
    """Where an agency's crawl may go: the host:port of each start URL, or an allowed domain (any port)."""
    result = {((urlsplit(u).hostname or "").lower(), urlsplit(u).port) for u in urls}
    return result | {(domain.lower(), None) for domain in domains}


def _is_ip(host: str) -> bool:
    return host.replace(".", "").isdigit() or ":" in host


def _page_title(response: Response) -> str | None:
    if not isinstance(response, HtmlResponse | TextResponse) or not hasattr(response, "css"):
        return None
    for query in ("meta[name=ArticleTitle]::attr(content)", "h1 ::text", "title::text"):
        values = response.css(query).getall()
        text = d.normalize_text(" ".join(values))
        if text:
            return text
    return None


def _better_title(link_text: str, page_title: str | None) -> str:
    """The page title usually names the report; the link text is often just 附件.pdf."""
    return page_title if page_title and d.classify_title(page_title).is_report else link_text


def _headers(response: Response) -> dict[str, str]:
    return {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}


def _filename(url: str, default_ext: str) -> str:
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or "index"
    return name if "." in name else name + default_ext

