"""The Starlette application: `create_app(settings)` wires the store, sessions, security headers and the
routes of the HTML site (routes) and the API (api). Nothing in the dashboard imports this module."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nianbao.dashboard import api, routes
from nianbao.dashboard.auth import USER_SCOPE, LoginGuard, resolve_user
from nianbao.dashboard.context import Dashboard
from nianbao.settings import DashboardSettings, Settings
from nianbao.storage.store import Store

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class DashboardConfig:
    """The settings' dashboard section, with the session key resolved from it (see _secret_key)."""

    section: DashboardSettings
    secret_key: str

    @property
    def session_seconds(self) -> int:
        return self.section.session_lifetime

    @property
    def refresh_seconds(self) -> float:
        return self.section.refresh_seconds

    @property
    def base_url(self) -> str:
        return self.section.base_url


def _secret_key(section: DashboardSettings, blob_dir: Path) -> str:
    """The session signing key: settings (secret_key or secret_key_env), then NIANBAO_SECRET_KEY, then a key
    file kept beside the blobs (created once, mode 0600) so sessions survive a restart without anyone
    configuring a secret."""
    key = section.get_secret_key() or os.environ.get("NIANBAO_SECRET_KEY")
    if key:
        return key
    path = blob_dir.parent / ".dashboard-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def dashboard_config(settings: Settings) -> DashboardConfig:
    return DashboardConfig(section=settings.dashboard, secret_key=_secret_key(settings.dashboard, settings.blob_dir))


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

    # Behind HTTPS only: a browser told this over plain HTTP would refuse the dashboard's http:// address.
    HSTS = (b"strict-transport-security", b"max-age=31536000")

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.headers = self.HEADERS + ([self.HSTS] if https else [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = {name.lower() for name, _ in message.get("headers", [])}
                # A response that sets its own policy (the framed original: sandboxed, framable by our pages
                # only) keeps it; two policies would both apply and the stricter one would forbid the frame.
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in self.headers if name not in own]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class SessionCheck:
    """Inside SessionMiddleware: looks the cookie's session token up in the sessions table on every request
    and leaves the user (or None) in the scope for auth.current_user."""

    def __init__(self, app: ASGIApp, *, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[USER_SCOPE] = await run_in_threadpool(resolve_user, scope["session"], self.store)
        await self.app(scope, receive, send)


def create_app(
    settings: Any,
    *,
    store: Store | None = None,
    today: Callable[[], dt.date] | None = None,
) -> Starlette:
    """The dashboard for `settings` (database_url, blob_dir, deadlines, dashboard section).

    `today` injects the clock (statuses depend on the date); `store` reuses an open Store.
    """
    config = dashboard_config(settings)
    store = store or Store(settings.database_url, settings.blob_dir)
    state = Dashboard(settings, store, today or settings.clock.today, session_seconds=config.session_seconds,
                      refresh_seconds=config.refresh_seconds)
    all_routes = routes.routes() + api.routes() + [
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=all_routes,
        middleware=[
            Middleware(SecurityHeaders, https=config.section.https),
            Middleware(SessionMiddleware, secret_key=config.secret_key, session_cookie="nianbao_session",
                       max_age=config.session_seconds, same_site="strict", https_only=config.section.https),
            Middleware(SessionCheck, store=store),
        ],
        exception_handlers=routes.exception_handlers(),
    )
    app.state.dashboard = state
    app.state.login_guard = LoginGuard(config.section)
    return app
