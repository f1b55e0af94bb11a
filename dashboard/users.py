"""Dashboard accounts (the users table): managed by `nianbao user …` and created by tests."""

from __future__ import annotations

from nianbao.dashboard.auth import ROLES, hash_password
from nianbao.storage.store import Store, UnknownUser, UserExists, UserHasReviews

__all__ = ["MIN_PASSWORD", "ROLE_NAMES", "UnknownUser", "UserExists", "UserHasReviews", "add_user", "set_password"]

MIN_PASSWORD = 8  # characters
ROLE_NAMES = {"viewer": "查看者", "reviewer": "审核员"}


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")


def add_user(store: Store, name: str, password: str, role: str, *, update: bool = False) -> bool:
    """Create (True) or, with update, change (False) an account. The password is stored argon2-hashed;
    an update revokes the account's sessions."""
    _check_role(role)
    return store.add_user(name, hash_password(password), role, update=update)


def set_password(store: Store, name: str, password: str) -> int:
    """A new password for an account; its sessions are revoked (returns how many). UnknownUser."""
    return store.set_password(name, hash_password(password))
