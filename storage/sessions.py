"""Dashboard login sessions (the sessions table), session-level functions behind the Store façade.

The browser holds a random token; the row is keyed by its SHA-256 (token_id), so reading this table
gives no cookie that opens a page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from nianbao.storage.models import LoginSession, User

# last_seen is written at most this often per session: a page view must not cost a write every time
# (on SQLite that would queue behind the crawler's write lock).
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionUser:
    """Who a live session belongs to, as the database says now (not as the cookie said at login)."""

    user_id: int
    name: str
    role: str
    last_seen: datetime


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(s: Session, token: str, user_id: int, now: datetime, expires_at: datetime,
                 user_agent: str | None, address: str | None) -> None:
    # The user's dead rows go when a new one comes, so the table stays as small as the live logins.
    s.execute(delete(LoginSession).where(
        LoginSession.user_id == user_id,
        or_(LoginSession.revoked_at.is_not(None), LoginSession.expires_at <= now)))
    s.add(LoginSession(id=token_id(token), user_id=user_id, created_at=now, last_seen=now, expires_at=expires_at,
                       user_agent=(user_agent or "")[:300] or None, address=(address or "")[:64] or None))


def session_user(s: Session, token: str, now: datetime) -> SessionUser | None:
    """The user of a live session: not revoked, not expired, its account active; None otherwise."""
    row = s.execute(
        select(User.id, User.name, User.role, LoginSession.last_seen)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id == token_id(token), LoginSession.revoked_at.is_(None),
               LoginSession.expires_at > now, User.active.is_(True))
    ).one_or_none()
    return SessionUser(*row) if row else None


def touch(s: Session, token: str, now: datetime) -> None:
    s.execute(update(LoginSession).where(LoginSession.id == token_id(token)).values(last_seen=now))


def revoke_session(s: Session, token: str, now: datetime) -> None:
    s.execute(update(LoginSession).where(LoginSession.id == token_id(token), LoginSession.revoked_at.is_(None))
              .values(revoked_at=now))


def revoke_user_sessions(s: Session, user_id: int, now: datetime) -> int:
    """Revoke every live session of a user (password, role or account changed); returns how many."""
    result = s.execute(update(LoginSession).where(
        LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None), LoginSession.expires_at > now,
    ).values(revoked_at=now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def live_session_counts(s: Session, now: datetime) -> dict[int, int]:
    """Live sessions per user id (for `nianbao user list`)."""
    rows = s.execute(select(LoginSession.user_id, func.count()).where(
        LoginSession.revoked_at.is_(None), LoginSession.expires_at > now).group_by(LoginSession.user_id))
    return {user_id: count for user_id, count in rows}
