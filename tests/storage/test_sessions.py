"""Dashboard sessions and accounts in storage, on SQLite and PostgreSQL: a session is live only while its
row is neither revoked nor expired and its account active; every change of who may do what revokes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from nianbao.storage.models import LoginSession, User
from nianbao.storage.sessions import token_id
from nianbao.storage.store import Store, UnknownUser


def account(store: Store, name: str, role: str = "viewer") -> int:
    store.add_user(name, "hash-of-" + name, role)
    return next(u for u in _users(store) if u.name == name).id


def _users(store: Store) -> list[Any]:
    with store.read_session() as s:
        return list(s.scalars(select(User)))


def test_a_live_session_names_its_user_as_the_database_says(store: Store) -> None:
    alice = account(store, "alice")
    store.open_session("token-a", alice, 3600, user_agent="浏览器", address="127.0.0.1")
    found = store.session_user("token-a")
    assert found is not None and (found.user_id, found.name, found.role) == (alice, "alice", "viewer")
    assert store.session_user("another token") is None


def test_the_table_keeps_the_token_hash_not_the_token(store: Store) -> None:
    store.open_session("token-a", account(store, "alice"), 3600)
    with store.read_session() as s:
        assert list(s.scalars(select(LoginSession.id))) == [token_id("token-a")]
    assert "token-a" not in token_id("token-a")


def test_an_expired_session_is_not_live(store: Store) -> None:
    store.open_session("token-a", account(store, "alice"), 0)
    assert store.session_user("token-a") is None


@pytest.mark.parametrize("change", ["logout", "password", "role", "disable", "add --update", "delete"])
def test_each_change_of_an_account_revokes_its_sessions_only(change: str, store: Store) -> None:
    store.open_session("token-a", account(store, "alice"), 3600)
    store.open_session("token-b", account(store, "bob"), 3600)
    if change == "logout":
        store.revoke_session("token-a")
    elif change == "password":
        assert store.set_password("alice", "new-hash") == 1
    elif change == "role":
        assert store.set_role("alice", "reviewer") == 1
    elif change == "disable":
        assert store.set_user_active("alice", False) == 1
    elif change == "add --update":
        assert store.add_user("alice", "new-hash", "viewer", update=True) is False
    else:
        assert store.delete_user("alice") == 1
    assert store.session_user("token-a") is None
    assert store.session_user("token-b") is not None


def test_enabling_again_does_not_bring_revoked_sessions_back(store: Store) -> None:
    store.open_session("token-a", account(store, "alice"), 3600)
    store.set_user_active("alice", False)
    store.set_user_active("alice", True)
    assert store.session_user("token-a") is None


def test_a_new_login_clears_the_accounts_dead_sessions(store: Store) -> None:
    alice = account(store, "alice")
    store.open_session("expired", alice, 0)
    store.open_session("logged-out", alice, 3600)
    store.revoke_session("logged-out")
    store.open_session("live", alice, 3600)
    with store.read_session() as s:
        assert list(s.scalars(select(LoginSession.id))) == [token_id("live")]


def test_changes_to_an_unknown_account_raise(store: Store) -> None:
    for change in (lambda: store.set_password("nobody", "h"), lambda: store.set_role("nobody", "viewer"),
                   lambda: store.set_user_active("nobody", False), lambda: store.delete_user("nobody")):
        with pytest.raises(UnknownUser):
            change()


def test_accounts_from_before_the_migration_stay_active(database_url: str, tmp_path: Path) -> None:
    with Store(database_url, tmp_path / "blobs", migrate=False) as store:
        store.upgrade("0101_crawl_state")
        with store.engine.begin() as conn:
            conn.execute(text("INSERT INTO users (name, password_hash, role, created_at) "
                              "VALUES ('old', 'h', 'viewer', CURRENT_TIMESTAMP)"))
        store.upgrade()
        [old] = store.list_users()
        assert (old.name, old.active, old.sessions) == ("old", True, 0)
