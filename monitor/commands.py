"""`nianbao status`: each agency's status for a report year, as of a date."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterable, Iterator
from typing import Any

import click
from rich.cells import chop_cells, set_cell_size
from rich.console import Console
from rich.table import Table

from nianbao.monitor.rollup import statuses
from nianbao.monitor.status import STATUSES, AgencyStatus, scope_of
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
    """A report year from 2008 (the 条例) to next year; `status --year 20` is a mistake, not year 20. "Next
    year" is counted in the settings' time zone (Beijing), not the machine's: on 31 December from 16:00 UTC
    Beijing is already in the new year."""
    if value is not None and (problem := report_year_problem(value, settings_from_context(ctx).clock.today())):
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
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table (one agency a line).")
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
        rows = (status_row(s) for s in statuses(store, year, day, settings, scope))
        if as_json:
            _print_json(rows, year, day)
        else:
            _print_table(rows, year, day)


def _print_json(rows: Iterable[dict[str, Any]], year: int, day: dt.date) -> None:
    # Streamed, one agency a line: the document is the same JSON, but neither it nor an indented copy of
    # it is ever held in memory (json's indent also forces its pure-Python encoder, ~2x slower).
    lines = (json.dumps(row, ensure_ascii=False) for row in rows)
    head = f'{{"year": {year}, "as_of": "{day.isoformat()}", "agencies": ['
    body = ((",\n" if n else "\n") + line for n, line in enumerate(lines))
    _echo_chunks(itertools.chain([head], body), "\n]}")


def _echo_chunks(pieces: Iterable[str], tail: str) -> None:
    """Writes `pieces` as they come, a thousand to a write (one echo per agency cost as much as its JSON)."""
    for chunk in _batched(pieces, 1000):
        click.echo("".join(chunk), nl=False)
    if tail:
        click.echo(tail)


def _batched(pieces: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(pieces)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


# More rows than this are printed as plain aligned lines: rich lays out a table by measuring every cell of
# every row first (a quarter of an hour for 100,000 agencies); lines are written as they are read.
TABLE_ROWS = 500
LINE_WIDTH = 80  # a terminal, a cron mail


def _print_table(rows: Iterable[dict[str, Any]], year: int, day: dt.date) -> None:
    console = Console()  # off a terminal rich lays out 80 columns
    title = f"{year} 年度报告 · 截至 {day.isoformat()}"
    counts = dict.fromkeys(STATUSES, 0)
    it = iter(rows)
    first = list(itertools.islice(it, TABLE_ROWS + 1))
    for r in first:
        counts[r["status"]] += 1
    if len(first) <= TABLE_ROWS:
        console.print(_rich_table(first, title))
    else:
        def counted(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
            for r in rows:
                counts[r["status"]] += 1
                yield r

        lines = (_line(r) + "\n" for r in itertools.chain(first, counted(it)))
        _echo_chunks(itertools.chain([title + "\n", _line_header() + "\n"], lines), "")
    console.print("  ".join(f"{STATUS_LABELS[k]} {v}" for k, v in counts.items() if v or k in ("on_time", "late", "missing")))


def _rich_table(rows: list[dict[str, Any]], title: str) -> Table:
    # Fits 80 columns: the reason wraps in the last column.
    table = Table(title=title, expand=False)
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
    return table


# The plain lines' columns, in terminal cells (a Chinese character takes two): 机关 状态 截止日期 发布日期 错误,
# then the region and the reason on an indented line.
_COLUMNS = ((30, "机关"), (12, "状态"), (10, "截止日期"), (10, "发布日期"), (4, "错误"))


def _cells(text: str, width: int) -> str:
    """`text` cut or padded to `width` terminal cells."""
    return set_cell_size(text, width)


def _line_header() -> str:
    return " ".join(_cells(name, width) for width, name in _COLUMNS).rstrip()


def _line(r: dict[str, Any]) -> str:
    report = r["report"] or {}
    label = r["status_label"] + ("·未能读全" if report.get("fully_read") is False else "")
    values = (r["agency"], label, r["due"], r["judged_on"] or "—", str(r["errors"]) if report else "—")
    first = " ".join(_cells(v, width) for v, (width, _) in zip(values, _COLUMNS, strict=True)).rstrip()
    detail = "  " + "：".join(part for part in (r["region"], r["reason"]) if part)
    return first + "\n" + "\n    ".join(_wrap(detail, LINE_WIDTH))


def _wrap(text: str, width: int) -> list[str]:
    """`text` in pieces of at most `width` cells (Chinese has no spaces to break at), the later ones indented."""
    first, *rest = chop_cells(text, width) or [""]
    return [first, *("  " + piece for piece in chop_cells("".join(rest), width - 2))]
