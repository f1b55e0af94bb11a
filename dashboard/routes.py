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
from nianbao.monitor import rollup
from nianbao.storage import users
from nianbao.storage.models import User

REVIEW_ACTIONS = ("acknowledged", "false_positive")
NOTE_LIMIT = 2000


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
    result = await run_in_threadpool(record_review, dashboard_of(request), user, finding_id,
                                     str(form.get("action", "")), str(form.get("note", "")))
    target = _safe_next(request, str(form.get("next", "/findings")))
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}{urlencode({'done': result['action']})}", status_code=303)


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
        *page_routes(),
        Route("/versions/{version_id:int}/original", original_download),
        *[Route(f"/reports/{{report_id:int}}/evidence.{fmt}", evidence.report_download(fmt)) for fmt in evidence.FORMATS],
        *[Route(f"/agencies/{{agency_id}}/evidence.{fmt}", evidence.agency_download(fmt)) for fmt in evidence.FORMATS],
        Route("/findings/{finding_id:int}/review", review_submit, methods=["POST"]),
        Route("/export/{kind}.{fmt}", exports.export),
        Route("/reports/{report_id:int}/tables.xlsx", exports.report_tables),
    ]
