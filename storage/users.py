"""Dashboard accounts and the reviews reviewers give to findings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from nianbao.storage.models import FindingReview, LoginSession, User, utcnow
from nianbao.storage.sessions import live_session_counts, revoke_user_sessions

REVIEW_ACTIONS = ("acknowledged", "false_positive")


class UserExists(Exception):
    pass


class UnknownUser(LookupError):
    pass


class UserHasReviews(Exception):
    """The account reviewed findings: deleting it would erase who reviewed them (disable it instead)."""

    def __init__(self, name: str, reviews: int) -> None:
        super().__init__(name, reviews)
        self.name, self.reviews = name, reviews


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: str
    active: bool
    created_at: datetime
    sessions: int  # live sessions


def _user(s: Session, name: str) -> User:
    user = s.scalar(select(User).where(User.name == name))
    if user is None:
        raise UnknownUser(name)
    return user


def add_user(s: Session, name: str, password_hash: str, role: str, *, update: bool = False) -> bool:
    """Create (True) or, with update, change (False) an account; UserExists when it exists and not update.
    An update changes the password (and maybe the role), so the account's sessions are revoked."""
    user = s.scalar(select(User).where(User.name == name))
    if user is not None and not update:
        raise UserExists(name)
    if user is None:
        s.add(User(name=name, password_hash=password_hash, role=role))
        return True
    user.password_hash, user.role = password_hash, role
    revoke_user_sessions(s, user.id, utcnow())
    return False


def set_password(s: Session, name: str, password_hash: str) -> int:
    """A new password; every session opened with the old one is revoked (returns how many)."""
    user = _user(s, name)
    user.password_hash = password_hash
    return revoke_user_sessions(s, user.id, utcnow())


def set_role(s: Session, name: str, role: str) -> int:
    """A new role; sessions are revoked so that nobody keeps acting under the old one (returns how many)."""
    user = _user(s, name)
    user.role = role
    return revoke_user_sessions(s, user.id, utcnow())


def set_active(s: Session, name: str, active: bool) -> int:
    """Enable or disable an account; disabling revokes its sessions (returns how many)."""
    user = _user(s, name)
    user.active = active
    return 0 if active else revoke_user_sessions(s, user.id, utcnow())


def delete_user(s: Session, name: str) -> int:
    """Delete an account and its sessions (returns how many were live); UserHasReviews if it reviewed
    findings, since the review history names its reviewer."""
    user = _user(s, name)
    reviews = s.scalar(select(func.count()).select_from(FindingReview).where(FindingReview.user_id == user.id))
    if reviews:
        raise UserHasReviews(name, reviews)
    live = revoke_user_sessions(s, user.id, utcnow())
    s.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    s.delete(user)
    return live


def list_users(s: Session) -> list[UserInfo]:
    counts = live_session_counts(s, utcnow())
    users = s.scalars(select(User).order_by(User.name))
    return [UserInfo(u.name, u.role, u.active, u.created_at, counts.get(u.id, 0)) for u in users]


def add_review(s: Session, finding_id: int, user_id: int, action: str, note: str | None, at: datetime) -> None:
    """One review of a finding (who, when, what, why); the latest review of a finding counts."""
    if action not in REVIEW_ACTIONS:
        raise ValueError(f"review action must be one of {REVIEW_ACTIONS}, got {action!r}")
    s.execute(insert(FindingReview).values(finding_id=finding_id, user_id=user_id, action=action, note=note, at=at))
