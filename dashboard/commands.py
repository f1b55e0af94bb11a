"""`nianbao serve` (the dashboard over HTTP) and `nianbao user add` (accounts)."""

from __future__ import annotations

import sys

import click
import uvicorn

from nianbao.dashboard.app import create_app
from nianbao.dashboard.users import UserExists, add_user
from nianbao.settings import settings_from_context
from nianbao.storage.store import Store


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: settings dashboard.host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: settings dashboard.port, 8000).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the compliance dashboard."""


    settings = settings_from_context(ctx)
    app = create_app(settings)
    uvicorn.run(app, host=host or settings.dashboard.host, port=port or settings.dashboard.port,
                log_level="info", proxy_headers=False)


@click.group()
def user() -> None:
    """Manage dashboard accounts."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["viewer", "reviewer"]), default="viewer", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--update", is_flag=True, help="Change the password/role of an existing account.")
@click.pass_context
def user_add(ctx: click.Context, name: str, role: str, password_stdin: bool, update: bool) -> None:
    """Create an account NAME with ROLE (viewer reads; reviewer can also review findings)."""

    name = name.strip()
    if not name:
        raise click.UsageError("the name must not be empty")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.ClickException("the password must have at least 8 characters")
    settings = settings_from_context(ctx)
    store = Store.from_settings(settings)
    try:
        created = add_user(store, name, password, role, update=update)
    except UserExists as exc:
        raise click.ClickException(f"user {name!r} exists (use --update to change it)") from exc
    finally:
        store.close()
    click.echo(f"{'created' if created else 'updated'} {role} {name}")
