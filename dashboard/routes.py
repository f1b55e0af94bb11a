"""HTML pages, downloads and the review form."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import mimetypes
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from nianbao.dashboard import queries as Q
from nianbao.dashboard import tables
from nianbao.dashboard.app import Dashboard
from nianbao.dashboard.auth import (
    CSRF_FIELD,
    CurrentUser,
    check_csrf,
    current_user,
    login_session,
    require_reviewer,
    verify_password,
)
from nianbao.monitor import rollup
from nianbao.storage import users
from nianbao.storage.models import User

REVIEW_ACTIONS = ("acknowledged", "false_positive")
NOTE_LIMIT = 2000


class LoginRequired(Exception):
    pass


def _dash(request: Request) -> Dashboard:
    return request.app.state.dashboard


def _user(request: Request) -> CurrentUser:
    """The logged-in user; a session past its absolute lifetime counts as logged out."""
    user = current_user(request)
    login_at = request.session.get("login_at", 0)
    if user is None or dt.datetime.now(dt.UTC).timestamp() - login_at > _dash(request).config.session_seconds:
        request.session.clear()
        raise LoginRequired()
    return user


def _year(request: Request, session: Any) -> int | None:
    try:
        return int(request.query_params["year"])
    except (KeyError, ValueError):
        return Q.default_year(session)


def page(handler: Callable[[Request, Dashboard, Any], Any]) -> Callable[[Request], Any]:
    """A login-protected, read-only page: fresh rollup, one read session, run off the event loop."""

    def run(request: Request) -> Any:
        _user(request)
        dash = _dash(request)
        dash.ensure_fresh()
        with dash.store.read_session() as session:
            return handler(request, dash, session)

    async def endpoint(request: Request) -> Any:
        return await run_in_threadpool(run, request)

    return endpoint


# --- login ----------------------------------------------------------------------------------------------


async def login_form(request: Request) -> Response:
    return _dash(request).render(request, "login.html", {"error": None, "next": _safe_next(request)})


def _safe_next(request: Request, value: str | None = None) -> str:
    target = value if value is not None else request.query_params.get("next", "/")
    # Only local paths: an open redirect would let a link send a freshly logged-in user anywhere.
    return target if target.startswith("/") and not target.startswith("//") else "/"


async def login_submit(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
    dash = _dash(request)

    def lookup() -> tuple[int, str, str] | None:
        with dash.store.read_session() as session:
            user = Q.user_by_name(session, name)
            ok = verify_password(user.password_hash if user else None, password)
            return (user.id, user.name, user.role) if user and ok else None

    found = await run_in_threadpool(lookup)
    if found is None:
        return dash.render(request, "login.html", {"error": "用户名或密码错误。", "next": _safe_next(request,
                           str(form.get("next", "/")))}, status_code=401)
    login_session(request, *found)
    request.session["login_at"] = dt.datetime.now(dt.UTC).timestamp()
    return RedirectResponse(_safe_next(request, str(form.get("next", "/"))), status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


# --- pages ----------------------------------------------------------------------------------------------


async def home(request: Request) -> Response:
    return RedirectResponse("/overview", status_code=303)


@page
def overview_page(request: Request, dash: Dashboard, session: Any) -> Response:
    year = _year(request, session)
    data = Q.overview(session, year) if year is not None else None
    return dash.render(request, "overview.html", {
        "year": year, "years": Q.years(session), "data": data, "chart": _region_chart(data) if data else None,
        "last_crawl": Q.last_crawl(session), "today": dash.today(),
    })


def _region_chart(data: dict[str, Any], limit: int = 12) -> dict[str, Any]:
    """Stacked bars (share of each status) for the worst regions, drawn server-side as SVG."""
    bars = []
    for row in data["regions"][:limit]:
        x = 0.0
        segments = []
        for status in ("on_time", "late", "missing", "unreachable", "not_due"):
            share = row["counts"].get(status, 0) / row["total"] if row["total"] else 0
            if share > 0:
                segments.append({"status": status, "x": x * 100, "w": share * 100, "n": row["counts"][status]})
            x += share
        bars.append({"label": row["key"] or "（未填地区）", "segments": segments, "total": row["total"]})
    return {"bars": bars, "height": 28 * len(bars) + 8}


@page
def regions_page(request: Request, dash: Dashboard, session: Any) -> Response:
    year = _year(request, session)
    level = request.query_params.get("level") or None
    data = Q.overview(session, year) if year else {"regions": [], "levels": []}
    rows, levels = data["regions"], data["levels"]
    return dash.render(request, "regions.html", {"year": year, "years": Q.years(session), "rows": rows,
                                                 "levels": levels, "level": level})


@page
def agencies_page(request: Request, dash: Dashboard, session: Any) -> Response:
    f = Q.ListFilters.from_params(request.query_params)
    f.year = f.year or Q.default_year(session)
    return dash.render(request, "agencies.html", {
        "f": f, "result": Q.agency_rows(session, f), "years": Q.years(session),
        "options": Q.filter_options(session),
    })


@page
def agency_page(request: Request, dash: Dashboard, session: Any) -> Response:
    data = Q.agency_page(session, request.path_params["agency_id"])
    if data is None:
        raise HTTPException(404, "没有这个机关。")
    return dash.render(request, "agency.html", data)


@page
def report_page(request: Request, dash: Dashboard, session: Any) -> Response:
    number = _int(request.query_params.get("v"))
    data = Q.report_page(session, request.path_params["report_id"], number)
    if data is None:
        raise HTTPException(404, "没有这份报告。")
    data["tables"] = tables.layout(data["model"], data["findings"])
    return dash.render(request, "report.html", data)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@page
def diff_page(request: Request, dash: Dashboard, session: Any) -> Response:
    report_id = request.path_params["report_id"]
    data = Q.report_page(session, report_id)
    if data is None:
        raise HTTPException(404, "没有这份报告。")
    numbers = [v["number"] for v in data["versions"]]
    a = _int(request.query_params.get("a")) or (numbers[1] if len(numbers) > 1 else numbers[0])
    b = _int(request.query_params.get("b")) or numbers[0]
    diff = Q.version_diff(session, report_id, a, b)
    if diff is None:
        raise HTTPException(404, "没有这个版本。")
    diff["text"] = _text_diff(diff["old"], diff["new"])
    return dash.render(request, "diff.html", {**data, "diff": diff})


def _text_diff(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Side-by-side rows per text part: (kind, left, right) with kind equal/replace/delete/insert."""
    import difflib

    parts = []
    for key, title in (("summary_text", "一、总体情况"), ("problems_text", "五、存在的主要问题及改进情况"),
                       ("other_text", "六、其他需要报告的事项")):
        left, right = (old.get(key) or "").splitlines(), (new.get(key) or "").splitlines()
        rows = []
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, left, right, autojunk=False).get_opcodes():
            for k in range(max(i2 - i1, j2 - j1)):
                rows.append({"kind": tag, "left": left[i1 + k] if i1 + k < i2 else "",
                             "right": right[j1 + k] if j1 + k < j2 else ""})
        parts.append({"title": title, "rows": rows, "changed": any(r["kind"] != "equal" for r in rows)})
    return parts


@page
def original_download(request: Request, dash: Dashboard, session: Any) -> Response:
    info = Q.version_blob(session, request.path_params["version_id"])
    if info is None:
        raise HTTPException(404, "没有这个版本。")
    data = dash.store.blobs.get(info["sha256"])
    extension = {"pdf": ".pdf", "html": ".html", "docx": ".docx", "doc": ".doc", "wps": ".wps"}.get(
        info["source_format"] or "", ".txt")
    filename = f"{info['agency_id']}-{info['year']}-{info['sha256'][:8]}{extension}"
    media = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    # Always an attachment, never rendered inline: the stored page is untrusted HTML.
    return Response(data, media_type=media, headers={
        "content-disposition": f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"})


@page
def findings_page(request: Request, dash: Dashboard, session: Any) -> Response:
    f = Q.ListFilters.from_params(request.query_params)  # no year given: every year
    return dash.render(request, "findings.html", {
        "f": f, "result": Q.finding_rows(session, f), "years": Q.years(session),
        "options": Q.filter_options(session), "message": request.query_params.get("done"),
    })


# --- review ---------------------------------------------------------------------------------------------


def record_review(dash: Dashboard, user: CurrentUser, finding_id: int, action: str, note: str) -> dict[str, Any]:
    """Store a review (who/when/why) and update the rollup row it affects, in one transaction."""
    if action not in REVIEW_ACTIONS:
        raise HTTPException(400, "未知的处理方式。")
    if action == "false_positive" and not note.strip():
        raise HTTPException(400, "标记误报时请填写理由。")
    with dash.store.session() as session:
        # The role in the cookie may be stale; the database decides.
        role = session.get(User, user.id).role if session.get(User, user.id) else None
        if role != "reviewer":
            raise HTTPException(403, "只有审核员可以处理发现的问题。")
        context = Q.finding_context(session, finding_id)
        if context is None:
            raise HTTPException(404, "没有这条问题。")
        at = dt.datetime.now(dt.UTC)
        users.add_review(session, finding_id, user.id, action, note.strip()[:NOTE_LIMIT] or None, at)
        rollup.update_open_errors(session, context["version_id"])
    return {"finding_id": finding_id, "action": action, "note": note.strip()[:NOTE_LIMIT], "user": user.name,
            "at": at.isoformat(), "report_id": context["report_id"]}


async def review_submit(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    user = _user(request)
    require_reviewer(request)
    finding_id = request.path_params["finding_id"]
    result = await run_in_threadpool(record_review, _dash(request), user, finding_id,
                                     str(form.get("action", "")), str(form.get("note", "")))
    target = _safe_next(request, str(form.get("next", "/findings")))
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}{urlencode({'done': result['action']})}", status_code=303)


# --- exports --------------------------------------------------------------------------------------------

EXPORT_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "agencies": [("agency_id", "机关代码"), ("name", "机关名称"), ("region", "地区"), ("level", "层级"),
                 ("kind", "类型"), ("year", "年度"), ("status", "状态"), ("published_date", "发布日期"),
                 ("due", "截止日期"), ("days_late", "逾期天数"), ("inconsistent", "数据不一致"),
                 ("open_errors", "待处理错误"), ("error_count", "错误"), ("warning_count", "警告"),
                 ("version_count", "版本数"), ("title", "报告标题")],
    "findings": [("id", "编号"), ("agency_id", "机关代码"), ("name", "机关名称"), ("region", "地区"),
                 ("year", "年度"), ("rule", "规则"), ("severity", "级别"), ("location", "位置"),
                 ("expected", "应为"), ("actual", "实际"), ("message", "说明"), ("review", "处理状态"),
                 ("review_note", "处理说明"), ("review_at", "处理时间")],
    "regions": [("key", "地区"), ("total", "机关数"), ("due", "应发布"), ("on_time", "按时"), ("late", "逾期"),
                ("missing", "未发布"), ("unreachable", "无法访问"), ("not_due", "未到期"),
                ("inconsistent", "数据不一致")],
}
EXPORT_COLUMNS["levels"] = [("key", "层级")] + EXPORT_COLUMNS["regions"][1:]


def export_rows(session: Any, kind: str, request: Request) -> list[dict[str, Any]]:
    f = Q.ListFilters.from_params(request.query_params)
    if kind == "findings":  # like the findings page: no year given means every year
        return Q.finding_rows(session, f, limit=Q.EXPORT_LIMIT)["rows"]
    f.year = f.year or Q.default_year(session)
    if kind == "agencies":
        return Q.agency_rows(session, f, limit=Q.EXPORT_LIMIT)["rows"]
    grouped = Q.overview(session, f.year)[kind] if f.year else []
    return [{**r, **r["counts"]} for r in grouped]


def to_csv(kind: str, rows: list[dict[str, Any]]) -> bytes:
    columns = EXPORT_COLUMNS[kind]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in columns])
    for row in rows:
        writer.writerow([_csv_cell(row.get(key)) for key, _ in columns])
    # The BOM makes Excel read the file as UTF-8 (otherwise it guesses GBK and the Chinese is garbled).
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        # Crawled text must not become a spreadsheet formula when opened in Excel.
        return "'" + value
    return value


@page
def export(request: Request, dash: Dashboard, session: Any) -> Response:
    kind, fmt = request.path_params["kind"], request.path_params["fmt"]
    if kind not in EXPORT_COLUMNS or fmt not in ("csv", "json"):
        raise HTTPException(404, "没有这种导出。")
    rows = export_rows(session, kind, request)
    stamp = dash.today().isoformat()
    filename = f"nianbao-{kind}-{stamp}.{fmt}"
    disposition = {"content-disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        return Response(to_csv(kind, rows), media_type="text/csv; charset=utf-8", headers=disposition)
    body = json.dumps(Q.jsonable(rows), ensure_ascii=False, indent=1)
    return Response(body.encode("utf-8"), media_type="application/json", headers=disposition)


# --- errors ---------------------------------------------------------------------------------------------


async def _login_required(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return PlainTextResponse("login required", status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        from starlette.responses import JSONResponse

        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    return _dash(request).render(request, "error.html", {"code": exc.status_code, "detail": exc.detail},
                                 status_code=exc.status_code)


def exception_handlers() -> dict[Any, Callable[..., Any]]:
    return {LoginRequired: _login_required, HTTPException: _http_error}


def routes() -> list[Route]:
    return [
        Route("/", home),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/overview", overview_page),
        Route("/regions", regions_page),
        Route("/agencies", agencies_page),
        Route("/agencies/{agency_id}", agency_page),
        Route("/reports/{report_id:int}", report_page),
        Route("/reports/{report_id:int}/diff", diff_page),
        Route("/versions/{version_id:int}/original", original_download),
        Route("/findings", findings_page),
        Route("/findings/{finding_id:int}/review", review_submit, methods=["POST"]),
        Route("/export/{kind}.{fmt}", export),
    ]
