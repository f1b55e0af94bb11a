"""Dashboard accounts and the reviews reviewers give to findings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from nianbao.storage.models import FindingReview, User

REVIEW_ACTIONS = ("acknowledged", "false_positive")


class UserExists(Exception):
    pass


def add_user(s: Session, name: str, password_hash: str, role: str, *, update: bool = False) -> bool:
    """Create (True) or, with update, change (False) an account; UserExists when it exists and not update."""
    user = s.scalar(select(User).where(User.name == name))
    if user is not None and not update:
        raise UserExists(name)
    if user is None:
        s.add(User(name=name, password_hash=password_hash, role=role))
        return True
    user.password_hash, user.role = password_hash, role
    return False


def add_review(s: Session, finding_id: int, user_id: int, action: str, note: str | None, at: datetime) -> None:
    """One review of a finding (who, when, what, why); the latest review of a finding counts."""
    if action not in REVIEW_ACTIONS:
        raise ValueError(f"review action must be one of {REVIEW_ACTIONS}, got {action!r}")
    s.execute(insert(FindingReview).values(finding_id=finding_id, user_id=user_id, action=action, note=note, at=at))
