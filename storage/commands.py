"""`nianbao reports` (list stored reports) and `nianbao db` (schema and blob maintenance)."""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from nianbao.settings import Settings, settings_from_context
from nianbao.storage.migrate import current_revisions
from nianbao.storage.models import Version
from nianbao.storage.reports import ReportSummary
from nianbao.storage.store import Store


def _open_store(settings: Settings, *, migrate: bool = True) -> Store:
    try:
        return Store.from_settings(settings, migrate=migrate)
    except Exception as exc:  # a wrong URL or a stopped server: one line, not a traceback
        raise click.ClickException(f"cannot open the database {settings.database_url}: {exc}") from exc


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--agency", "agency_ids", multiple=True, metavar="ID", help="Only this agency (repeatable).")
@click.option("--year", type=int, default=None, help="Only reports on this year.")
@click.pass_context
def reports(ctx: click.Context, as_json: bool, agency_ids: tuple[str, ...], year: int | None) -> None:
    """List stored reports: agency, year, title, URL, versions, first/last seen, errors/warnings."""
    store = _open_store(settings_from_context(ctx))
    try:
        store.close_abandoned_runs()  # a crawl killed with SIGKILL no longer shows as running
        rows = store.list_reports(agency_ids or None, year)
    finally:
        store.close()
    if as_json:
        for row in rows:
            click.echo(json.dumps(row.to_json(), ensure_ascii=False))
        return
    _print_table(rows)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _print_table(rows: list[ReportSummary]) -> None:
    console = Console()
    if not rows:
        console.print("No reports stored yet.")
        return
    table = Table(title=f"{len(rows)} reports", show_lines=False)
    for name in (
        "agency",
        "year",
        "title",
        "URL",
        "versions",
        "first seen",
        "last seen",
        "errors",
        "warnings",
    ):
        table.add_column(name, no_wrap=name in ("agency", "year", "first seen", "last seen"))
    for r in rows:
        table.add_row(
            r.agency_id,
            str(r.year),
            r.title or "",
            r.url or "",
            str(r.versions),
            _when(r.first_seen),
            _when(r.last_seen),
            f"[red]{r.error_count}[/red]" if r.error_count else "0",
            f"[yellow]{r.warning_count}[/yellow]" if r.warning_count else "0",
        )
    console.print(table)


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command()
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
@click.pass_context
def upgrade(ctx: click.Context, revision: str) -> None:
    """Create or migrate the schema (the Store also does this when it opens)."""
    settings = settings_from_context(ctx)
    store = _open_store(settings, migrate=False)
    try:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            store.upgrade(revision)
        except SQLAlchemyError as exc:
            raise click.ClickException(f"upgrade failed: {exc}") from exc
        with store.engine.connect() as conn:

            current = ", ".join(sorted(current_revisions(conn))) or "(empty)"
    finally:
        store.close()
    click.echo(f"{settings.database_url}: at revision {current}")


@db.command()
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Check that every stored version's blob exists and still hashes to its name."""


    store = _open_store(settings_from_context(ctx))
    bad = 0
    try:
        with store.read_session() as s:
            rows = s.execute(select(Version.id, Version.sha256)).all()
        for version_id, sha in rows:
            if not store.blobs.verify(sha):
                bad += 1
                click.echo(f"version {version_id}: blob {sha} is missing or corrupt", err=True)
    finally:
        store.close()
    click.echo(f"{len(rows)} versions checked, {bad} bad")
    if bad:
        sys.exit(1)
