"""`nianbao status`: each agency's status for a report year, as of a date."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from nianbao.monitor.status import STATUSES, AgencyStatus, compute_statuses
from nianbao.settings import settings_from_context
from nianbao.storage.store import Store

STATUS_STYLE = {"on_time": "green", "late": "yellow", "missing": "red", "unreachable": "magenta", "not_due": "dim"}


def status_row(s: AgencyStatus) -> dict[str, Any]:
    report = s.report
    return {
        "agency_id": s.agency_id, "agency": s.agency_name, "region": s.extra.get("region"), "year": s.year,
        "status": s.status, "due": s.due.isoformat(), "owed": s.owed, "reason": s.reason,
        "judged_on": s.judged_on.isoformat() if s.judged_on else None, "basis": s.basis, "days_late": s.days_late,
        "report": None if report is None else {
            "id": report.report_id, "title": report.title, "url": report.url,
            "first_seen": report.first_seen.isoformat(),
            "published_date": report.published_date.isoformat() if report.published_date else None,
        },
        "versions": report.version_count if report else 0,
        "errors": report.error_count if report else 0,
        "warnings": report.warning_count if report else 0,
    }


@click.command()
@click.option("--year", type=int, default=None, help="Report year (default: last year, as of the date).")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Judge as known at the end of this day (default: today, in schedule.timezone).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def status(ctx: click.Context, year: int | None, as_of: dt.datetime | None, as_json: bool) -> None:
    """Each agency's status for a year: on_time, late, missing, unreachable or not_due."""
    settings = settings_from_context(ctx)
    day = as_of.date() if as_of else settings.clock.today()
    year = year or day.year - 1
    with Store.from_settings(settings) as store:
        store.sync_agencies(settings.agencies)
        rows = [status_row(s) for s in compute_statuses(store, year, day, settings)]
    if as_json:
        click.echo(json.dumps({"year": year, "as_of": day.isoformat(), "agencies": rows}, ensure_ascii=False, indent=2))
        return
    _print_table(rows, year, day)


def _print_table(rows: list[dict[str, Any]], year: int, day: dt.date) -> None:
    table = Table(title=f"{year} 年度报告 · 截至 {day.isoformat()}")
    for header in ("agency", "region", "status", "due", "judged on", "versions", "errors", "report"):
        table.add_column(header)
    for r in rows:
        style = STATUS_STYLE.get(r["status"], "")
        report = r["report"] or {}
        table.add_row(
            f"{r['agency']} ({r['agency_id']})", r["region"] or "", f"[{style}]{r['status']}[/]", r["due"],
            f"{r['judged_on'] or ''} {r['basis'] or ''}".strip(), str(r["versions"]), str(r["errors"]),
            report.get("title") or r["reason"],
        )
    console = Console()
    console.print(table)
    counts = {k: sum(1 for r in rows if r["status"] == k) for k in STATUSES}
    console.print("  ".join(f"{k}: {v}" for k, v in counts.items()))
