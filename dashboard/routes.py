"""The HTML site: every page (pages.PAGES) and its `.json` twin, login, the review form, downloads, errors."""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from nianbao.dashboard import evidence, exports
from nianbao.dashboard import queries as Q
from nianbao.dashboard.auth import (
    CSRF_FIELD,
    CurrentUser,
    Throttled,
    check_csrf,
    login_guard,
    login_session,
    new_session_token,
    require_reviewer,
    session_token,
)
from nianbao.dashboard.context import (
    Dashboard,
    LoginRequired,
    dashboard_of,
    read_only,
    require_user,
    wants_json,
)
from nianbao.dashboard.pages import PAGES
from nianbao.dashboard.users import MIN_PASSWORD, set_password
from nianbao.monitor import rollup
from nianbao.report.readers import UnreadableDocument, read_document
from nianbao.storage import users
from nianbao.storage.models import User

REVIEW_ACTIONS = ("acknowledged", "false_positive")
NOTE_LIMIT = 2000
GROUP_LIMIT = 100  # records of one grouped finding reviewed with it


# --- login ----------------------------------------------------------------------------------------------


async def login_form(request: Request) -> Response:
    return dashboard_of(request).render(request, "login.html", {"error": None, "next": _safe_next(request)})


def _safe_next(request: Request, value: str | None = None) -> str:
    target = value if value is not None else request.query_params.get("next", "/")
    # Only local paths: an open redirect would let a link send a freshly logged-in user anywhere.
    return target if target.startswith("/") and not target.startswith("//") else "/"


async def login_submit(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
    dash, guard = dashboard_of(request), login_guard(request)
    address = request.client.host if request.client else ""

    def lookup() -> tuple[int, bool] | None:
        with dash.store.read_session() as session:
            user = Q.user_by_name(session, name)
            stored = (user.id, user.active, user.password_hash) if user else None
        # Outside the read session: a login waiting for its turn to hash holds no database connection.
        ok = guard.check_password(name, address, stored[2] if stored else None, password)
        return (stored[0], stored[1]) if stored and ok else None

    next_page = _safe_next(request, str(form.get("next", "/")))
    try:
        found = await run_in_threadpool(lookup)
    except Throttled as exc:
        response = dash.render(request, "login.html", {"error": exc.message, "next": next_page}, status_code=429)
        response.headers["retry-after"] = str(exc.retry_after)
        return response
    if found is None or not found[1]:
        error = "用户名或密码错误。" if found is None else "该账号已停用，请联系管理员。"
        return dash.render(request, "login.html", {"error": error, "next": next_page}, status_code=401)
    token = new_session_token()
    await run_in_threadpool(dash.store.open_session, token, found[0], dash.session_seconds,
                            user_agent=request.headers.get("user-agent"), address=address)
    login_session(request, token)
    return RedirectResponse(next_page, status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    token = session_token(request)
    if token is not None:  # revoked in the table: a copy of this cookie opens nothing either
        await run_in_threadpool(dashboard_of(request).store.revoke_session, token)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


# --- the user's own password -----------------------------------------------------------------------------


async def password_form(request: Request) -> Response:
    require_user(request)
    return dashboard_of(request).render(request, "password.html", {"error": None, "done": bool(
        request.query_params.get("done"))})


def _password_error(current_ok: bool, new: str, again: str) -> str | None:
    if not current_ok:
        return "当前密码不正确。"
    if new != again:
        return "两次输入的新密码不一致。"
    if len(new) < MIN_PASSWORD:
        return f"新密码至少需要 {MIN_PASSWORD} 个字符。"
    return None


async def password_submit(request: Request) -> Response:
    """Change one's own password: the current one proves it is the owner (a session left open on a shared
    computer cannot lock them out); every session of the account ends, this one continues under a new token."""
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    user = require_user(request)
    dash, guard = dashboard_of(request), login_guard(request)
    address = request.client.host if request.client else ""
    current, new, again = (str(form.get(k, "")) for k in ("current", "new", "again"))

    def change() -> str | None:
        with dash.store.read_session() as session:
            stored = Q.user_by_name(session, user.name)
            password_hash = stored.password_hash if stored else None
        error = _password_error(guard.check_password(user.name, address, password_hash, current), new, again)
        if error is None:
            set_password(dash.store, user.name, new)  # revokes every session of the account
        return error

    try:
        error = await run_in_threadpool(change)
    except Throttled as exc:
        error = exc.message
    if error is not None:
        return dash.render(request, "password.html", {"error": error, "done": False}, status_code=400)
    token = new_session_token()
    await run_in_threadpool(dash.store.open_session, token, user.id, dash.session_seconds,
                            user_agent=request.headers.get("user-agent"), address=address)
    login_session(request, token)
    return RedirectResponse("/account/password?done=1", status_code=303)


async def home(request: Request) -> Response:
    return RedirectResponse("/overview", status_code=303)


# --- downloads ------------------------------------------------------------------------------------------


@read_only
def original_download(request: Request, dash: Dashboard, session: Session) -> Response:
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


# The stored original framed beside the parsed tables. The crawled page is untrusted: it is served with a
# CSP sandbox (an opaque origin, no scripts, no forms, no plugins) and may load nothing, so even a hostile page
# cannot run in the dashboard's origin or call home; only our own pages may frame it.
FRAMED_POLICY = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                 "frame-ancestors 'self'; form-action 'none'; base-uri 'none'")
# Chromium's PDF viewer needs its own resources: only the framing is limited (a PDF's scripts run inside the
# viewer's own sandbox, never in the page's origin).
PDF_POLICY = "frame-ancestors 'self'"
FRAMED_TEXT_LIMIT = 2_000_000


@read_only
def original_view(request: Request, dash: Dashboard, session: Session) -> Response:
    info = Q.version_blob(session, request.path_params["version_id"])
    if info is None:
        raise HTTPException(404, "没有这个版本。")
    data = dash.store.blobs.get(info["sha256"])
    kind = info["source_format"] or ""
    headers = {"x-frame-options": "SAMEORIGIN", "content-disposition": "inline", "cache-control": "private"}
    if kind == "pdf":
        return Response(data, media_type="application/pdf", headers={**headers, "content-security-policy": PDF_POLICY})
    if kind in ("html", "htm"):
        return Response(data, media_type="text/html", headers={**headers, "content-security-policy": FRAMED_POLICY})
    if kind in ("txt", "text", "docx"):
        text = _extracted_text(data, kind)
        return Response(text[:FRAMED_TEXT_LIMIT], media_type="text/plain; charset=utf-8",
                        headers={**headers, "content-security-policy": FRAMED_POLICY})
    raise HTTPException(404, "这种格式的原件只能下载查看。")


def _extracted_text(data: bytes, kind: str) -> str:
    try:
        return read_document(data, "original.docx" if kind == "docx" else "original.txt").text
    except UnreadableDocument:
        return "（无法读取原件的文字，请下载原件查看。）"


# --- review ---------------------------------------------------------------------------------------------


def record_review(dash: Dashboard, user: CurrentUser, finding_id: int, action: str, note: str) -> dict[str, Any]:
    """Store a review (who/when/why) and update the rollup row it affects, in one transaction."""
    if action not in REVIEW_ACTIONS:
        raise HTTPException(400, "未知的处理方式。")
    if action == "false_positive" and not note.strip():
        raise HTTPException(400, "标记误报时请填写理由。")
    with dash.store.session() as session:
        # The role in the cookie may be stale; the database decides.
        stored = session.get(User, user.id)
        role = stored.role if stored else None
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
    user = require_user(request)
    require_reviewer(request)
    finding_id = request.path_params["finding_id"]
    action, note = str(form.get("action", "")), str(form.get("note", ""))
    result = await run_in_threadpool(record_review, dashboard_of(request), user, finding_id, action, note)
    # The other records of the same grouped finding (report.grouping) get the same review.
    for other in [int(str(v)) for v in form.getlist("also") if str(v).isdigit()][:GROUP_LIMIT]:
        await run_in_threadpool(record_review, dashboard_of(request), user, other, action, note)
    target = _safe_next(request, str(form.get("next", "/findings")))
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}{urlencode({'done': result['action']})}", status_code=303)


# --- recheck now ------------------------------------------------------------------------------------------


async def recheck_submit(request: Request) -> Response:
    """A reviewer queues a crawl of one agency; the daemon (nianbao run) starts it within a minute."""
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    user = require_user(request)
    require_reviewer(request)
    agency_id = request.path_params["agency_id"]
    dash = dashboard_of(request)

    def queue() -> bool:
        with dash.store.read_session() as session:
            if not Q.agency_exists(session, agency_id):
                raise HTTPException(404, "没有这个机关。")
        return dash.store.request_recheck(agency_id, user.id)

    queued = await run_in_threadpool(queue)
    query = urlencode({"recheck": "queued" if queued else "pending"})
    return RedirectResponse(f"/agencies/{quote(agency_id, safe='')}?{query}#checks", status_code=303)


# --- errors ---------------------------------------------------------------------------------------------


async def _login_required(request: Request, exc: Exception) -> Response:
    if wants_json(request):  # a program gets a status, not a login form
        return JSONResponse({"error": "请先登录。"}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


# Starlette's own errors (no route, wrong method) carry the English reason phrase; the overseer reads Chinese.
ROUTER_ERRORS = {404: "没有这个页面。", 405: "不支持这种请求方式。"}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail
    if detail == HTTPStatus(exc.status_code).phrase:
        detail = ROUTER_ERRORS.get(exc.status_code, detail)
    if wants_json(request):
        return JSONResponse({"error": detail}, status_code=exc.status_code)
    return dashboard_of(request).render(request, "error.html", {"code": exc.status_code, "detail": detail},
                                        status_code=exc.status_code)


def exception_handlers() -> dict[Any, Callable[..., Any]]:
    return {LoginRequired: _login_required, HTTPException: _http_error}


def page_routes() -> list[BaseRoute]:
    """Each page and its JSON twin. The twin comes first: "/agencies/{agency_id}" would also match
    "/agencies/x.json" and read "x.json" as the agency."""
    routes: list[BaseRoute] = []
    for page in PAGES:
        routes += [Route(page.path + ".json", page.json(), name=page.name + "-json"),
                   Route(page.path, page.html(), name=page.name)]
    return routes


def routes() -> list[BaseRoute]:
    return [
        Route("/", home),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/account/password", password_form, methods=["GET"]),
        Route("/account/password", password_submit, methods=["POST"]),
        *page_routes(),
        Route("/versions/{version_id:int}/original", original_download),
        Route("/versions/{version_id:int}/view", original_view),
        *[Route(f"/reports/{{report_id:int}}/evidence.{fmt}", evidence.report_download(fmt)) for fmt in evidence.FORMATS],
        *[Route(f"/agencies/{{agency_id}}/evidence.{fmt}", evidence.agency_download(fmt)) for fmt in evidence.FORMATS],
        Route("/findings/{finding_id:int}/review", review_submit, methods=["POST"]),
        Route("/agencies/{agency_id}/recheck", recheck_submit, methods=["POST"]),
        Route("/export/{kind}.{fmt}", exports.export),
        Route("/reports/{report_id:int}/tables.xlsx", exports.report_tables),
    ]
