"""What the crawl's store process does: parse candidates, store versions, write the crawl's bookkeeping.

Storage never parses: `store_report` parses here (report.check_bytes) and hands Store.save_version the
result and the year-chain rule. Tests and tools that store a document the way the crawler does call it too.

Runs in one child process (crawler.writer starts it), one job at a time in the order they were sent.
Parsing a report (5-50 ms of Python) and the ORM work of storing it would otherwise hold the crawl
process's GIL and slow every download; here they use the machine's other core. Checks before a
version is stored:
- the same URL with the same bytes as last time: unchanged, not parsed again;
- the same bytes already taken in this crawl (a second URL of one report): skipped;
- the parsed agency must be the configured one (fuzzy): another agency's report is not taken.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from nianbao.crawler.discovery import agency_matches, text_agency
from nianbao.crawler.items import ReportCandidate
from nianbao.report import CheckResult, UnreadableDocument, check_in_budget, read_in_budget
from nianbao.report.check import unread_document
from nianbao.report.limits import Limits
from nianbao.report.model import Report
from nianbao.report.readers.pictures import web_archive
from nianbao.report.titles import classify_title
from nianbao.report.validate import year_chain as year_chain_rule
from nianbao.storage.fetches import header
from nianbao.storage.store import FetchRow, ParsedContent, SaveResult, Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    kind: str  # new_report | new_version | unchanged | duplicate | other_agency | unreadable
    report_id: int | None = None
    year: int | None = None
    url: str = ""  # what was stored (a split report: its article URL + '#attachments')


@dataclass
class _State:
    store: Store
    agency_names: dict[str, str]
    run_id: int | None
    # (agency, sha256) taken in this crawl -> report id (None when it was not a report)
    seen: dict[tuple[str, str], int | None]
    # Links of report pages, written with the next batch (their fetch rows are already written).
    links: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    limits: Limits = field(default_factory=Limits)  # the budget of one document (settings.documents)


_state: _State | None = None


def open_store(database_url: str, blob_dir: str, agency_names: dict[str, str], parent: int,
               limits: Limits | None = None) -> None:
    """The process initializer (`parent`: the crawl process's pid). Ctrl-C reaches the whole process
    group: the crawl process decides when to stop, and this one finishes the jobs already sent."""
    global _state
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True).start()
    _state = _State(Store(database_url, blob_dir, migrate=False), agency_names, None, {}, limits=limits or Limits())


def _exit_with_parent(parent: int, every: float = 1.0) -> None:
    """A crawl process killed with SIGKILL cannot stop this one, which would wait for jobs forever (it
    holds both ends of its job queue). Leaving mid-job is safe: a version is one transaction."""
    while os.getppid() == parent:  # given, not read here: the parent may be gone before this runs
        time.sleep(every)
    os._exit(0)


def _current() -> _State:
    assert _state is not None, "open_store runs first (the pool's initializer)"
    return _state


def set_run(run_id: int) -> None:
    """The crawl run that site errors and versions belong to (known once the crawl process began it)."""
    _current().run_id = run_id


def ready() -> bool:
    """A no-op job: sent first, so that the store process exists before any thread of the crawl does."""
    return _current() is not None


def close() -> None:
    if _state is not None:
        if _state.links:
            _state.store.write_crawl_batch(links=_state.links)
        _state.store.close()


# --- bookkeeping ------------------------------------------------------------------------------------


def write_batch(fetches: list[FetchRow], links: list[tuple[str, dict[str, Any]]], checked: list[str],
                copies: list[tuple[str, str | None, bytes, dict[str, str | None]]]) -> None:
    """The crawl's bookkeeping in one transaction. Kept copies: blobs first, then the rows naming them."""
    store = _current().store
    now = datetime.now(UTC)
    for url, agency_id, body, headers in copies:
        fetches.append(FetchRow(url, agency_id, 200, headers["ETag"], headers["Last-Modified"],
                                headers["Content-Type"], now, sha256=store.blobs.put(body, durable=False)))
    state = _current()
    links, state.links = state.links + links, []
    store.write_crawl_batch(fetches, links, checked, at=now)


def record_revisit(agency_id: str, url: str, sha: str | None, exchange: dict[str, Any],
                   headers: dict[str, str]) -> None:
    """A recrawl that found a stored report unchanged (a 304, or the same bytes): its WARC evidence."""
    if sha is not None:
        _current().store.record_revisit(agency_id, sha, url, status_code=exchange["status"],
                                        request_headers=exchange["request_headers"], response_headers=headers)


def record_site_error(agency_id: str, url: str, kind: str, message: str, status_code: int | None) -> None:
    state = _current()
    state.store.record_site_error(state.run_id, agency_id, url, kind, message, status_code=status_code)


# --- reports ---------------------------------------------------------------------------------------


def save_report(parts: list[ReportCandidate], known: Any) -> Outcome:
    """Store one candidate (or the parts of a split report, joined). `known` is the fetch record of its
    URL as the crawl started."""
    item = parts[0] if len(parts) == 1 and parts[0].part_of is None else _joined(parts)
    outcome = _save(item, known)
    if item.links is not None:  # a page that is the report may lead on (pagination on a start page)
        _current().links.append((item.url, item.links))
    return outcome


def _save(item: ReportCandidate, known: Any) -> Outcome:
    state = _current()
    sha = hashlib.sha256(item.body).hexdigest()
    if known is not None and known.is_report and known.sha256 == sha:
        record_revisit(item.agency_id, item.url, sha, {"status": item.status, "request_headers": item.request_headers},
                       item.headers)
        return Outcome("unchanged", known.report_id, None, item.url)
    if (item.agency_id, sha) in state.seen:
        # The same bytes by a second URL: remember the URL (a recrawl sends it conditionally).
        report_id = state.seen[(item.agency_id, sha)]
        _record_fetch(item, sha, report_id)
        return Outcome("duplicate", report_id, None, item.url)
    verdict, checked, reason = _check_agency(item, state.agency_names[item.agency_id])
    if verdict == "unreadable" and (year := _claimed_year(item)) and not state.store.list_reports([item.agency_id], year):
        return _save_unread(item, sha, year, reason)
    if verdict is not None:
        state.seen[(item.agency_id, sha)] = None
        _record_fetch(item, sha, None)
        return Outcome(verdict, None, None, item.url)
    result = store_report(
        state.store, item.agency_id, item.body, url=item.url, headers=item.headers, fetched_at=datetime.now(UTC),
        title=item.title, run_id=state.run_id, filename=item.filename, year_hint=item.year_hint,
        checked=checked,  # parsed once, above: not parsed again
        status_code=item.status, request_headers=item.request_headers,
    )
    state.seen[(item.agency_id, sha)] = result.report_id
    return Outcome(result.outcome, result.report_id, result.year, item.url)


def _check_agency(item: ReportCandidate, configured: str) -> tuple[str | None, CheckResult | None, str]:
    """('other_agency', _, _) when the document names another agency; ('unreadable', None, why) when it
    cannot be read as a report; (None, parse result, '') to go on."""
    try:
        result = check_in_budget(item.body, item.filename, _current().limits)
    except UnreadableDocument as exc:
        return "unreadable", None, str(exc) or type(exc).__name__
    except Exception:  # a parser bug: store_report records it as a finding, nothing is lost
        log.exception("parser failed on %s", item.url)
        return None, None, ""
    document = getattr(result, "document", None)
    found = result.report.agency or text_agency(getattr(document, "text", "") or "")
    return (None, result, "") if agency_matches(found, configured) else ("other_agency", None, "")


def _claimed_year(item: ReportCandidate) -> int | None:
    """The year of the report the document's link (or article) title says it is; None when the title names
    no report."""
    verdict = classify_title(item.title)
    return (verdict.year or item.year_hint) if verdict.is_report else None


def _save_unread(item: ReportCandidate, sha: str, year: int, reason: str) -> Outcome:
    """A document the agency published as its report for `year` (the title says so) that could not be read
    as one (a scan beyond reading, a damaged or unknown file): while the agency has no report for that year,
    it is that report, kept byte for byte with what could not be read, so that the agency is not taken
    for one that published nothing. A readable version found later becomes the report's next version."""
    state = _current()
    parsed = ParsedContent(findings=[unread_document(reason).to_dict()], year=year, title=item.title)
    result = state.store.save_version(
        item.agency_id, item.body, url=item.url, headers=item.headers, fetched_at=datetime.now(UTC), parsed=parsed,
        year_chain=year_chain, title=item.title, run_id=state.run_id, year_hint=year, status_code=item.status,
        request_headers=item.request_headers)
    state.seen[(item.agency_id, sha)] = result.report_id
    return Outcome(result.outcome, result.report_id, result.year, item.url)


def _record_fetch(item: ReportCandidate, sha: str, report_id: int | None) -> None:
    headers = item.headers
    _current().store.write_crawl_batch([FetchRow(
        item.url, item.agency_id, 200, header(headers, "etag"), header(headers, "last-modified"),
        header(headers, "content-type"),
        datetime.now(UTC), sha256=sha, is_report=report_id is not None, report_id=report_id,
    )])


def _joined(parts: list[ReportCandidate]) -> ReportCandidate:
    """One candidate from the parts of a report split over several attachments, texts in page order."""
    first = parts[0]
    assert first.part_of is not None
    if first.bundle:
        return _bundled(parts)
    texts = []
    for part in parts:
        try:  # each part within one document's budget, as the joined whole is checked after
            texts.append(read_in_budget(part.body, part.filename, _current().limits).text)
        except UnreadableDocument as exc:
            log.warning("part %s of %s unreadable: %s", part.url, first.part_of[0], exc)
    urls = " ".join(part.url for part in parts)
    return ReportCandidate(first.agency_id, f"{first.part_of[0]}#attachments", "\n".join(texts).encode("utf-8"),
                           {"Content-Type": "text/plain; charset=utf-8", "X-Nianbao-Parts": urls},
                           title=first.title, filename="report.txt", year_hint=first.year_hint,
                           status=None)  # joined here, by no single exchange: a WARC resource record


def _bundled(parts: list[ReportCandidate]) -> ReportCandidate:
    """A report page (part 0) and the pictures of its article as one web archive (report.readers.pictures),
    stored as the page's version: the reader reads the pictures in their places. Written the same for the
    same page and pictures, so an unchanged page stays one version. A picture that could not be had has an
    empty part: left out (the report says so). Made here, by no single exchange: a WARC resource record."""
    page = parts[0]
    pictures = [(part.url, part.body, header(part.headers, "content-type")) for part in parts[1:] if part.body]
    body = web_archive(page.body, page.url, pictures, _current().limits.max_bytes)
    headers = {key: value for key, value in page.headers.items() if key.lower() != "content-type"}
    headers["Content-Type"] = 'multipart/related; type="text/html"'
    return ReportCandidate(page.agency_id, page.url, body, headers, title=page.title, filename=page.filename,
                           year_hint=page.year_hint, links=page.links, status=None)


# --- parsing for the Store -------------------------------------------------------------------------


def store_report(
    store: Store,
    agency_id: str,
    content: bytes,
    *,
    url: str,
    headers: Mapping[Any, Any] | None,
    fetched_at: datetime,
    title: str | None = None,
    run_id: int | None = None,
    filename: str | None = None,
    year_hint: int | None = None,
    checked: CheckResult | None = None,
    status_code: int | None = None,
    request_headers: Mapping[Any, Any] | None = None,
) -> SaveResult:
    """Store.save_version with this build's parser and year-chain rule. `checked` is the caller's parse of
    these same bytes when it has one; otherwise they are parsed only if the agency does not have them yet."""
    name = filename or _filename_from_url(url)
    return store.save_version(
        agency_id, content, url=url, headers=headers, fetched_at=fetched_at,
        parsed=lambda: parse_content(content, name, checked), year_chain=year_chain,
        title=title, run_id=run_id, year_hint=year_hint, status_code=status_code, request_headers=request_headers,
    )


def parse_content(content: bytes, filename: str | None, checked: CheckResult | None = None) -> ParsedContent:
    """Parse and validate `content` for the Store (or take `checked`, the parse already made)."""
    try:
        limits = _state.limits if _state is not None else None
        result = checked if checked is not None else check_in_budget(content, filename, limits)
    except UnreadableDocument as exc:
        return ParsedContent(unreadable=str(exc) or type(exc).__name__)
    except Exception as exc:  # a parser bug must not lose the bytes: keep them without a model
        log.exception("parser failed on %s", filename)
        finding = {"rule": "parser", "severity": "warning", "message": f"the parser failed: {type(exc).__name__}: {exc}",
                   "location": None, "expected": None, "actual": None}
        return ParsedContent(findings=[finding])
    report, document = result.report, result.document
    return ParsedContent(
        model=report.to_dict(),
        findings=[f.to_dict() for f in result.findings],
        year=report.year,
        title=report.title or getattr(document, "page_title", None),
        source_format=getattr(document, "source_format", None),
        published_date=_iso_date(report.published_date or getattr(document, "page_date", None)),
    )


def year_chain(previous: dict[str, Any], current: dict[str, Any]) -> list[dict[str, Any]]:
    """report.validate.year_chain on two stored models (the rule Store.save_version applies)."""
    return [f.to_dict() for f in year_chain_rule(Report.from_dict(previous), Report.from_dict(current))]


def _iso_date(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _filename_from_url(url: str) -> str | None:
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return name or None
