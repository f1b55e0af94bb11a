"""The one generic spider: list pages -> pagination -> articles -> attachments, for every agency.

No per-site code. Each request carries meta:
  agency   the agency id            role   'list' | 'article' | 'document'
  hops     column links followed    pages  list pages read along this pagination chain
  title    the link text that led here (the report title, for articles and attachments)
Decisions come from crawler.discovery (titles, links, pages); the store process decides from the content.
What each page led to is kept: a recrawl follows it again without reading the page when the site says
the page is unchanged (304), and does not ask for known pages behind unchanged list entries at all
(the rules are in crawler.known).

Only report candidates are Scrapy items. Pages visited, site errors and what is known about a page are
recorded directly (self.crawl_stats, self.writer): an item costs Scrapy's whole item machinery, and a
crawl reads thousands of pages for each report.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import lxml.etree
import lxml.html
import scrapy
from scrapy.http import HtmlResponse, Response, TextResponse
from twisted.python.failure import Failure
from w3lib.url import safe_url_string

from nianbao.crawler import addresses, store_jobs
from nianbao.crawler import discovery as d
from nianbao.crawler.browser import click_next
from nianbao.crawler.budget import SiteBudget
from nianbao.crawler.confine import AnyPlace, places
from nianbao.crawler.items import ReportCandidate, SiteErrorItem
from nianbao.crawler.known import KnownUrls, entry_of, link_of, rules_fingerprint
from nianbao.crawler.known_hosts import KnownHosts, Reader
from nianbao.crawler.middlewares import OverBudget, error_kind
from nianbao.crawler.stats import CrawlStats
from nianbao.report.readers import UnreadableDocument
from nianbao.report.readers.html import picture_urls
from nianbao.storage.store import FetchRow

log = logging.getLogger(__name__)

Output = Iterator[scrapy.Request | ReportCandidate]
# Statuses the callbacks see: 304 (answered from what is known) and errors (site errors, never "no report").
# Not handle_httpstatus_all: that also stops Scrapy from following redirects (http -> https, /nb -> /nb/).
HANDLED_STATUSES = [304, *range(400, 600)]


def _option(crawler: Any, name: str) -> Any:
    """A crawl option, as crawler.settings.scrapy_settings sets it from the settings' crawl section (where
    the defaults live). No default here: a crawl started without those settings stops instead of guessing."""
    if name not in crawler.settings:
        raise KeyError(f"{name} is not set: start crawls with nianbao.crawler.settings.scrapy_settings")
    return crawler.settings[name]


class ReportSpider(scrapy.Spider):
    name = "reports"
    # Set in from_crawler from the crawl options (they live in the crawler's settings, not in __init__'s args).
    max_depth: int
    max_list_pages: int
    restart_every: int
    browser_timeout: float  # seconds a rendered page (or a page a pager click loads) may take
    click_settle: float  # seconds a pager click may show nothing before it is taken for a dead control
    max_pictures: int  # pictures fetched with a report page whose tables are pictures
    max_picture_bytes: int
    private_addresses: bool  # names resolving to private addresses may be asked (crawler.addresses)
    known: KnownUrls
    known_hosts: KnownHosts  # reads and drops `known` host by host
    budget: SiteBudget  # set by from_crawler, from the crawl settings

    def __init__(self, agencies: list[dict[str, Any]], store: Any = None, writer: Any = None,
                 read_known: Reader | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.agencies = {a["id"]: a for a in agencies}
        self.store = store  # storage.Store (blobs of kept copies)
        self.writer = writer  # crawler.writer.StoreWriter: every database write, in the store process
        self.read_known = read_known  # agency ids -> their fetch rows by URL (Store.load_fetches), in a thread
        self.places = {a["id"]: places(a["start_urls"], a.get("allowed_domains") or ()) for a in agencies}
        self.any_place = AnyPlace(self.places.values())  # where a request of no agency (robots.txt) may go
        self.crawl_stats = CrawlStats(on_change=kwargs.get("progress"))
        self.rendered_pages = 0
        self.requested: set[str] = set()  # URLs asked for in this crawl (Scrapy would drop repeats later)
        self.seen_urls: set[str] = set()  # pages read, or followed from what is known, in this crawl
        self.reported: set[tuple[str, str]] = set()  # (agency, kind) of site errors recorded once per crawl
        self.public_names: dict[str, bool] = {}  # host -> resolves to public addresses only (the browser's check)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ReportSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_depth = int(_option(crawler, "NIANBAO_MAX_DEPTH"))
        spider.max_list_pages = int(_option(crawler, "NIANBAO_MAX_LIST_PAGES"))
        spider.restart_every = int(_option(crawler, "NIANBAO_BROWSER_RESTART_EVERY"))
        spider.browser_timeout = float(_option(crawler, "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT")) / 1000
        spider.click_settle = float(_option(crawler, "NIANBAO_PAGER_CLICK_SETTLE"))
        spider.max_pictures = int(_option(crawler, "NIANBAO_MAX_PICTURES_PER_PAGE"))
        spider.max_picture_bytes = int(_option(crawler, "NIANBAO_MAX_PICTURE_BYTES"))
        spider.private_addresses = bool(_option(crawler, "NIANBAO_PRIVATE_ADDRESSES"))
        spider.budget = SiteBudget(int(_option(crawler, "NIANBAO_MAX_PAGES_PER_SITE")),
                                   int(_option(crawler, "NIANBAO_MAX_BYTES_PER_SITE")))
        limits = {"max_depth": spider.max_depth, "max_list_pages": spider.max_list_pages}
        spider.known = KnownUrls(
            {}, recheck_days=float(_option(crawler, "NIANBAO_RECHECK_KNOWN_AFTER_DAYS")),
            now=datetime.now(UTC), rules={a_id: rules_fingerprint(a, limits) for a_id, a in spider.agencies.items()})
        spider.known_hosts = KnownHosts(
            spider.agencies.values(), spider.known, spider.read_known, crawler,
            per_read=int(_option(crawler, "NIANBAO_KNOWN_AGENCIES_PER_READ")),
            held=int(_option(crawler, "NIANBAO_KNOWN_AGENCIES_HELD")))
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """Host by host, each host's known URLs read before its first request (crawler.known_hosts)."""
        async for host in self.known_hosts.hosts():
            for agency_id in host.agency_ids:
                agency = self.agencies[agency_id]
                for url in agency["start_urls"]:
                    self.requested.add(url)
                    self.budget.schedule(agency_id)
                    # Never filtered as a duplicate: two agencies may list their reports on one portal page,
                    # and a redirect loop must run into Scrapy's redirect limit (a site error), not vanish.
                    yield self.list_request(agency_id, url, hops=0, pages=1,
                                            render=agency.get("render") == "browser", start=True, dont_filter=True)

    # -- requests --------------------------------------------------------------------------------

    def _request(self, agency_id: str, url: str, role: str, callback: Any, errback: Any = None,
                 **meta: Any) -> scrapy.Request:
        meta.update(agency=agency_id, role=role, handle_httpstatus_list=HANDLED_STATUSES)
        if meta.pop("render", False):
            # networkidle: the list is filled by an XHR that ends after the load event.
            meta.update(playwright=True, playwright_include_page=True,
                        playwright_page_goto_kwargs={"wait_until": "networkidle"},
                        # Every request of the page goes through the confinement rule; service workers
                        # would fetch past the page's routes.
                        playwright_page_init_callback=self._confine_page,
                        playwright_context_kwargs={"service_workers": "block"},
                        playwright_context=f"nianbao-{self.rendered_pages // max(self.restart_every, 1)}")
        if d.is_dataproxy_post(url):  # a Hanweb proxy answers POST only: its query is the form
            meta["conditional"] = False
            return scrapy.Request(url, method="POST", body=urlsplit(url).query, callback=callback,
                                  errback=self.on_error, meta=meta, dont_filter=bool(meta.pop("dont_filter", False)),
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        return scrapy.Request(url, callback=callback, errback=errback or self.on_error, meta=meta,
                              dont_filter=bool(meta.pop("dont_filter", False)))

    def list_request(self, agency_id: str, url: str, *, hops: int, pages: int, render: bool = False,
                     start: bool = False, dont_filter: bool = False, title: str = "") -> scrapy.Request:
        # Conditional: a 304 follows the links the page gave last time (crawler.known).
        # A rendered page has a browser tab to close (async); a plain one takes the sync callback.
        # `title`: set when an undated report title led here (the page may be that report).
        callback = self.parse_rendered_list if render else self.parse_list
        return self._request(agency_id, url, "list", callback, hops=hops, pages=pages, render=render,
                             start=start, dont_filter=dont_filter, priority=0, conditional=not render,
                             title=title or None)

    def article_request(self, agency_id: str, url: str, title: str) -> scrapy.Request:
        return self._request(agency_id, url, "article", self.parse_article, title=title, conditional=True)

    def document_request(self, agency_id: str, url: str, title: str,
                         part_of: tuple[str, int, int] | None = None) -> scrapy.Request:
        # Attachments always over plain HTTP (browser downloads are fragile); parts are kept for 304s.
        return self._request(agency_id, url, "document", self.parse_document, title=title, conditional=True,
                             part_of=part_of, keep_copy=part_of is not None)

    def picture_request(self, agency_id: str, url: str, part_of: tuple[str, int, int]) -> scrapy.Request:
        """A picture of a report page whose tables are pictures: part of that page (crawler.pipelines joins
        them), kept for 304s like the parts of a split report; never filtered as a repeat (two pages may
        show one picture), bounded in size."""
        return self._request(agency_id, url, "picture", self.parse_picture, errback=self.on_picture_error,
                             conditional=True, part_of=part_of, keep_copy=True, dont_filter=True,
                             download_maxsize=self.max_picture_bytes, priority=1)

    def request_from_link(self, agency_id: str, link: dict[str, Any]) -> scrapy.Request:
        """The request a stored link (crawler.known.link_of) stands for."""
        url, title, role = link["url"], link.get("title", ""), link["role"]
        if role == "list":
            render = bool(link.get("render"))
            return self.list_request(agency_id, url, hops=link.get("hops", 0), pages=link.get("pages", 1),
                                     render=render, dont_filter=render, title=title)
        if role == "article":
            return self.article_request(agency_id, url, title)
        part_of = link.get("part_of")
        return self.document_request(agency_id, url, title, part_of=tuple(part_of) if part_of else None)

    # -- callbacks -------------------------------------------------------------------------------

    async def parse_rendered_list(self, response: Response) -> AsyncIterator[Any]:
        """A list page open in Chromium: read it; when it has a pager only a script follows and no next page
        was found in it otherwise, click the pager to the next page and read that, as long as pages are new,
        within the pagination and per-site limits. Each page clicked to counts as one request of the budget."""
        page = response.meta.get("playwright_page")
        try:
            shown: set[str] = set()
            current: Response | None = response
            while current is not None:
                for item in self.parse_list(current):
                    yield item
                current = await self._click_next(current, page, shown) if page is not None else None
        finally:
            await self._close_page(response)

    async def _click_next(self, response: Response, page: Any, shown: set[str]) -> HtmlResponse | None:
        """The page after `response` in the browser tab, as a response of its own; None at the end (no
        control, nothing new, off the agency's places, a limit reached)."""
        agency_id, pages = response.meta["agency"], response.meta["pages"]
        if (not isinstance(response, TextResponse) or response.status != 200 or pages >= self.max_list_pages
                or response.meta.get("next_found", True) or not d.has_script_pager(response.selector.root)):
            return None
        shown.add(_visible_text(response))
        if not (self.budget.schedule(agency_id) and self.budget.take_page(agency_id)):
            self._over_budget(agency_id, response.url)
            return None
        if not await click_next(page, pages, d.FORWARD_TEXTS, d.PAGER_DECORATIONS, self.browser_timeout,
                                self.click_settle):
            return None
        url, body = page.url, (await page.content()).encode("utf-8")
        self.budget.add_bytes(agency_id, len(body))
        if not self._allowed(agency_id, url):
            return None  # the route stopped the request already; nothing of the agency to read
        request = response.request.replace(url=url) if response.request is not None else None
        following = HtmlResponse(url, body=body, encoding="utf-8", request=request)
        if request is not None:
            request.meta["pages"] = pages + 1
        self.crawler.stats.inc_value("nianbao/script_pager_pages", spider=self)
        return None if _visible_text(following) in shown else following

    def parse_list(self, response: Response) -> Output:
        return self._read_page(response, self._list_outputs)

    def parse_article(self, response: Response) -> Output:
        return self._read_page(response, self._article_outputs)

    def parse_document(self, response: Response) -> Output:
        return self._read_page(response, self._document_outputs)

    def _list_outputs(self, response: Response) -> Output:
        agency_id, meta = response.meta["agency"], response.meta
        # An undated report title (政府信息公开工作年度报告, its year in a date column) is read as a column;
        # what it leads to may be that report itself: a page leading nowhere, or a document.
        undated_title = d.classify_title(meta.get("title")).undated
        if _is_document(response):
            if undated_title:
                yield from self._document_outputs(response)
            return
        if not isinstance(response, TextResponse):
            return
        if self.budget.seen_content(agency_id, _visible_text(response)) and meta["pages"] > 1:
            return  # a pager page showing what an earlier page showed: the chain goes on past its end
        useful = paged = 0  # report links and pagination: a list page without any may be built by a script
        for text, url in self._links(response):
            request = self._follow(response, text, url)
            if request is not None:
                is_next = request.meta["role"] == "list" and request.meta["pages"] > meta["pages"]
                useful += request.meta["role"] != "list" or is_next
                paged += is_next
                yield request
        if meta["pages"] < self.max_list_pages:
            for url in d.script_pager_urls(response.text, response.url, self.max_list_pages):
                url = _encoded(url, response)
                if self._allowed(agency_id, url):
                    useful += 1
                    paged += 1
                    yield self.list_request(agency_id, url, hops=meta["hops"], pages=meta["pages"] + 1)
        meta["next_found"] = bool(paged)  # a rendered page with a script pager is clicked on only without
        if not paged and self._needs_script_pager(response):
            # The browser clicks through the pager; it also builds the list if a script does (no render below).
            yield self.list_request(agency_id, response.url, hops=meta["hops"], pages=meta["pages"], render=True,
                                    dont_filter=True)
        elif self._should_render(response, useful):
            yield self.list_request(agency_id, response.url, hops=meta["hops"], pages=meta["pages"], render=True,
                                    dont_filter=True)
        if not useful and (undated_title or d.classify_title(_page_title(response)).is_report):
            # A start URL may be the report's own article page.
            yield from self._article_outputs(response)

    def _follow(self, response: Response, text: str, url: str) -> scrapy.Request | None:
        agency_id, meta = response.meta["agency"], response.meta
        if not self._allowed(agency_id, url):
            return None
        verdict = d.classify_title(text)
        if verdict.is_report or verdict.undated:
            if not d.agency_matches(verdict.agency, self.agencies[agency_id]["name"]):
                return None  # another agency's report linked from this page
            if d.is_document_url(url, text):
                return self.document_request(agency_id, url, text)
            if verdict.is_report:
                return self.article_request(agency_id, url, text)
            if meta["hops"] < self.max_depth:  # a column, or one report: _list_outputs tells
                return self.list_request(agency_id, url, hops=meta["hops"] + 1, pages=1, title=text)
            return None
        if d.is_pagination_text(text) and meta["pages"] < self.max_list_pages:
            return self.list_request(agency_id, url, hops=meta["hops"], pages=meta["pages"] + 1)
        if (verdict.kind is d.TitleKind.OTHER and d.is_column_text(text) and meta["hops"] < self.max_depth
                and not d.is_document_url(url, text)):  # 附件：年度报告.pdf is no column to enter
            return self.list_request(agency_id, url, hops=meta["hops"] + 1, pages=1)
        return None

    def _needs_script_pager(self, response: TextResponse) -> bool:
        """A pager only a script follows, on a page whose static reading found no next page: the page is
        rendered (parse_rendered_list clicks on), never for agencies set to `render: static`."""
        meta = response.meta
        # Only a chain's first page: a later one was reached by a pager read statically, and its last page
        # (script page numbers, no 下一页) needs no browser.
        return (self.agencies[meta["agency"]].get("render", "auto") != "static" and not meta.get("playwright")
                and meta["pages"] == 1 < self.max_list_pages and d.has_script_pager(response.selector.root))

    def _should_render(self, response: Response, useful: int) -> bool:
        agency = self.agencies[response.meta["agency"]]
        return (agency.get("render", "auto") == "auto" and not response.meta.get("playwright")
                and d.page_needs_render(response.text, useful))

    def _article_outputs(self, response: Response) -> Output:
        if _is_document(response):  # a report link that leads straight to the file (a download script)
            yield from self._document_outputs(response)
            return
        agency_id = response.meta["agency"]
        title = _page_title(response) or response.meta.get("title")
        links = [*self._links(response), *self._embedded(response)]
        attachments = _unique_urls([(t, u) for t, u in links if d.is_document_url(u, t) and self._allowed(agency_id, u)])
        yield from self._attachment_requests(agency_id, response.url, title, attachments)
        if not attachments:
            # No attachment: the page itself is the report (or, the parser will say, it is not).
            page = ReportCandidate(agency_id, response.url, response.body, _headers(response), title=title,
                                   filename=d.document_filename(response.url, content_type=_content_type(response),
                                                                default_ext=".html"),
                                   year_hint=d.title_year(title or ""), **_exchange(response))
            yield from self._with_pictures(page, response)

    def _with_pictures(self, page: ReportCandidate, response: Response) -> Output:
        """The page, and when its tables are pictures (its text lacks them) the article's pictures on the
        agency's places, as the parts of one report: the store joins them into a web archive."""
        urls = _picture_urls(response)
        urls = [url for url in urls if self._allowed(page.agency_id, url)][:self.max_pictures]
        if not urls:
            yield page
            return
        group = (page.url, len(urls) + 1)
        page.part_of, page.bundle = (group[0], 0, group[1]), True
        yield page
        for index, url in enumerate(urls, start=1):
            part_of = (group[0], index, group[1])
            if self.budget.schedule(page.agency_id):
                self.crawler.stats.inc_value("nianbao/pictures_requested")
                yield self.picture_request(page.agency_id, url, part_of)
            else:
                self._over_budget(page.agency_id, url)
                yield _missing_picture(page.agency_id, url, part_of)

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

    def parse_picture(self, response: Response) -> Output:
        """A picture of a report page (a 304 is answered from the kept copy by the middleware): its bytes as
        a part of the page's report; an error answer an empty part (the report says the picture is missing)."""
        meta = response.meta
        body = response.body if response.status == 200 else b""
        url = (meta.get("redirect_urls") or [response.url])[0]  # the URL the page names it by
        yield ReportCandidate(meta["agency"], url, body, _headers(response), part_of=meta["part_of"],
                              bundle=True, **_exchange(response))

    def on_picture_error(self, failure: Failure) -> Output:
        """A picture that could not be had (elsewhere after a redirect, too large, no answer): the page's
        report goes on without it. Not a site error: the site's report was read."""
        request = failure.request  # type: ignore[attr-defined]
        assert failure.value is not None  # (as in on_error)
        self.crawler.stats.inc_value(f"nianbao/pictures_failed/{error_kind(failure.value)}")
        yield _missing_picture(request.meta["agency"], request.url, request.meta["part_of"])

    def _document_outputs(self, response: Response) -> Output:
        meta = response.meta
        title = meta.get("title")
        filename = d.document_filename(response.url, response.headers.get("Content-Disposition"),
                                       _content_type(response))
        yield ReportCandidate(meta["agency"], response.url, response.body, _headers(response), title=title,
                              filename=filename, year_hint=d.title_year(title or ""), part_of=meta.get("part_of"),
                              **_exchange(response))

    # -- pages, and what is known from earlier crawls ---------------------------------------------

    def _read_page(self, response: Response, derive: Any) -> Output:
        """A page's requests and candidates (from `derive`). Known pages behind unchanged entries are
        followed without a request; what the page led to is kept for the next crawl (not a rendered
        page's: it is never asked conditionally)."""
        agency_id = response.meta["agency"]
        if response.status == 304:
            yield from self._not_modified(response)
            return
        if (error := self._failed(response)) is not None:
            self.site_error(error)  # an error page is never "known"
            return
        self.crawl_stats.visited(agency_id)
        self.seen_urls.add(response.url)
        outputs = list(derive(response))
        rendered = bool(response.meta.get("playwright"))
        old = set() if rendered else self.known.old_entries(agency_id, response.url)
        # A page's pictures are asked only with the page read (never replayed from its links).
        yield from (o for o in outputs if isinstance(o, scrapy.Request) and o.meta["role"] == "picture")
        requests = [o for o in outputs if isinstance(o, scrapy.Request) and o.meta["role"] != "picture"]
        links = [link_of(r) for r in requests]
        record = None if rendered else self.known.record_links(agency_id, links)
        for request, link in zip(requests, links, strict=True):
            yield from self._emit(agency_id, link, unchanged=entry_of(link) in old, request=request)
        candidates = [o for o in outputs if isinstance(o, ReportCandidate)]
        for candidate in candidates:
            candidate.links = record  # its fetch row is written with the report; the links go with it
            yield candidate
        if record is not None and not candidates and response.meta["role"] != "document":
            self._remember(response, record)

    def _remember(self, response: Response, links: dict[str, Any]) -> None:
        """The page's validators and what it led to: the next crawl asks conditionally and, on a 304,
        follows these links without reading the page."""
        header = {k.lower(): v for k, v in _headers(response).items()}.get
        self.writer.fetch(FetchRow(response.url, response.meta["agency"], 200, header("etag"),
                                   header("last-modified"), header("content-type"), datetime.now(UTC), links=links))

    def _emit(self, agency_id: str, link: dict[str, Any], *, unchanged: bool,
              request: scrapy.Request | None = None) -> Output:
        """Follow one link: skipped (what it led to last time followed instead), asked, or already asked.
        Works on the link, making a request only to send it: a replayed site has dozens of links per page
        already seen or skipped."""
        url = link["url"]
        record = self.known.get(url)
        if unchanged and self.known.skippable(agency_id, link, record):
            if url not in self.seen_urls:
                self.crawler.stats.inc_value("nianbao/skipped_known")
            yield from self._replay(agency_id, url, record)
        elif link.get("render") or url not in self.requested:  # a render asks again for a URL read plainly
            if not self.budget.schedule(agency_id):
                self._over_budget(agency_id, url)
                return
            self.requested.add(url)
            yield request if request is not None else self.request_from_link(agency_id, link)

    def _not_modified(self, response: Response) -> Output:
        """304 for a known page: a known report is unchanged; a page's links are followed as last time."""
        record, agency_id = response.meta.get("known_fetch"), response.meta["agency"]
        if record is None:  # a 304 to a request that named no version: a broken server
            self.site_error(SiteErrorItem(agency_id, response.url, "http_status", "HTTP 304 to a plain request", 304))
            return
        if record.is_report:
            self.crawl_stats.unchanged(agency_id, record.report_id)
            self.writer.post(store_jobs.record_revisit, agency_id, response.url, record.sha256,
                             _exchange(response), _headers(response))
        else:
            self.crawl_stats.visited(agency_id)
        yield from self._replay(agency_id, response.url, record)

    def _replay(self, agency_id: str, url: str, record: Any) -> Output:
        if url in self.seen_urls:
            return
        self.seen_urls.add(url)
        for link in self.known.links(agency_id, record) or []:
            yield from self._emit(agency_id, link, unchanged=True)

    # -- failures --------------------------------------------------------------------------------

    def _failed(self, response: Response) -> SiteErrorItem | None:
        """Blocked (challenge, captcha) or an HTTP error: a site error, never 'no report'."""
        text = response.text if isinstance(response, TextResponse) else ""
        agency_id = response.meta["agency"]
        if d.looks_like_challenge(response.status, text):
            return SiteErrorItem(agency_id, response.url, "blocked",
                                 f"anti-bot challenge or captcha: {d.challenge_kind(response.status, text)}",
                                 response.status)
        if response.status >= 400:
            return SiteErrorItem(agency_id, response.url, "http_status", f"HTTP {response.status}",
                                 response.status)
        return None

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        exc, agency_id = failure.value, request.meta["agency"]
        # Scrapy calls an errback with a Failure made from an exception: its value is never None.
        assert exc is not None
        kind = error_kind(exc)
        if kind in ("connection", "other") and (refusal := addresses.refused(request.url)):
            kind, exc = "private_address", RuntimeError(refusal)  # the resolver's or the browser's refusal
        if kind == "robots":
            # robots.txt forbids it. A page deep in the site: not an error of the site. A start URL: we may
            # not look at the site at all, so an absent report proves nothing.
            if request.meta.get("start"):
                self._once(agency_id, SiteErrorItem(agency_id, request.url, "robots",
                                                    "robots.txt 禁止抓取本单位网站的起始页，无法查看"))
            return
        if isinstance(exc, OverBudget):
            self._over_budget(agency_id, request.url)
            return
        message = {"too_large": f"响应超过大小上限（或解压后超过，疑似压缩炸弹），未读取：{exc}",
                   "offsite": str(exc), "private_address": str(exc)}.get(kind, f"{type(exc).__name__}: {exc}")
        self.site_error(SiteErrorItem(agency_id, request.url, kind, message[:500]))

    def _over_budget(self, agency_id: str, url: str) -> None:
        self._once(agency_id, SiteErrorItem(agency_id, url, "budget", self.budget.spent[agency_id]))

    def _once(self, agency_id: str, error: SiteErrorItem) -> None:
        """A site error that says something of the whole site: recorded once per crawl."""
        if (agency_id, error.kind) not in self.reported:
            self.reported.add((agency_id, error.kind))
            self.site_error(error)

    def site_error(self, error: SiteErrorItem) -> None:
        self.crawl_stats.error(asdict(error))
        self.writer.post(store_jobs.record_site_error, error.agency_id, error.url, error.kind, error.message,
                         error.status_code)

    # -- helpers ---------------------------------------------------------------------------------

    def _links(self, response: Response) -> Iterator[tuple[str, str]]:
        """(text, absolute URL) of the page's links, or of the agency's selectors when it has some."""
        if not isinstance(response, TextResponse):
            return
        selectors = self.agencies[response.meta["agency"]].get("selectors") or {}
        anchors = _select(response, selectors.get("list_items")) + _select(response, selectors.get("pagination"))
        # lxml directly: a parsel query per anchor costs more than the rest of the page's handling.
        for anchor in anchors or _anchors(response):
            href = (anchor.get("href") or "").strip()
            if not href or href.startswith(d.PLACEHOLDER_HREFS):
                href = d.placeholder_target(href, anchor.get) or ""  # only here: most hrefs are plain
                if not href:
                    continue
            text = d.normalize_text(anchor.get("title") or anchor.text_content())
            if d.TRUNCATION.search(text):
                text = d.untruncated(text, _nearby_titles(anchor))
            url = d.viewer_document(_encoded(response.urljoin(href).split("#", 1)[0], response))
            if not d.is_skipped_url(url):
                yield text, url

    def _embedded(self, response: Response) -> Iterator[tuple[str, str]]:
        """Documents shown in the page: <iframe src>, <embed src>, <object data>, viewers unwrapped."""
        if not isinstance(response, TextResponse):
            return
        for element in response.selector.root.iter("iframe", "embed", "object"):
            source = (element.get("src") or element.get("data") or "").strip()
            if source and not source.startswith(d.PLACEHOLDER_HREFS):
                url = d.viewer_document(_encoded(response.urljoin(source).split("#", 1)[0], response))
                if not d.is_skipped_url(url):
                    yield "", url

    def _allowed(self, agency_id: str, url: str) -> bool:
        """The confinement rule (crawler.confine), the same for links, redirects and the browser."""
        return self.places[agency_id].allows(url)

    async def _confine_page(self, page: Any, request: scrapy.Request) -> None:
        """Chromium asks only the agency's places (crawler.confine): images, scripts, fetch(), frames and
        WebSockets elsewhere (another host, another port on this machine) are stopped before any byte is
        sent. Registered after scrapy-playwright's own route, so it is asked first."""
        allows = self.places[request.meta["agency"]].allows
        stats = self.crawler.stats

        async def route(route: Any, browser_request: Any) -> None:
            if allows(browser_request.url) and await self._public(browser_request.url):
                await route.fallback()
            else:
                stats.inc_value("nianbao/browser_offsite_blocked")
                await route.abort("blockedbyclient")

        async def socket(socket_route: Any) -> None:
            if allows(_http_url(socket_route.url)):
                socket_route.connect_to_server()
            else:
                stats.inc_value("nianbao/browser_offsite_blocked")
                await socket_route.close()

        await page.route("**", route)
        await page.route_web_socket("**", socket)

    async def _public(self, url: str) -> bool:
        """The address check of crawler.addresses for a request of Chromium's (Scrapy's own requests are
        checked by the resolver)."""
        host = urlsplit(url).hostname
        return self.private_addresses or host is None or await addresses.public_name(host, self.public_names)

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


def _anchors(response: TextResponse) -> Iterator[Any]:
    """The page's <a> elements, and those of a Hanweb data island (CDATA records an HTML parser skips)."""
    yield from response.selector.root.iter("a")
    # Entries that are no link: <li onclick="location.href='…'">, <tr onclick="window.open('…')">.
    yield from response.selector.root.xpath("//*[@onclick][not(self::a)][not(.//a[@href])]")
    records = d.datastore_records(response.text)
    if records:
        yield from lxml.html.fragment_fromstring(records, create_parent="div").iter("a")


def _picture_urls(response: Response) -> list[str]:
    """The article's pictures when the page's text lacks the report tables (report.readers.html)."""
    if not isinstance(response, TextResponse) or b"<img" not in response.body and b"<IMG" not in response.body:
        return []
    try:
        return [_encoded(url, response) for url in picture_urls(response.body, response.url)]
    except UnreadableDocument:
        return []


def _missing_picture(agency_id: str, url: str, part_of: tuple[str, int, int]) -> ReportCandidate:
    return ReportCandidate(agency_id, url, b"", {}, part_of=part_of, bundle=True, status=None)


def _nearby_titles(anchor: Any) -> Iterator[str | None]:
    """Title attributes that may hold a cut-short link's whole title: its children's, its parent's, its
    siblings'. Only asked for cut-short titles."""
    for element in anchor.iterdescendants():
        yield element.get("title")
    parent = anchor.getparent()
    if parent is not None:
        yield parent.get("title")
        for sibling in parent:
            if sibling is not anchor:
                yield sibling.get("title")


def _encoded(url: str, response: TextResponse) -> str:
    """Percent-encoded as a browser would: the query in the page's encoding (a GBK site reads
    ?name=年报 as GBK bytes), the path in UTF-8. Scrapy would encode the query as UTF-8."""
    return url if url.isascii() else safe_url_string(url, encoding=response.encoding)


def _unique_urls(links: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One entry per URL (a viewer and a download link, an icon and a text link to one file), with the
    first text that says something."""
    texts: dict[str, str] = {}
    for text, url in links:
        if not texts.get(url):
            texts[url] = text
    return [(text, url) for url, text in texts.items()]


def _is_document(response: Response) -> bool:
    """A document, not a page: binary, sent as an attachment, or typed as a report format."""
    if not isinstance(response, TextResponse):
        return True
    return d.is_document_response(_content_type(response), response.headers.get("Content-Disposition"))


def _content_type(response: Response) -> str | None:
    value = response.headers.get("Content-Type")
    return value.decode("latin-1") if value else None


def _select(response: TextResponse, selector: str | None) -> list[Any]:
    """A per-site override (CSS, or XPath when it starts with / or ( ), as lxml <a> elements."""
    if not selector:
        return []
    found = response.xpath(selector) if selector.startswith(("/", "(")) else response.css(selector)
    return [node.root for el in found for node in ([el] if el.root.tag == "a" else el.css("a"))]


def _http_url(socket_url: str) -> str:
    """ws://host:port/… as http://host:port/… (wss as https): the same place for the confinement rule."""
    for socket_scheme, web_scheme in (("wss://", "https://"), ("ws://", "http://")):
        if socket_url.startswith(socket_scheme):
            return web_scheme + socket_url[len(socket_scheme):]
    return socket_url


_VISIBLE_TEXT = lxml.etree.XPath("//body//text()[not(ancestor::script)][not(ancestor::style)]")


def _visible_text(response: TextResponse) -> str:
    """What a reader sees of a page: its text without scripts and styles (not its URLs: a trap's pages
    differ only in the href of their next link)."""
    # lxml directly: parsel wraps every text node in a Selector of its own (a fifth of a list page's handling).
    return " ".join(_VISIBLE_TEXT(response.selector.root))


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


def _headers(response: Response | scrapy.Request) -> dict[str, str]:
    return {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}


def _exchange(response: Response) -> dict[str, Any]:
    """The status and the request headers as sent (the downloader middlewares set them in place), kept
    as the WARC evidence of the exchange. A rendered page has no single exchange behind its body."""
    if response.meta.get("playwright") or response.request is None:
        return {"status": None, "request_headers": None}
    return {"status": response.status, "request_headers": _headers(response.request)}

