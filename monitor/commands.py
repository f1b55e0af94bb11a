"""`nianbao status`: each agency's status for a report year, as of a date."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from nianbao.monitor.status import STATUSES, AgencyStatus, compute_statuses, scope_of
from nianbao.report.deadlines import latest_due_year, report_year_problem
from nianbao.report.printed import STATUS_LABELS
from nianbao.settings import settings_from_context
from nianbao.storage.store import Store

STATUS_STYLE = {"on_time": "green", "late": "yellow", "missing": "red", "unreachable": "magenta", "unchecked": "cyan",
                "not_due": "dim", "not_owed": "dim"}


def status_row(s: AgencyStatus) -> dict[str, Any]:
    report = s.report
    return {
        "agency_id": s.agency_id, "agency": s.agency_name, "region": s.extra.get("region"), "year": s.year,
        "status": s.status, "status_label": STATUS_LABELS[s.status], "due": s.due.isoformat(), "owed": s.owed,
        "reason": s.reason, "judged_on": s.judged_on.isoformat() if s.judged_on else None, "basis": s.basis,
        "days_late": s.days_late,
        "report": None if report is None else {
            "id": report.report_id, "title": report.title, "url": report.url,
            "first_seen": report.first_seen.isoformat(),
            "published_date": report.published_date.isoformat() if report.published_date else None,
            "fully_read": report.fully_read,
        },
        "versions": report.version_count if report else 0,
        "errors": report.error_count if report else 0,
        "warnings": report.warning_count if report else 0,
    }


def year_option(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    """A report year from 2008 (the 条例) to next year; `status --year 20` is a mistake, not year 20."""
    if value is not None and (problem := report_year_problem(value, dt.date.today())):
        raise click.BadParameter(problem)
    return value


@click.command(short_help="Who published a year's report on time, late, or not at all.")
@click.option("--year", type=int, default=None, callback=year_option,
              help="Report year (default: the latest year whose reports are due).")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Judge as known at the end of this day (default: today, in schedule.timezone).")
@click.option("--region", "regions", multiple=True, metavar="REGION",
              help="Only the agencies of this region and the regions below it (广东省 covers 广东省/广州市); "
                   "repeat for several.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def status(ctx: click.Context, year: int | None, as_of: dt.datetime | None, regions: tuple[str, ...],
           as_json: bool) -> None:
    """Which agencies published their annual report for a year on time, late, or not at all."""
    settings = settings_from_context(ctx, database=True)
    day = as_of.date() if as_of else settings.clock.today()
    year = year or latest_due_year(day, settings.deadlines.due)
    with Store.from_settings(settings) as store:
        store.sync_agencies(settings.agencies)
        scope = scope_of(regions) if regions else None  # read in the database, not filtered after
        rows = [status_row(s) for s in compute_statuses(store, year, day, settings, scope)]
    if as_json:
        click.echo(json.dumps({"year": year, "as_of": day.isoformat(), "agencies": rows}, ensure_ascii=False, indent=2))
        return
    _print_table(rows, year, day)


def _print_table(rows: list[dict[str, Any]], year: int, day: dt.date) -> None:
    # Fits 80 columns (a terminal, a cron mail): the reason wraps in the last column.
    table = Table(title=f"{year} 年度报告 · 截至 {day.isoformat()}", expand=False)
    for header in ("机关", "状态", "截止日期", "发布日期", "错误", "说明"):
        table.add_column(header, no_wrap=header in ("截止日期", "发布日期", "错误"))
    for r in rows:
        style = STATUS_STYLE.get(r["status"], "")
        report = r["report"] or {}
        label = r["status_label"] + ("\n[yellow]未能读全[/]" if report.get("fully_read") is False else "")
        table.add_row(
            f"{r['agency']}\n[dim]{r['region'] or ''}[/]", f"[{style}]{label}[/]", r["due"], r["judged_on"] or "—",
            str(r["errors"]) if report else "—", r["reason"],
        )
    console = Console()  # off a terminal rich lays out 80 columns
    console.print(table)
    counts = {k: sum(1 for r in rows if r["status"] == k) for k in STATUSES}
    console.print("  ".join(f"{STATUS_LABELS[k]} {v}" for k, v in counts.items() if v or k in ("on_time", "late", "missing")))
