"""The JSON API: the same queries as the pages, plus an OpenAPI 3.1 description at /api/openapi.json.

Authentication is the dashboard session (log in at /login); the review endpoint also needs the session's
CSRF token in the X-CSRF-Token header, like every form.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nianbao.dashboard import queries as Q
from nianbao.dashboard.app import Dashboard
from nianbao.dashboard.auth import CSRF_HEADER, check_csrf, require_reviewer
from nianbao.dashboard.routes import _int, _user, _year, page, record_review
from nianbao.monitor import rollup


def _json(data: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(Q.jsonable(data), status_code=status_code)


@page
def api_overview(request: Request, dash: Dashboard, session: Any) -> Response:
    year = _year(request, session)
    if year is None:
        return _json({"year": None, "years": []})
    return _json({**Q.overview(session, year), "years": Q.years(session)})


@page
def api_regions(request: Request, dash: Dashboard, session: Any) -> Response:
    year = _year(request, session)
    column = rollup.status_table.c.level if request.query_params.get("by") == "level" else rollup.status_table.c.region
    return _json({"year": year, "rows": Q.grouped(session, year, column) if year else []})


@page
def api_agencies(request: Request, dash: Dashboard, session: Any) -> Response:
    f = Q.ListFilters.from_params(request.query_params)
    f.year = f.year or Q.default_year(session)
    return _json({"year": f.year, **Q.agency_rows(session, f)})


@page
def api_agency(request: Request, dash: Dashboard, session: Any) -> Response:
    data = Q.agency_page(session, request.path_params["agency_id"])
    if data is None:
        raise HTTPException(404, "no such agency")
    return _json(data)


@page
def api_report(request: Request, dash: Dashboard, session: Any) -> Response:
    data = Q.report_page(session, request.path_params["report_id"], _int(request.query_params.get("version")))
    if data is None:
        raise HTTPException(404, "no such report")
    return _json(data)


@page
def api_diff(request: Request, dash: Dashboard, session: Any) -> Response:
    a, b = _int(request.query_params.get("a")), _int(request.query_params.get("b"))
    diff = Q.version_diff(session, request.path_params["report_id"], a or 0, b or 0)
    if diff is None:
        raise HTTPException(404, "no such versions")
    return _json({"a": a, "b": b, "figures": diff["figures"]})


@page
def api_findings(request: Request, dash: Dashboard, session: Any) -> Response:
    f = Q.ListFilters.from_params(request.query_params)
    return _json(Q.finding_rows(session, f))


async def api_review(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    check_csrf(request, request.headers.get(CSRF_HEADER))
    user = _user(request)
    require_reviewer(request)
    try:
        body = await request.json()
    except ValueError as exc:
        raise HTTPException(400, "body must be JSON") from exc
    if not isinstance(body, dict):
        raise HTTPException(400, "body must be a JSON object")
    result = await run_in_threadpool(record_review, request.app.state.dashboard, user,
                                     request.path_params["finding_id"], str(body.get("action", "")),
                                     str(body.get("note", "") or ""))
    return _json(result, status_code=201)


# --- OpenAPI ----------------------------------------------------------------------------------------------

_FILTERS = [
    ("year", "integer", "Report year (default: the latest year whose reports are due)"),
    ("region", "string", "Exact region"),
    ("level", "string", "Exact level (province, city, county)"),
    ("status", "string", "on_time | late | missing | unreachable | not_due | inconsistent"),
    ("rule", "string", "Only agencies/findings with this validation rule"),
    ("q", "string", "Search in agency names"),
    ("page", "integer", "Page number, 50 rows a page"),
]


def _params(names: list[tuple[str, str, str]], path: list[str] | None = None) -> list[dict[str, Any]]:
    params = [{"name": n, "in": "query", "required": False, "description": d, "schema": {"type": t}}
              for n, t, d in names]
    params += [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in path or []]
    return params


def _get(summary: str, params: list[dict[str, Any]], schema: str) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": params, "responses": {
        "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}},
        "401": {"description": "Not logged in"}, "404": {"description": "Not found"}}}}


def openapi_document() -> dict[str, Any]:
    obj = {"type": "object"}
    counts = {"type": "object", "properties": {
        "total": {"type": "integer"}, "due": {"type": "integer"}, "published": {"type": "integer"},
        "inconsistent": {"type": "integer"}, "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "rates": {"type": "object", "additionalProperties": {"type": "number"}}}}
    agency_row = {"type": "object", "properties": {k: {"type": t} for k, t in (
        ("agency_id", "string"), ("name", "string"), ("region", "string"), ("level", "string"), ("kind", "string"),
        ("year", "integer"), ("status", "string"), ("inconsistent", "boolean"), ("report_id", "integer"),
        ("published_date", "string"), ("due", "string"), ("days_late", "integer"), ("open_errors", "integer"),
        ("error_count", "integer"), ("warning_count", "integer"), ("version_count", "integer"), ("title", "string"))}}
    finding_row = {"type": "object", "properties": {k: {"type": t} for k, t in (
        ("id", "integer"), ("rule", "string"), ("severity", "string"), ("message", "string"), ("location", "string"),
        ("agency_id", "string"), ("name", "string"), ("year", "integer"), ("report_id", "integer"),
        ("review", "string"), ("review_note", "string"), ("review_at", "string"))}}

    def paged(item: str) -> dict[str, Any]:
        return {"type": "object", "properties": {"rows": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
                "total": {"type": "integer"}, "page": {"type": "integer"}, "pages": {"type": "integer"}}}

    year = [("year", "integer", "Report year")]
    return {
        "openapi": "3.1.0",
        "info": {"title": "nianbao dashboard API", "version": "1",
                 "description": "Compliance of agencies with publishing their 政府信息公开工作年度报告. "
                                "Log in at /login; the session cookie authenticates the API."},
        "paths": {
            "/api/overview": _get("Counts and rates for a year, by region and level; worst offenders", _params(year), "Overview"),
            "/api/regions": _get("Status counts per region (or per level with by=level)",
                                 _params(year + [("by", "string", "region | level")]), "Grouped"),
            "/api/agencies": _get("Agencies with their status for a year, filtered, worst first", _params(_FILTERS), "AgencyPage"),
            "/api/agencies/{agency_id}": _get("One agency: status per year, reports, versions, findings",
                                              _params([], ["agency_id"]), "Object"),
            "/api/reports/{report_id}": _get("One report: versions, the model of a version, its findings",
                                             _params([("version", "integer", "Version number (default latest)")],
                                                     ["report_id"]), "Object"),
            "/api/reports/{report_id}/diff": _get("Changed figures between versions a and b",
                                                  _params([("a", "integer", "Older version number"),
                                                           ("b", "integer", "Newer version number")], ["report_id"]),
                                                  "Object"),
            "/api/findings": _get("Findings of the latest versions, filtered",
                                  _params(_FILTERS + [("severity", "string", "error | warning"),
                                                      ("review", "string", "open | acknowledged | false_positive")]),
                                  "FindingPage"),
            "/api/findings/{finding_id}/review": {"post": {
                "summary": "Acknowledge a finding or mark it a false positive (reviewer role)",
                "parameters": _params([], ["finding_id"]) + [
                    {"name": "X-CSRF-Token", "in": "header", "required": True, "schema": {"type": "string"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["action"], "properties": {
                        "action": {"type": "string", "enum": ["acknowledged", "false_positive"]},
                        "note": {"type": "string"}}}}}},
                "responses": {"201": {"description": "Recorded"}, "400": {"description": "Bad action or note"},
                              "401": {"description": "Not logged in"},
                              "403": {"description": "Missing CSRF token or not a reviewer"}}}},
        },
        "components": {"schemas": {
            "Overview": {"type": "object", "properties": {"year": {"type": "integer"}, "totals": counts,
                         "regions": {"type": "array", "items": counts}, "levels": {"type": "array", "items": counts},
                         "worst": {"type": "array", "items": {"$ref": "#/components/schemas/Agency"}}}},
            "Grouped": {"type": "object", "properties": {"year": {"type": "integer"},
                        "rows": {"type": "array", "items": counts}}},
            "Agency": agency_row, "Finding": finding_row,
            "AgencyPage": paged("Agency"), "FindingPage": paged("Finding"), "Object": obj,
        }},
    }


async def api_openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


def routes() -> list[Route]:
    return [
        Route("/api/openapi.json", api_openapi),
        Route("/api/overview", api_overview),
        Route("/api/regions", api_regions),
        Route("/api/agencies", api_agencies),
        Route("/api/agencies/{agency_id}", api_agency),
        Route("/api/reports/{report_id:int}", api_report),
        Route("/api/reports/{report_id:int}/diff", api_diff),
        Route("/api/findings", api_findings),
        Route("/api/findings/{finding_id:int}/review", api_review, methods=["POST"]),
    ]
