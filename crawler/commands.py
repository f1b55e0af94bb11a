"""`nianbao crawl [--agency ID]...`: one crawl pass (in a child process) and its summary."""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from nianbao.crawler.runner import CrawlSummary, run_crawl
from nianbao.settings import SettingsError, load_settings


@click.command("crawl")
@click.option("--agency", "agency_ids", multiple=True, metavar="ID", help="Crawl only this agency (repeatable).")
@click.pass_context
def crawl(ctx: click.Context, agency_ids: tuple[str, ...]) -> None:
    """Crawl the agencies' sites once: new reports, new versions, errors."""
    try:
        settings = load_settings((ctx.obj or {}).get("config_path"))
    except SettingsError as exc:
        raise click.ClickException(f"invalid settings:\n{exc}") from exc
    unknown = [a for a in agency_ids if settings.agency(a) is None]
    if unknown:
        raise click.UsageError(f"unknown agency id(s): {', '.join(unknown)}")
    if not settings.agencies:
        raise click.ClickException("no agencies configured (see the agencies file of the settings)")
    total = len(agency_ids) or len(settings.agencies)
    summary = _run_with_progress(settings, list(agency_ids), total) if sys.stdout.isatty() else \
        run_crawl(settings, list(agency_ids))
    click.echo(format_summary(summary))
    if summary.returncode != 0 or summary.run_id is None:
        click.echo(summary.log[-3000:], err=True)
        raise click.ClickException("the crawl failed (log above)")


def _run_with_progress(settings: Any, agency_ids: list[str], total: int) -> CrawlSummary:
    with Progress(TextColumn("[bold]crawl"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  TimeElapsedColumn(), transient=True) as progress:
        task = progress.add_task("", total=total)

        def update(message: dict[str, Any]) -> None:
            progress.update(task, completed=message.get("agencies_visited", 0), description=(
                f"new {message.get('reports_new', 0)}  changed {message.get('reports_changed', 0)}  "
                f"unchanged {message.get('reports_unchanged', 0)}  errors {message.get('errors', 0)}"))

        return run_crawl(settings, agency_ids, on_progress=update)


def format_summary(s: CrawlSummary) -> str:
    lines = [
        f"crawl run {s.run_id}: {s.status} in {s.seconds:.1f}s",
        f"agencies visited: {s.agencies_visited}/{s.agencies_total}",
        f"reports: {s.reports_new} new, {s.reports_changed} changed, {s.reports_unchanged} unchanged",
        f"pages: {s.pages} ({s.not_modified} not modified), {s.bytes / 1024:.0f} KiB",
        f"errors: {s.errors}",
    ]
    lines += [f"  {e['agency_id']}: {e['kind']} {e['url']} ({e['message'][:120]})" for e in s.error_list[:50]]
    return "\n".join(lines)
