"""`nianbao user add|list|passwd|role|disable|enable|delete` through click's CliRunner on real databases: each
command's Chinese message and exit code, and what it leaves in the users and sessions tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.crawler.store_jobs import store_report
from nianbao.dashboard.auth import verify_password
from nianbao.dashboard.queries import user_by_name
from nianbao.settings import load_settings
from nianbao.storage import users
from nianbao.storage.store import Store
from tests.conftest import agency_entry
from tests.storage.reports import dongguan

NEW_PASSWORD = "new password 2"


@pytest.fixture(autouse=True)
def no_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NIANBAO_DATABASE_URL", raising=False)
    monkeypatch.delenv("NIANBAO_CONFIG", raising=False)


@pytest.fixture
def config(database_url: str, write_settings: Callable[..., Path]) -> Path:
    return write_settings(database_url, [agency_entry("dg-tjj")])


def user(config: Path, *args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(main, ["--config", str(config), "user", *args], input=stdin)


def stored(config: Path, name: str) -> Any:
    with Store.from_settings(load_settings(config)) as store, store.read_session() as s:
        return user_by_name(s, name)


def test_add_creates_an_account_and_refuses_a_second_one(config: Path) -> None:
    result = user(config, "add", "alice", "--password-stdin", stdin="first password\n")
    assert (result.exit_code, result.output) == (0, "已创建查看者 alice。\n")
    again = user(config, "add", "alice", "--password-stdin", stdin="first password\n")
    assert again.exit_code == 1 and "用户 alice 已存在" in again.output
    short = user(config, "add", "bob", "--password-stdin", stdin="short\n")
    assert short.exit_code == 1 and "密码至少要有 8 个字符" in short.output
    assert stored(config, "bob") is None


def test_list_shows_role_state_and_live_sessions(config: Path) -> None:
    assert user(config, "list").output == "还没有用户（用 nianbao user add NAME 创建）。\n"
    user(config, "add", "alice", "--password-stdin", stdin="first password\n")
    user(config, "add", "bob", "--role", "reviewer", "--password-stdin", stdin="first password\n")
    with Store.from_settings(load_settings(config)) as store:
        store.open_session("token-1", stored(config, "bob").id, 3600)
    user(config, "disable", "alice")
    result = user(config, "list")
    assert result.exit_code == 0
    lines = [line.split("\t")[:4] for line in result.output.splitlines()]
    assert lines == [["用户名", "角色", "状态", "登录会话"], ["alice", "查看者", "停用", "0"], ["bob", "审核员", "启用", "1"]]


def test_passwd_sets_a_new_password_and_logs_the_account_out(config: Path) -> None:
    user(config, "add", "alice", "--password-stdin", stdin="first password\n")
    with Store.from_settings(load_settings(config)) as store:
        store.open_session("token-1", stored(config, "alice").id, 3600)
        result = user(config, "passwd", "alice", "--password-stdin", stdin=NEW_PASSWORD + "\n")
        assert (result.exit_code, result.output) == (0, "已修改用户 alice 的密码，并注销了其 1 个登录会话。\n")
        assert store.session_user("token-1") is None
    assert verify_password(stored(config, "alice").password_hash, NEW_PASSWORD)
    unknown = user(config, "passwd", "nobody", "--password-stdin", stdin=NEW_PASSWORD + "\n")
    assert (unknown.exit_code, unknown.output) == (1, "Error: 没有用户 nobody。\n")
    short = user(config, "passwd", "alice", "--password-stdin", stdin="short\n")
    assert short.exit_code == 1 and verify_password(stored(config, "alice").password_hash, NEW_PASSWORD)


def test_role_disable_enable_and_their_messages(config: Path) -> None:
    user(config, "add", "alice", "--password-stdin", stdin="first password\n")
    result = user(config, "role", "alice", "reviewer")
    assert (result.exit_code, result.output) == (0, "用户 alice 现在是审核员。\n")
    assert stored(config, "alice").role == "reviewer"
    assert user(config, "role", "alice", "admin").exit_code == 2  # not a role: a usage error
    result = user(config, "disable", "alice")
    assert (result.exit_code, result.output) == (0, "已停用用户 alice。\n")
    assert stored(config, "alice").active is False
    result = user(config, "enable", "alice")
    assert (result.exit_code, result.output) == (0, "已启用用户 alice。\n")
    assert stored(config, "alice").active is True
    assert user(config, "disable", "nobody").exit_code == 1


def test_delete_removes_the_account_and_its_sessions(config: Path) -> None:
    user(config, "add", "alice", "--password-stdin", stdin="first password\n")
    with Store.from_settings(load_settings(config)) as store:
        store.open_session("token-1", stored(config, "alice").id, 3600)
        result = user(config, "delete", "alice")
        assert (result.exit_code, result.output) == (0, "已删除用户 alice，并注销了其 1 个登录会话。\n")
        assert store.session_user("token-1") is None and store.list_users() == []
    unknown = user(config, "delete", "alice")
    assert (unknown.exit_code, unknown.output) == (1, "Error: 没有用户 alice。\n")


def test_delete_keeps_an_account_that_reviewed_findings(config: Path) -> None:
    user(config, "add", "alice", "--role", "reviewer", "--password-stdin", stdin="first password\n")
    settings = load_settings(config)
    with Store.from_settings(settings) as store:
        store.sync_agencies(settings.agencies)
        url = "http://dg-tjj.example.gov.cn/nb/2019.txt"
        at = datetime(2021, 2, 1, tzinfo=UTC)
        store_report(store, "dg-tjj", dongguan(2019, carried_forward=2), url=url, headers={}, fetched_at=at)
        saved = store_report(store, "dg-tjj", dongguan(2020), url=url + "?b", headers={}, fetched_at=at)
        [finding, *_] = store.get_findings(saved.version_id)
        with store.session() as s:
            users.add_review(s, finding.id, stored(config, "alice").id, "acknowledged", None, at)
    result = user(config, "delete", "alice")
    assert result.exit_code == 1
    assert "处理过 1 条问题" in result.output and "nianbao user disable alice" in result.output
    assert stored(config, "alice") is not None
