"""Passwords, sessions, CSRF and roles.

- Passwords: argon2id (argon2-cffi defaults), never stored or logged in clear.
- Sessions: server-side rows (storage.sessions). Starlette's SessionMiddleware signs the cookie, which
  carries only a random session token and the CSRF token; every request looks the token up (app.SessionCheck)
  and is logged in only while the row is live and the account active, so logout, a password or role change
  and `nianbao user disable` end a session even in a cookie copied before.
- Logins: throttled per account and per client address (the `limits` library, moving window, in memory or,
  for several dashboard replicas, in Redis: `dashboard.login_failure_store`),
  and at most `password_checks` argon2 verifications run at once (each takes 64 MiB).
- CSRF: a random token kept in the session and repeated in a hidden field of every form; a POST whose field
  does not match is refused with 403 before anything else happens (login included).
- Roles: viewer reads; reviewer may also review findings.
"""

from __future__ import annotations

import hmac
import math
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.exceptions import HTTPException
from starlette.requests import Request

from nianbao.settings import DashboardSettings
from nianbao.storage.store import Store

ROLES: tuple[str, ...] = ("viewer", "reviewer")
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_TOKEN = "sid"  # the cookie's key for the session token
USER_SCOPE = "nianbao.user"  # where SessionCheck leaves the request's user (a CurrentUser or None)

_hasher = PasswordHasher()
# Verified against when the user name is unknown, so that both paths cost one argon2 verification and
# the response time does not reveal which names exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("password must not be empty")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class CurrentUser:
    id: int
    name: str
    role: str

    @property
    def can_review(self) -> bool:
        return self.role == "reviewer"


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (also for anonymous sessions: the login form)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: Any) -> None:
    expected = request.session.get("csrf")
    if not expected or not isinstance(submitted, str) or not hmac.compare_digest(expected, submitted):
        raise HTTPException(403, "CSRF 校验失败：请刷新页面后重试。")


class Throttled(Exception):
    """Too many wrong passwords for this account or address: try again in `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        return f"登录失败次数过多，请 {math.ceil(self.retry_after / 60)} 分钟后再试。"


class LoginGuard:
    """Counts wrong passwords per account and per address, refuses a login over either limit before its
    password is checked, and lets only `password_checks` argon2 verifications run at once."""

    def __init__(self, section: DashboardSettings) -> None:
        self.checks = threading.BoundedSemaphore(section.password_checks)
        self.limiter = MovingWindowRateLimiter(storage_from_string(section.login_failure_store))
        window = section.login_failure_window
        self.per_account = RateLimitItemPerSecond(section.login_failures_per_account, window)
        self.per_address = RateLimitItemPerSecond(section.login_failures_per_address, window)

    def check_password(self, name: str, address: str, password_hash: str | None, password: str) -> bool:
        """True when `password` matches; Throttled (without checking it) when over a limit."""
        account = name[:200]  # the key lives in memory for the window: no megabyte names
        # The limits are read inside the semaphore: parallel attempts queued behind a check see the failures
        # it records, so a burst cannot run more checks than the limit plus the checks already running.
        with self.checks:
            self._refuse_over_limit(account, address)
            ok = verify_password(password_hash, password)
            if ok:
                self.limiter.clear(self.per_account, "account", account)
            else:
                self.limiter.hit(self.per_account, "account", account)
                self.limiter.hit(self.per_address, "address", address)
            return ok

    def _refuse_over_limit(self, account: str, address: str) -> None:
        waits = [self._wait(self.per_account, "account", account), self._wait(self.per_address, "address", address)]
        if any(waits):
            raise Throttled(max(waits))

    def _wait(self, item: RateLimitItem, *key: str) -> int:
        if self.limiter.test(item, *key):
            return 0
        reset = self.limiter.get_window_stats(item, *key).reset_time
        return max(1, math.ceil(reset - time.time()))


def login_guard(request: Request) -> LoginGuard:
    guard: LoginGuard = request.app.state.login_guard
    return guard


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def login_session(request: Request, token: str) -> None:
    # A fresh cookie (and CSRF token) at login so a token seen before login is useless after it. The cookie
    # names the session only; who is logged in is read from the sessions table on every request.
    request.session.clear()
    request.session.update({SESSION_TOKEN: token, "csrf": secrets.token_urlsafe(32)})


def session_token(request: Request) -> str | None:
    token = request.session.get(SESSION_TOKEN)
    return token if isinstance(token, str) else None


def resolve_user(session: dict[str, Any], store: Store) -> CurrentUser | None:
    """The user of the cookie's session if its row is live; a dead session's token leaves the cookie
    (the CSRF token stays, so a form posted from an open page still gets its "please log in")."""
    token = session.get(SESSION_TOKEN)
    if not isinstance(token, str):
        return None
    found = store.session_user(token)
    if found is None:
        session.pop(SESSION_TOKEN, None)
        return None
    return CurrentUser(id=found.user_id, name=found.name, role=found.role)


def current_user(request: Request) -> CurrentUser | None:
    user: CurrentUser | None = request.scope.get(USER_SCOPE)
    return user


def require_reviewer(request: Request) -> CurrentUser:
    user = current_user(request)
    if user is None:
        raise HTTPException(401, "请先登录。")
    if not user.can_review:
        raise HTTPException(403, "只有审核员可以处理发现的问题。")
    return user
