"""The Starlette application: `create_app(settings)` wires the store, sessions, templates and routes."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nianbao.dashboard.auth import csrf_token, current_user
from nianbao.monitor.rollup import Freshness
from nianbao.monitor.status import Deadlines
from nianbao.report import printed as labels
from nianbao.storage.store import Store

HERE = Path(__file__).resolve().parent
DEFAULT_SESSION_SECONDS = 12 * 3600


@dataclass
class DashboardConfig:
    secret_key: str
    session_seconds: int
    refresh_seconds: float
    base_url: str | None = None


def _setting(section: Any, name: str, default: Any = None) -> Any:
    if section is None:
        return default
    value = section.get(name) if isinstance(section, dict) else getattr(section, name, None)
    return default if value is None else value


def _secret_key(section: Any, blob_dir: Path) -> str:
    """The session signing key: settings (secret_key or secret_key_env), then NIANBAO_SECRET_KEY, then a key
    file kept beside the blobs (created once, mode 0600) so sessions survive a restart without anyone
    configuring a secret."""
    getter = getattr(section, "get_secret_key", None)
    key = (getter() if callable(getter) else _setting(section, "secret_key")) or os.environ.get("NIANBAO_SECRET_KEY")
    if key:
        return str(key)
    path = blob_dir.parent / ".dashboard-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def dashboard_config(settings: Any) -> DashboardConfig:
    section = getattr(settings, "dashboard", None)
    return DashboardConfig(
        secret_key=_secret_key(section, Path(settings.blob_dir)),
        session_seconds=int(_setting(section, "session_lifetime", DEFAULT_SESSION_SECONDS)),
        refresh_seconds=float(_setting(section, "refresh_seconds", 5.0)),
        base_url=_setting(section, "base_url"),
    )


class SecurityHeaders:
    """Headers that make injected markup inert even if escaping were ever missed: no inline scripts,
    no framing, no MIME sniffing."""

    HEADERS = [
        (b"content-security-policy",
         b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
    ]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + self.HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "svg", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(L=labels, label=labels.label, link=_link)
    env.filters.update(pct=_pct, date=_date, num=_num, datetime=_datetime)
    return env


def today_shanghai() -> dt.date:
    """The calendar day in Asia/Shanghai: deadlines are Chinese calendar days (as `nianbao status`)."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _link(path: str, **params: Any) -> str:
    """A URL with a query string of the non-empty params (filters carried from page to page)."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{path}?{query}" if query else path


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _date(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]


def _datetime(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return _date(value)


def _num(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    if isinstance(value, int | float):
        return f"{int(value):,}"
    return str(value)


class Dashboard:
    """What the routes share: the store, the clock, the templates and the rollup freshness check."""

    def __init__(self, settings: Any, store: Store, today: Callable[[], dt.date], config: DashboardConfig) -> None:
        self.settings = settings
        self.store = store
        self.today = today
        self.config = config
        self.deadlines = Deadlines.from_settings(settings)
        self.env = _templates()
        self.freshness = Freshness(config.refresh_seconds)

    def ensure_fresh(self) -> None:
        self.freshness.ensure(self.store, self.today(), self.settings)

    def render(self, request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Any:
        from starlette.responses import HTMLResponse

        page = self.env.get_template(name).render(
            request=request, user=current_user(request), csrf=csrf_token(request), path=request.url.path,
            **context,
        )
        return HTMLResponse(page, status_code=status_code)


def create_app(
    settings: Any,
    *,
    store: Store | None = None,
    today: Callable[[], dt.date] | None = None,
) -> Starlette:
    """The dashboard for `settings` (database_url, blob_dir, deadlines, dashboard section).

    `today` injects the clock (statuses depend on the date); `store` reuses an open Store.
    """
    from nianbao.dashboard import api, routes

    config = dashboard_config(settings)
    store = store or Store(settings.database_url, settings.blob_dir)
    state = Dashboard(settings, store, today or today_shanghai, config)
    all_routes = routes.routes() + api.routes() + [
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=all_routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(SessionMiddleware, secret_key=config.secret_key, session_cookie="nianbao_session",
                       max_age=config.session_seconds, same_site="strict", https_only=False),
        ],
        exception_handlers=routes.exception_handlers(),
    )
    app.state.dashboard = state
    return app
