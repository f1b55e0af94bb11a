"""`nianbao serve` (the dashboard over HTTP) and `nianbao user …` (accounts: add, list, passwd, role, disable,
enable, delete). Every change that affects who may do what revokes the account's open sessions."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import click
import uvicorn

from nianbao.dashboard.app import create_app
from nianbao.dashboard.auth import ROLES
from nianbao.dashboard.users import (
    MIN_PASSWORD,
    ROLE_NAMES,
    UnknownUser,
    UserExists,
    UserHasReviews,
    add_user,
    set_password,
)
from nianbao.settings import settings_from_context
from nianbao.storage.store import Store

T = TypeVar("T")


@click.command(short_help="Open the dashboard: who published, who is late, what is wrong.")
@click.option("--host", default=None, help="Address to listen on (default: settings dashboard.host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: settings dashboard.port, 8000).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Open the dashboard for overseers: who published, who is late, which figures do not add up."""
    settings = settings_from_context(ctx, database=True)
    app = create_app(settings)
    # Behind HTTPS the dashboard sits behind a TLS proxy: the client's address (login throttling per address)
    # is then read from X-Forwarded-For, trusted only from the addresses in FORWARDED_ALLOW_IPS (uvicorn's
    # default: 127.0.0.1, a proxy on this machine). Served directly, no header can claim another address.
    uvicorn.run(app, host=host or settings.dashboard.host, port=port or settings.dashboard.port,
                log_level="info", proxy_headers=settings.dashboard.https)


@click.group(short_help="Dashboard accounts of overseers (viewers, reviewers).")
def user() -> None:
    """Dashboard accounts of the overseers: add, list, change password or role, disable, delete."""


@contextmanager
def _store(ctx: click.Context) -> Iterator[Store]:
    store = Store.from_settings(settings_from_context(ctx, database=True))
    try:
        yield store
    finally:
        store.close()


def _on_user(ctx: click.Context, name: str, change: Callable[[Store], T]) -> T:
    """Run `change` on the store; an unknown account is an error (exit 1) in Chinese."""
    with _store(ctx) as store:
        try:
            return change(store)
        except UnknownUser as exc:
            raise click.ClickException(f"没有用户 {name}。") from exc


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("密码", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"密码至少要有 {MIN_PASSWORD} 个字符。")
    return password


def _name(name: str) -> str:
    name = name.strip()
    if not name:
        raise click.UsageError("用户名不能为空。")
    return name


def _revoked(count: int) -> str:
    return f"，并注销了其 {count} 个登录会话" if count else ""


password_stdin_option = click.option("--password-stdin", is_flag=True,
                                     help="Read the password from the first line of stdin.")


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@password_stdin_option
@click.option("--update", is_flag=True, help="Change the password/role of an existing account.")
@click.pass_context
def user_add(ctx: click.Context, name: str, role: str, password_stdin: bool, update: bool) -> None:
    """Create an account NAME with ROLE (viewer reads; reviewer can also review findings)."""
    name = _name(name)
    password = _read_password(password_stdin)
    with _store(ctx) as store:
        try:
            created = add_user(store, name, password, role, update=update)
        except UserExists as exc:
            raise click.ClickException(f"用户 {name} 已存在（修改请加 --update）。") from exc
    click.echo(f"{'已创建' if created else '已更新'}{ROLE_NAMES[role]} {name}。")


@user.command("list")
@click.pass_context
def user_list(ctx: click.Context) -> None:
    """List the accounts: role, enabled or disabled, live sessions."""
    with _store(ctx) as store:
        users = store.list_users()
    if not users:
        click.echo("还没有用户（用 nianbao user add NAME 创建）。")
        return
    click.echo("用户名\t角色\t状态\t登录会话\t创建时间")
    for u in users:
        state = "启用" if u.active else "停用"
        click.echo(f"{u.name}\t{ROLE_NAMES.get(u.role, u.role)}\t{state}\t{u.sessions}\t"
                   f"{u.created_at:%Y-%m-%d %H:%M} UTC")


@user.command("passwd")
@click.argument("name")
@password_stdin_option
@click.pass_context
def user_passwd(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Set a new password for NAME; its open sessions are logged out."""
    name = _name(name)
    password = _read_password(password_stdin)
    revoked = _on_user(ctx, name, lambda store: set_password(store, name, password))
    click.echo(f"已修改用户 {name} 的密码{_revoked(revoked)}。")


@user.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@click.pass_context
def user_role(ctx: click.Context, name: str, role: str) -> None:
    """Give NAME another ROLE; its open sessions are logged out."""
    name = _name(name)
    revoked = _on_user(ctx, name, lambda store: store.set_role(name, role))
    click.echo(f"用户 {name} 现在是{ROLE_NAMES[role]}{_revoked(revoked)}。")


@user.command("disable")
@click.argument("name")
@click.pass_context
def user_disable(ctx: click.Context, name: str) -> None:
    """Disable NAME: it can no longer log in and its open sessions are logged out (its reviews stay)."""
    name = _name(name)
    revoked = _on_user(ctx, name, lambda store: store.set_user_active(name, False))
    click.echo(f"已停用用户 {name}{_revoked(revoked)}。")


@user.command("enable")
@click.argument("name")
@click.pass_context
def user_enable(ctx: click.Context, name: str) -> None:
    """Enable a disabled account NAME again."""
    name = _name(name)
    _on_user(ctx, name, lambda store: store.set_user_active(name, True))
    click.echo(f"已启用用户 {name}。")


@user.command("delete")
@click.argument("name")
@click.pass_context
def user_delete(ctx: click.Context, name: str) -> None:
    """Delete NAME and its sessions. An account that reviewed findings is kept (the reviews name it):
    disable it instead."""
    name = _name(name)
    try:
        revoked = _on_user(ctx, name, lambda store: store.delete_user(name))
    except UserHasReviews as exc:
        raise click.ClickException(
            f"用户 {name} 处理过 {exc.reviews} 条问题，审核记录要保留处理人，不能删除；"
            f"请改用 nianbao user disable {name} 停用。") from exc
    click.echo(f"已删除用户 {name}{_revoked(revoked)}。")
