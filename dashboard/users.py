"""Dashboard accounts (the users table): created by `nianbao user add` and by tests."""

from __future__ import annotations

from sqlalchemy import select

from nianbao.dashboard.auth import ROLES, hash_password
from nianbao.storage.models import User
from nianbao.storage.store import Store


class UserExists(Exception):
    pass


def add_user(store: Store, name: str, password: str, role: str, *, update: bool = False) -> bool:
    """Create (True) or, with update, change (False) an account. The password is stored argon2-hashed."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    password_hash = hash_password(password)
    with store.session() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is not None and not update:
            raise UserExists(name)
        if user is None:
            session.add(User(name=name, password_hash=password_hash, role=role))
            return True
        user.password_hash, user.role = password_hash, role
        return False
