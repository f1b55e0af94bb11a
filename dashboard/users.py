"""Dashboard accounts (the users table): created by `nianbao user add` and by tests."""

from __future__ import annotations

from nianbao.dashboard.auth import ROLES, hash_password
from nianbao.storage.store import Store, UserExists

__all__ = ["UserExists", "add_user"]


def add_user(store: Store, name: str, password: str, role: str, *, update: bool = False) -> bool:
    """Create (True) or, with update, change (False) an account. The password is stored argon2-hashed."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    return store.add_user(name, hash_password(password), role, update=update)
