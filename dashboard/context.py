"""What every dashboard route shares: the `Dashboard` state object, the logged-in user, parameter parsing
and the wrapper that runs a read-only page off the event loop.

The HTML pages (routes), their `.json` twins (pages) and the API (api) all start here; this module imports
none of them, so the routes form no circle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from nianbao.dashboard import templating
from nianbao.dashboard.auth import CurrentUser, csrf_token, current_user
from nianbao.dashboard.queries import jsonable
from nianbao.monitor.rollup import Freshness
from nianbao.storage.store import Store

ReadHandler = Callable[[Request, "Dashboard", Session], Response]


class LoginRequired(Exception):
    """Raised by a route when nobody (or an expired session) is logged in; app turns it into the login form."""


class Dashboard:
    """What the routes share: the store, the clock, the templates and the rollup freshness check."""

    def __init__(self, settings: Any, store: Store, today: Callable[[], dt.date], *,
                 session_seconds: int, refresh_seconds: float) -> None:
        self.settings = settings
        self.store = store
        self.today = today
        self.session_seconds = session_seconds
        self.env = templating.environment(settings.clock.zone)
        self.freshness = Freshness(refresh_seconds)

    def ensure_fresh(self) -> None:
        self.freshness.ensure(self.store, self.today(), self.settings)

    def render(self, request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
        page = self.env.get_template(name).render(
            request=request, user=current_user(request), csrf=csrf_token(request), path=request.url.path,
            **context,
        )
        return HTMLResponse(page, status_code=status_code)


def dashboard_of(request: Request) -> Dashboard:
    dash: Dashboard = request.app.state.dashboard
    return dash


def require_user(request: Request) -> CurrentUser:
    """The logged-in user: app.SessionCheck found the cookie's session live in the sessions table (not
    revoked, not past its lifetime, the account active)."""
    user = current_user(request)
    if user is None:
        raise LoginRequired()
    return user


def int_param(value: str | None) -> int | None:
    """A whole number from a query parameter; a missing or malformed one counts as not given."""
    try:
        return int(value) if value else None
    except ValueError:
        return None


def json_response(data: Any, status_code: int = 200) -> JSONResponse:
    """Data as JSON: dates as ISO strings, Chinese as is (Starlette does not escape non-ASCII)."""
    return JSONResponse(jsonable(data), status_code=status_code)


def wants_json(request: Request) -> bool:
    """The API and every page's `.json` twin answer errors in JSON, not with an HTML page."""
    path = request.url.path
    return path.startswith("/api/") or path.endswith(".json")


def read_only(handler: ReadHandler) -> Callable[[Request], Awaitable[Response]]:
    """A login-protected, read-only endpoint: fresh rollup, one read session, run off the event loop."""

    def run(request: Request) -> Response:
        require_user(request)
        dash = dashboard_of(request)
        dash.ensure_fresh()
        with dash.store.read_session() as session:
            return handler(request, dash, session)

    async def endpoint(request: Request) -> Response:
        return await run_in_threadpool(run, request)

    return endpoint
