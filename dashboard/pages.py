"""One context per page, as Datasette does: a builder turns the request's parameters into plain data (dicts
and lists from `queries`, with the Chinese labels the page shows), and that one context is rendered twice:

- the HTML page renders its template from it (plus `extras`, drawing aids derived from the context alone:
  chart geometry, the printed-table layout);
- the same path with `.json` appended (and the /api/... endpoint) returns it as JSON.

So the page and its JSON cannot disagree: there is nothing else to read.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from nianbao.dashboard import benchmarks as B
from nianbao.dashboard import queries as Q
from nianbao.dashboard import tables
from nianbao.dashboard.auth import current_user
from nianbao.dashboard.context import Dashboard, int_param, json_response, read_only
from nianbao.dashboard.digests import digest_log
from nianbao.monitor.peers import Agency, departments_check
from nianbao.monitor.schedule import next_crawl
from nianbao.monitor.status import failure_name
from nianbao.report import printed as L
from nianbao.report.diff import figure_changes
from nianbao.report.grouping import group_findings
from nianbao.report.pdfpage import table_page
from nianbao.report.printed import location_name
from nianbao.report.reflow import paragraphs
from nianbao.storage.blobs import BlobError
from nianbao.storage.evidence import load_captures
from nianbao.storage.rechecks import request_state

Context = dict[str, Any]


@dataclass(frozen=True)
class Ask:
    """What a page is asked for: query and path parameters, read through one session on one calendar day."""

    session: Session
    query: Mapping[str, str]
    path: Mapping[str, Any]
    today: dt.date
    dash: Dashboard | None = None  # for the few pages that read a stored blob or the settings
    due: Any = None  # the configured due-day rule (settings deadlines.due)

    @classmethod
    def of(cls, request: Request, dash: Dashboard, session: Session) -> Ask:
        return cls(session, request.query_params, request.path_params, dash.today(), dash,
                   dash.settings.deadlines.due)

    def year(self) -> int | None:
        """The year asked for; else the latest year whose reports are due (report.deadlines.latest_due_year)."""
        year = int_param(self.query.get("year"))
        return year if year is not None else Q.default_year(self.session, self.today, self.due)


# --- labels: the words the page shows travel in the context, so the JSON carries them too ---------------


def status_row(row: Mapping[str, Any]) -> Context:
    """A rollup row (one agency, one year) with its status and level in words."""
    return {**row, "status_label": L.label(L.STATUS_LABELS, row["status"]),
            "level_label": L.label(L.LEVEL_LABELS, row.get("level"))}


def finding_row(row: Mapping[str, Any]) -> Context:
    """A finding with its rule, severity and review in words, and the printed name of the cell it is about."""
    location = row.get("location")
    return {**row, "rule_label": L.label(L.RULE_LABELS, row["rule"]),
            "severity_label": L.label(L.SEVERITY_LABELS, row["severity"]),
            "review_label": L.label(L.REVIEW_LABELS, row["review"]),
            "cell_name": location_name(location) if location else None}


def agency_info(agency: Mapping[str, Any]) -> Context:
    return {**agency, "level_label": L.label(L.LEVEL_LABELS, agency["level"]),
            "kind_label": L.label(L.KIND_LABELS, agency["kind"])}


def group_rows(rows: list[dict[str, Any]], by: str) -> list[Context]:
    """Status counts per region or level, each with the name the page prints for it."""
    if by == "level":
        return [{**r, "label": L.label(L.LEVEL_LABELS, r["key"]) or "—"} for r in rows]
    return [{**r, "label": r["key"] or "（未填地区）"} for r in rows]


def not_found(detail: str) -> HTTPException:
    return HTTPException(404, detail)


# --- the pages --------------------------------------------------------------------------------------------


# The worst regions the overview charts; the regions page lists them all. A national registry has ~3,000
# regions, and labelling every one on each request was the larger part of the cached overview's time.
OVERVIEW_REGIONS = 12


def overview(ask: Ask) -> Context:
    year = ask.year()
    # Q.overview is cached: the label helpers copy its rows, never change them.
    data = Q.overview(ask.session, year) if year is not None else None
    return {
        "year": year, "years": Q.years(ask.session), "today": ask.today, "last_crawl": Q.last_crawl(ask.session),
        "totals": data["totals"] if data else None,
        "regions": group_rows(data["regions"][:OVERVIEW_REGIONS], "region") if data else [],
        "levels": group_rows(data["levels"], "level") if data else [],
        "worst": [status_row(r) for r in data["worst"]] if data else [],
    }


def overview_chart(context: Context) -> Context:
    """Stacked bars (share of each status) for the worst regions (the overview's), drawn server-side as SVG."""
    bars = []
    for row in context["regions"]:
        x = 0.0
        segments = []
        for status in L.STATUS_ORDER:
            share = row["counts"].get(status, 0) / row["total"] if row["total"] else 0
            if share > 0:
                segments.append({"status": status, "x": x * 100, "w": share * 100, "n": row["counts"][status]})
            x += share
        bars.append({"key": row["key"], "label": row["label"], "segments": segments, "total": row["total"]})
    return {"chart": {"bars": bars, "height": 28 * len(bars) + 8}}


def regions(ask: Ask) -> Context:
    """Status counts per region (per level with by=level), worst first."""
    year = ask.year()
    by = "level" if ask.query.get("by") == "level" else "region"
    rows = Q.overview(ask.session, year)[f"{by}s"] if year is not None else []
    # A page at a time, worst first: a national registry has ~3,000 county-level regions, and drawing
    # them all took ~1 s (the export still lists every one).
    pages = max(1, -(-len(rows) // Q.PAGE_SIZE))
    page = min(pages, max(1, Q.ListFilters.from_params(ask.query).page))
    shown = rows[(page - 1) * Q.PAGE_SIZE:page * Q.PAGE_SIZE]
    return {"year": year, "years": Q.years(ask.session), "by": by, "rows": group_rows(shown, by),
            "total": len(rows), "page": page, "pages": pages}


def agencies(ask: Ask) -> Context:
    f = Q.ListFilters.from_params(ask.query)
    f.year = f.year or ask.year()
    result = Q.agency_rows(ask.session, f)
    return {"year": f.year, "filters": f, **result, "rows": [status_row(r) for r in result["rows"]],
            "years": Q.years(ask.session), "options": Q.filter_options(ask.session)}


def agency(ask: Ask) -> Context:
    data = Q.agency_page(ask.session, ask.path["agency_id"])
    if data is None:
        raise not_found("没有这个机关。")
    reports = [{**r, "findings": [finding_row(f) for f in r["findings"]]} for r in data["reports"]]
    # Site errors named in Chinese (连接被拒绝, 超时…); the raw English detail stays for the tooltip.
    errors = [{**e, "kind_label": failure_name(e["kind"], e["message"], e["status_code"])} for e in data["site_errors"]]
    return {**data, "agency": agency_info(data["agency"]), "years": [status_row(y) for y in data["years"]],
            "reports": reports, "checks": checks(ask, data["agency"]["id"]), "message": ask.query.get("recheck"),
            "site_errors": errors}


def checks(ask: Ask, agency_id: str) -> Context:
    """When the site was last tried, when the schedule tries it next, and a queued "recheck now"."""
    now = dt.datetime.now(dt.UTC)
    scheduled = next_crawl(ask.dash.settings.schedule, now) if ask.dash is not None else None
    recheck = request_state(ask.session, agency_id)
    if recheck is not None:
        recheck = {**recheck, "label": RECHECK_LABELS[recheck["state"]]}
    return {"last": Q.last_checked(ask.session, agency_id), "next": scheduled, "recheck": recheck}


RECHECK_LABELS = {"queued": "已排队，一分钟内开始检查", "running": "正在检查"}


def report(ask: Ask) -> Context:
    """One report at one version (`v`, or `version` as the API always named it; default the newest)."""
    number = int_param(ask.query.get("v")) or int_param(ask.query.get("version"))
    data = Q.report_page(ask.session, ask.path["report_id"], number)
    if data is None:
        raise not_found("没有这份报告。")
    version = data["version"]
    return {**data, "agency": agency_info(data["agency"]),
            "status": status_row(data["status"]) if data["status"] else None,
            "findings": [finding_row(f) for f in data["findings"]],
            "changes": changes_since_previous(ask.session, data["report"]["id"], version["number"], data["model"]),
            "text_parts": text_parts(data["model"]),
            "original": original_view(version, ask.dash),
            "peers": report_peers(ask, data)}


def changes_since_previous(session: Session, report_id: int, number: int, model: Mapping[str, Any]) -> Context:
    """The cells of this version that differ from the version before it (none for a first version)."""
    previous = Q.previous_model(session, report_id, number)
    if previous is None:
        return {"previous": None, "cells": []}
    cells = [{**c.to_dict(), "cell_name": location_name(c.location)} for c in figure_changes(previous, dict(model))
             if "." in c.location]
    return {"previous": number - 1, "cells": cells}


TEXT_PARTS = ("summary_text", "problems_text", "other_text")


def text_parts(model: Mapping[str, Any]) -> list[Context]:
    """Parts 一, 五 and 六 as paragraphs (a PDF's line breaks every ~35 characters joined back)."""
    return [{"key": key, "title": L.TEXT_PART_LABELS[key], "paragraphs": paragraphs(model.get(key))}
            for key in TEXT_PARTS]


# How the stored original is shown beside the parsed tables: the browser's PDF viewer, the page in a sandboxed
# frame, the extracted text; every other format only as a download.
FRAMED_FORMATS = {"pdf": "pdf", "html": "html", "htm": "html", "txt": "text", "text": "text", "docx": "text"}


def original_view(version: Mapping[str, Any], dash: Dashboard | None) -> Context:
    kind = FRAMED_FORMATS.get(version.get("source_format") or "", "download")
    src = f"/versions/{version['id']}/view" if kind != "download" else None
    page = _table_page(dash, version["sha256"]) if kind == "pdf" and dash is not None else None
    return {"kind": kind, "src": f"{src}#page={page}" if src and page else src, "page": page,
            "download": f"/versions/{version['id']}/original"}


_PAGE_CACHE: dict[str, int | None] = {}


def _table_page(dash: Dashboard, sha256: str) -> int | None:
    """The page of part 三's table in a stored PDF (read once per blob: blobs never change)."""
    if sha256 not in _PAGE_CACHE:
        if len(_PAGE_CACHE) > 4096:
            _PAGE_CACHE.clear()
        try:
            _PAGE_CACHE[sha256] = table_page(dash.store.blobs.get(sha256))
        except (OSError, BlobError):  # a blob missing from the folder: the frame still opens at page 1
            return None
    return _PAGE_CACHE[sha256]


def report_peers(ask: Ask, data: Mapping[str, Any]) -> Context | None:
    """A people's government's report against its departments' latest reports of the year (missing
    departments named); None for a department's report or a government without registered departments."""
    agency = data["agency"]
    if agency["kind"] != "government":
        return None
    government = Agency(agency["id"], agency["name"], agency["region"], agency["kind"])
    assert ask.dash is not None
    found = departments_check(ask.dash.store, government, data["report"]["year"], data["model"] or None)
    if found is None:
        return None
    return {"departments": found.departments,
            "findings": [finding_row({**f.to_dict(), "review": None}) for f in found.findings]}


def report_tables(context: Context) -> Context:
    """The stored model laid out as the printed tables, findings pinned to their cells, cells changed since
    the previous version marked."""
    changed = {c["location"]: c["old"] for c in context["changes"]["cells"]}
    return {"tables": tables.layout(context["model"], context["findings"], changed)}


def diff(ask: Ask) -> Context:
    """Versions a and b of a report (default: the one before the newest, and the newest) side by side."""
    report_id = ask.path["report_id"]
    data = Q.report_page(ask.session, report_id)
    if data is None:
        raise not_found("没有这份报告。")
    numbers = [v["number"] for v in data["versions"]]
    a = int_param(ask.query.get("a")) or (numbers[1] if len(numbers) > 1 else numbers[0])
    b = int_param(ask.query.get("b")) or numbers[0]
    changes = Q.version_diff(ask.session, report_id, a, b)
    if changes is None:
        raise not_found("没有这个版本。")
    figures = [{**c, "cell_name": location_name(c["location"])} for c in changes["figures"]]
    return {"report": data["report"], "agency": agency_info(data["agency"]), "versions": data["versions"],
            "a": a, "b": b, "figures": figures, "text": text_diff(changes["old"], changes["new"]),
            "model": changes["new"]}


def diff_tables(context: Context) -> Context:
    """Version b's tables with the cells that differ from version a marked."""
    changed = {c["location"]: c["old"] for c in context["figures"] if "." in c["location"]}
    return {"tables": tables.layout(context["model"], [], changed)}


def text_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Context]:
    """Side-by-side rows per text part: (kind, left, right) with kind equal/replace/delete/insert."""
    parts = []
    for key in ("summary_text", "problems_text", "other_text"):
        left, right = (old.get(key) or "").splitlines(), (new.get(key) or "").splitlines()
        rows = []
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, left, right, autojunk=False).get_opcodes():
            for k in range(max(i2 - i1, j2 - j1)):
                rows.append({"kind": tag, "left": left[i1 + k] if i1 + k < i2 else "",
                             "right": right[j1 + k] if j1 + k < j2 else ""})
        parts.append({"title": L.TEXT_PART_LABELS[key], "rows": rows,
                      "changed": any(r["kind"] != "equal" for r in rows)})
    return parts


def finding_groups(rows: list[Context]) -> list[Context]:
    """The page's findings one per fact (report.grouping): each group is its first row with the group's
    message, every cell it involves and the ids of all its rows (a review applies to all of them)."""
    out = []
    for group in group_findings(rows):
        first = group.members[0]
        out.append({**first, "message": group.message, "count": group.count, "ids": [m["id"] for m in group.members],
                    "rule_labels": [L.label(L.RULE_LABELS, r) for r in group.rules],
                    "cell_names": [location_name(loc) for loc in group.locations]})
    return out


def findings(ask: Ask) -> Context:
    f = Q.ListFilters.from_params(ask.query)  # no year given: every year
    result = Q.finding_rows(ask.session, f)
    rows = [finding_row(r) for r in result["rows"]]
    return {"filters": f, **result, "rows": rows, "groups": finding_groups(rows),
            "years": Q.years(ask.session), "options": Q.filter_options(ask.session),
            "message": ask.query.get("done")}


def search(ask: Ask) -> Context:
    """Agencies by name and reports by title (the search box in the header)."""
    q = (ask.query.get("q") or "").strip()
    empty: Context = {"agencies": [], "reports": [], "limit": Q.SEARCH_LIMIT}
    found = Q.search(ask.session, q) if q else empty
    return {"q": q, "agencies": [agency_info(a) for a in found["agencies"]], "reports": found["reports"],
            "limit": found["limit"]}


def digests(ask: Ask) -> Context:
    """The outbox: each digest sent, waiting or refused by the mail server (reviewers only)."""
    assert ask.dash is not None
    return digest_log(ask.session, ask.dash.settings.clock.zone)


CAPTURE_LABELS = {"response": "下载（请求与响应）", "revisit": "复查：内容相同", "not_modified": "复查：未修改（304）",
                  "resource": "合并或导入的文件（无单一请求）"}


def evidence(ask: Ask) -> Context:
    """Every HTTP exchange behind a report's versions (storage/evidence.py), and its WARC download."""
    report_id = ask.path["report_id"]
    data = Q.report_page(ask.session, report_id)
    if data is None:
        raise not_found("没有这份报告。")
    captures = [{**asdict(c), "kind_label": CAPTURE_LABELS.get(c.kind, c.kind)}
                for c in load_captures(ask.session, report_id=report_id)]
    return {"report": data["report"], "agency": agency_info(data["agency"]), "captures": captures,
            "warc": f"/reports/{report_id}/evidence.warc.gz", "wacz": f"/reports/{report_id}/evidence.wacz",
            "agency_warc": f"/agencies/{data['agency']['id']}/evidence.warc.gz"}


def benchmarks(ask: Ask) -> Context:
    """横向对比: a region's agencies on six rates, quartiles, percentiles, trend, warnings (dashboard/benchmarks.py)."""
    assert ask.dash is not None
    return B.build(ask.session, ask.query, ask.year(), ask.dash.settings.benchmarks)


# --- one page, two renderings -----------------------------------------------------------------------------


def _no_extras(context: Context) -> Context:
    return {}


@dataclass(frozen=True)
class Page:
    """A page: its path (the JSON twin is path + ".json", the API endpoint "/api" + path), its template,
    the builder of its context and the HTML-only drawing aids derived from that context."""

    name: str
    path: str
    template: str
    build: Callable[[Ask], Context]
    extras: Callable[[Context], Context] = field(default=_no_extras)
    reviewer_only: bool = False

    def _allowed(self, request: Request) -> None:
        user = current_user(request)
        if self.reviewer_only and not (user and user.can_review):
            raise HTTPException(403, "只有审核员可以查看此页面。")

    def html(self) -> Callable[[Request], Awaitable[Response]]:
        def handler(request: Request, dash: Dashboard, session: Session) -> Response:
            self._allowed(request)
            context = self.build(Ask.of(request, dash, session))
            return dash.render(request, self.template, {**context, **self.extras(context)})

        return read_only(handler)

    def json(self) -> Callable[[Request], Awaitable[Response]]:
        def handler(request: Request, dash: Dashboard, session: Session) -> Response:
            self._allowed(request)
            return json_response(self.build(Ask.of(request, dash, session)))

        return read_only(handler)


PAGES: tuple[Page, ...] = (
    Page("overview", "/overview", "overview.html", overview, overview_chart),
    Page("regions", "/regions", "regions.html", regions),
    Page("agencies", "/agencies", "agencies.html", agencies),
    Page("agency", "/agencies/{agency_id}", "agency.html", agency),
    Page("report", "/reports/{report_id:int}", "report.html", report, report_tables),
    Page("diff", "/reports/{report_id:int}/diff", "diff.html", diff, diff_tables),
    Page("findings", "/findings", "findings.html", findings),
    Page("search", "/search", "search.html", search),
    Page("digests", "/digests", "digests.html", digests, reviewer_only=True),
    Page("evidence", "/reports/{report_id:int}/evidence", "evidence.html", evidence),
    Page("benchmarks", "/benchmarks", "benchmarks.html", benchmarks, B.charts),
)
