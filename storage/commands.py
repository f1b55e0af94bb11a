"""`nianbao reports` (list stored reports) and `nianbao db` (schema and blob maintenance)."""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from nianbao.report.deadlines import report_year_problem
from nianbao.settings import Settings, settings_from_context
from nianbao.storage.migrate import current_revisions
from nianbao.storage.models import Version
from nianbao.storage.reports import ReportSummary
from nianbao.storage.store import Store


def _open_store(settings: Settings, *, migrate: bool = True) -> Store:
    try:
        return Store.from_settings(settings, migrate=migrate)
    except Exception as exc:  # a wrong URL or a stopped server: one line, not a traceback
        raise click.ClickException(f"无法打开数据库 {settings.database_url}：{exc}") from exc


def _year(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    # Today in the settings' time zone (Beijing), as every status is judged, not the machine's.
    if value is not None and (problem := report_year_problem(value, settings_from_context(ctx).clock.today())):
        raise click.BadParameter(problem)
    return value


@click.command(short_help="The annual reports found so far, per agency and year.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--agency", "agency_ids", multiple=True, metavar="ID", help="Only this agency (repeatable).")
@click.option("--year", type=int, default=None, callback=_year, help="Only reports on this year.")
@click.pass_context
def reports(ctx: click.Context, as_json: bool, agency_ids: tuple[str, ...], year: int | None) -> None:
    """The annual reports found so far: agency, year, title, versions, errors."""
    store = _open_store(settings_from_context(ctx, database=True))
    try:
        store.close_abandoned_runs()  # a crawl killed with SIGKILL no longer shows as running
        rows = store.list_reports(agency_ids or None, year)
        stored = store.list_reports() if not rows and (agency_ids or year) else rows
    finally:
        store.close()
    if as_json:
        for row in rows:
            click.echo(json.dumps(row.to_json(), ensure_ascii=False))
        return
    if not rows:
        click.echo(nothing_found(stored, agency_ids, year))
        return
    _print_table(rows)


def nothing_found(stored: list[ReportSummary], agency_ids: tuple[str, ...], year: int | None) -> str:
    """Why the list is empty: nothing stored at all, or nothing for the filter (and what there is)."""
    if not stored:
        return "还没有存储任何报告：请先运行 nianbao crawl。"
    asked = "、".join(filter(None, [f"{year} 年度" if year else "", "机关 " + "、".join(agency_ids) if agency_ids else ""]))
    years = sorted({r.year for r in stored})
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    return f"没有{asked}的报告（已存储 {len(stored)} 份报告，年度 {span}）。"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _print_table(rows: list[ReportSummary]) -> None:
    console = Console()  # off a terminal rich lays out 80 columns: the title and URL wrap
    table = Table(title=f"共 {len(rows)} 份报告", show_lines=False)
    for name in ("机关", "年度", "标题 / 网址", "版本", "首次发现", "错误", "警告"):
        table.add_column(name, no_wrap=name in ("年度", "版本", "首次发现", "错误", "警告"))
    for r in rows:
        table.add_row(
            f"{r.agency_name}\n[dim]{r.agency_id}[/dim]",
            str(r.year),
            f"{r.title or ''}\n[dim]{r.url or ''}[/dim]",
            str(r.versions),
            _when(r.first_seen),
            f"[red]{r.error_count}[/red]" if r.error_count else "0",
            f"[yellow]{r.warning_count}[/yellow]" if r.warning_count else "0",
        )
    console.print(table)


@click.group(short_help="Database upkeep: migrate the schema, verify stored originals.")
def db() -> None:
    """Database upkeep: create or migrate the schema, verify the stored originals."""


@db.command()
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
@click.pass_context
def upgrade(ctx: click.Context, revision: str) -> None:
    """Create or migrate the schema (the Store also does this when it opens)."""
    settings = settings_from_context(ctx, database=True)
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


    store = _open_store(settings_from_context(ctx, database=True))
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
