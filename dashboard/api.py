"""The JSON API: /api/<page> serves each page's context (pages.PAGES, the builder its HTML and `.json` twin
use), the review action, and an OpenAPI 3.1 description at /api/openapi.json.

Authentication is the dashboard session (log in at /login); the review endpoint also needs the session's
CSRF token in the X-CSRF-Token header, like every form.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from nianbao.dashboard.auth import CSRF_HEADER, check_csrf, require_reviewer
from nianbao.dashboard.context import dashboard_of, json_response, require_user
from nianbao.dashboard.pages import PAGES
from nianbao.dashboard.routes import record_review


async def api_review(request: Request) -> Response:
    check_csrf(request, request.headers.get(CSRF_HEADER))
    user = require_user(request)
    require_reviewer(request)
    try:
        body = await request.json()
    except ValueError as exc:
        raise HTTPException(400, "请求体须为 JSON。") from exc
    if not isinstance(body, dict):
        raise HTTPException(400, "请求体须为 JSON 对象。")
    result = await run_in_threadpool(record_review, dashboard_of(request), user,
                                     request.path_params["finding_id"], str(body.get("action", "")),
                                     str(body.get("note", "") or ""))
    return json_response(result, status_code=201)


# --- OpenAPI ----------------------------------------------------------------------------------------------

_FILTERS = [
    ("year", "integer", "Report year (default: the latest year whose reports are due)"),
    ("region", "string", "Exact region"),
    ("level", "string", "Exact level (province, city, county)"),
    ("status", "string", "on_time | late | missing | unreachable | unchecked | not_due | not_owed | inconsistent | unread"),
    ("rule", "string", "Only agencies/findings with this validation rule"),
    ("q", "string", "Search in agency names"),
    ("sort", "string", "Sort column, '-' before it for descending (agencies: name, region, level, status, "
     "published, due, versions, errors, late; findings: agency, region, year, rule, severity, review, reviewed)"),
    ("page", "integer", "Page number, 50 rows a page"),
]
_YEAR = [("year", "integer", "Report year")]

# What each page's JSON (/api/<path> and <path>.json) is: summary, query parameters, response schema.
PAGE_DOCS: dict[str, tuple[str, list[tuple[str, str, str]], str]] = {
    "overview": ("Counts and rates for a year, by level and for the 12 worst regions (every region: /api/regions); "
                 "worst offenders", _YEAR, "Overview"),
    "regions": ("Status counts per region (or per level with by=level)",
                _YEAR + [("by", "string", "region | level")], "Grouped"),
    "agencies": ("Agencies with their status for a year, filtered, worst first", _FILTERS, "AgencyPage"),
    "agency": ("One agency: status per year, reports, versions, findings", [], "Object"),
    "report": ("One report: versions, the model of a version, its findings",
               [("version", "integer", "Version number (default latest)"), ("v", "integer", "Same as version")],
               "Object"),
    "diff": ("Changed figures and text between versions a and b",
             [("a", "integer", "Older version number (default: the one before the newest)"),
              ("b", "integer", "Newer version number (default: the newest)")], "Diff"),
    "evidence": ("Every HTTP exchange behind a report's versions (time, URL, status, SHA-256) and its WARC", [],
                 "Object"),
    "benchmarks": ("Rates of a region's agencies (予以公开率 … 结转率) with quartiles, percentiles, trend, warnings; "
                   "without region every region's medians",
                   _YEAR + [("region", "string", "Region as stored (e.g. 广东省/广州市); none: every region"),
                            ("page", "integer", "Page number, 50 agencies a page")], "Object"),
    "findings": ("Findings of the latest versions, filtered",
                 _FILTERS + [("severity", "string", "error | warning"),
                             ("review", "string", "open | acknowledged | false_positive")], "FindingPage"),
    "search": ("Agencies whose name and reports whose title contain q (at most 50 of each)",
               [("q", "string", "Text to look for (case-insensitive; % and _ are taken literally)")], "Object"),
    "digests": ("Weekly digests in the outbox: sent, pending or refused by the mail server (reviewer role)",
                [], "Object"),
}
_PATH_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


def _params(names: list[tuple[str, str, str]], path: str = "") -> list[dict[str, Any]]:
    params = [{"name": n, "in": "query", "required": False, "description": d, "schema": {"type": t}}
              for n, t, d in names]
    params += [{"name": name, "in": "path", "required": True,
                "schema": {"type": "integer" if convertor == "int" else "string"}}
               for name, convertor in _PATH_PARAM.findall(path)]
    return params


def _get(summary: str, params: list[dict[str, Any]], schema: str) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": params, "responses": {
        "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}},
        "401": {"description": "Not logged in"}, "404": {"description": "Not found"}}}}


def page_paths() -> dict[str, Any]:
    """Every page's JSON, twice: under /api and as the page's `.json` twin (one builder serves both)."""
    paths: dict[str, Any] = {}
    for page in PAGES:
        summary, query, schema = PAGE_DOCS[page.name]
        operation = _get(summary, _params(query, page.path), schema)
        plain = _PATH_PARAM.sub(r"{\1}", page.path)  # OpenAPI writes {report_id}, Starlette {report_id:int}
        paths["/api" + plain] = operation
        paths[plain + ".json"] = operation
    return paths


_REVIEW = {"post": {
    "summary": "Acknowledge a finding or mark it a false positive (reviewer role)",
    "parameters": _params([], "/api/findings/{finding_id:int}/review") + [
        {"name": "X-CSRF-Token", "in": "header", "required": True, "schema": {"type": "string"}}],
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["action"], "properties": {
            "action": {"type": "string", "enum": ["acknowledged", "false_positive"]},
            "note": {"type": "string"}}}}}},
    "responses": {"201": {"description": "Recorded"}, "400": {"description": "Bad action or note"},
                  "401": {"description": "Not logged in"},
                  "403": {"description": "Missing CSRF token or not a reviewer"}}}}


def _schemas() -> dict[str, Any]:
    counts = {"type": "object", "properties": {
        "key": {"type": "string"}, "label": {"type": "string"},
        "total": {"type": "integer"}, "due": {"type": "integer"}, "published": {"type": "integer"},
        "inconsistent": {"type": "integer"}, "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "rates": {"type": "object", "additionalProperties": {"type": "number"}}}}
    agency_row = {"type": "object", "properties": {k: {"type": t} for k, t in (
        ("agency_id", "string"), ("name", "string"), ("region", "string"), ("level", "string"), ("kind", "string"),
        ("year", "integer"), ("status", "string"), ("inconsistent", "boolean"), ("report_id", "integer"),
        ("published_date", "string"), ("due", "string"), ("days_late", "integer"), ("open_errors", "integer"),
        ("error_count", "integer"), ("warning_count", "integer"), ("version_count", "integer"), ("title", "string"),
        ("status_label", "string"), ("level_label", "string"))}}
    finding_row = {"type": "object", "properties": {k: {"type": t} for k, t in (
        ("id", "integer"), ("rule", "string"), ("severity", "string"), ("message", "string"), ("location", "string"),
        ("agency_id", "string"), ("name", "string"), ("year", "integer"), ("report_id", "integer"),
        ("review", "string"), ("review_note", "string"), ("review_at", "string"), ("rule_label", "string"),
        ("severity_label", "string"), ("review_label", "string"), ("cell_name", "string"))}}

    def paged(item: str) -> dict[str, Any]:
        return {"type": "object", "properties": {"rows": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
                "total": {"type": "integer"}, "page": {"type": "integer"}, "pages": {"type": "integer"}}}

    return {
        "Overview": {"type": "object", "properties": {"year": {"type": "integer"}, "totals": counts,
                     "years": {"type": "array", "items": {"type": "integer"}}, "today": {"type": "string"},
                     "regions": {"type": "array", "items": counts}, "levels": {"type": "array", "items": counts},
                     "worst": {"type": "array", "items": {"$ref": "#/components/schemas/Agency"}}}},
        "Grouped": {"type": "object", "properties": {"year": {"type": "integer"}, "by": {"type": "string"},
                    "rows": {"type": "array", "items": counts}}},
        "Diff": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"},
                 "figures": {"type": "array", "items": {"type": "object"}},
                 "text": {"type": "array", "items": {"type": "object"}}}},
        "Agency": agency_row, "Finding": finding_row,
        "AgencyPage": paged("Agency"), "FindingPage": paged("Finding"), "Object": {"type": "object"},
    }


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "nianbao dashboard API", "version": "1",
                 "description": "Compliance of agencies with publishing their 政府信息公开工作年度报告. "
                                "Log in at /login; the session cookie authenticates the API. Every page "
                                "also answers as JSON at its own path with .json appended (e.g. "
                                "/agencies/{agency_id}.json): the same data the page shows, labels included."},
        "paths": {**page_paths(), "/api/findings/{finding_id}/review": _REVIEW},
        "components": {"schemas": _schemas()},
    }


async def api_openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


def routes() -> list[BaseRoute]:
    """/api/<page path> for every page (its context as JSON), the review action and the OpenAPI document."""
    pages: list[BaseRoute] = [Route("/api" + page.path, page.json(), name="api-" + page.name) for page in PAGES]
    return [
        Route("/api/openapi.json", api_openapi),
        *pages,
        Route("/api/findings/{finding_id:int}/review", api_review, methods=["POST"]),
    ]
