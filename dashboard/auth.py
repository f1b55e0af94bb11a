"""Passwords, sessions, CSRF and roles.

- Passwords: argon2id (argon2-cffi defaults), never stored or logged in clear.
- Sessions: Starlette's SessionMiddleware, a cookie signed with itsdangerous' TimestampSigner; the signature
  carries the time, so a cookie older than max_age is refused server-side even if the browser kept it.
- CSRF: a random token kept in the session and repeated in a hidden field of every form; a POST whose field
  does not match is refused with 403 before anything else happens (login included).
- Roles: viewer reads; reviewer may also review findings.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.exceptions import HTTPException
from starlette.requests import Request

ROLES: tuple[str, ...] = ("viewer", "reviewer")
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

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


def login_session(request: Request, user_id: int, name: str, role: str) -> None:
    # A fresh session (and CSRF token) at login so a token seen before login is useless after it.
    request.session.clear()
    request.session.update({"uid": user_id, "name": name, "role": role, "csrf": secrets.token_urlsafe(32)})


def current_user(request: Request) -> CurrentUser | None:
    session = request.session
    if "uid" not in session:
        return None
    return CurrentUser(id=int(session["uid"]), name=str(session["name"]), role=str(session["role"]))


def require_reviewer(request: Request) -> CurrentUser:
    user = current_user(request)
    if user is None:
        raise HTTPException(401, "请先登录。")
    if not user.can_review:
        raise HTTPException(403, "只有审核员可以处理发现的问题。")
    return user
