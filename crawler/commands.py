"""`nianbao crawl [--agency ID]...`: one crawl pass (in a child process), its progress and its summary.

On a terminal a live display shows the pages read, reports found and errors as they happen, with a clock
that runs until the crawl ends. Without a terminal (cron, systemd) a progress line is printed every
`--log-every` seconds, and each new report and error as it comes, so a log shows a crawl that is alive.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from nianbao.crawler.runner import CrawlSummary, run_crawl
from nianbao.monitor.status import SITE_LEVEL_ERRORS, failure_name
from nianbao.settings import Settings, settings_from_context

ALL_SITES_FAILED = 4  # exit status when no agency's site could be read


@click.command("crawl", short_help="Visit the agencies' sites now: new reports, new versions.", epilog="""\b
Exit status: 0 the crawl ran (some sites may have failed: see the list);
1 the crawl itself failed; 4 no site could be read at all.""")
@click.option("--agency", "agency_ids", multiple=True, metavar="ID", help="Crawl only this agency (repeatable).")
@click.option("--log-every", "log_every", type=click.FloatRange(min=1), default=30, show_default=True,
              help="Without a terminal (cron, systemd): seconds between progress lines.")
@click.pass_context
def crawl(ctx: click.Context, agency_ids: tuple[str, ...], log_every: float) -> None:
    """Visit the agencies' websites now: find new annual reports and new versions, record what failed."""
    settings = settings_from_context(ctx, database=True)
    agencies = registry_agencies(settings, list(agency_ids))
    unknown = sorted(set(agency_ids) - {a["id"] for a in agencies})
    if unknown:
        raise click.UsageError(f"没有这个机关代码：{', '.join(unknown)}（见设置中的机关清单或 nianbao agencies list）")
    if not agencies:
        raise click.ClickException("没有任何机关：请在设置的 agencies 机关清单文件中列出，或用 nianbao agencies import 导入")
    total = len(agencies)
    if sys.stdout.isatty():
        summary = _run_with_display(settings, list(agency_ids), total)
    else:
        summary = run_crawl(settings, list(agency_ids), on_progress=LogLines(total, log_every, click.echo))
    click.echo(format_summary(summary))
    if summary.returncode != 0 or summary.run_id is None:
        click.echo(summary.log[-3000:], err=True)
        raise click.ClickException("抓取失败（日志见上）")
    if every_site_failed(summary, agencies):
        click.echo("所有网站都无法抓取：请检查网络、代理或各网站的地址。", err=True)
        raise click.exceptions.Exit(ALL_SITES_FAILED)


def registry_agencies(settings: Settings, agency_ids: list[str]) -> list[dict[str, Any]]:
    """The active agencies of the registry in the database (those named, or all), after syncing the settings'
    agencies file into it: the same list the crawl child reads, so imported agencies count."""
    from nianbao.storage.store import Store

    try:
        store = Store.from_settings(settings)
    except Exception as exc:  # a wrong URL or a stopped server: one line, not a traceback
        raise click.ClickException(f"无法打开数据库 {settings.database_url}：{exc}") from exc
    try:
        store.sync_agencies(settings.agencies)
        return store.agency_rows(ids=agency_ids or None)
    finally:
        store.close()


def every_site_failed(summary: CrawlSummary, agencies: list[dict[str, Any]]) -> bool:
    """True when each crawled agency's site could not be read (a site-level error, or an error on one of
    its start pages) and nothing was found anywhere."""
    if not agencies or summary.reports_new or summary.reports_changed or summary.reports_unchanged:
        return False
    starts = {a["id"]: set(a["start_urls"]) for a in agencies}
    failed = {e["agency_id"] for e in summary.error_list
              if e.get("kind") in SITE_LEVEL_ERRORS or e.get("url") in starts.get(str(e.get("agency_id")), set())}
    return all(a["id"] in failed for a in agencies)


def event_lines(message: dict[str, Any]) -> list[str]:
    """The reports and errors a progress message brings, one line each, in Chinese."""
    lines = []
    for r in message.get("new_reports") or []:
        what = "新报告" if r.get("outcome") == "new_report" else "新版本"
        lines.append(f"{what}：{r.get('agency_id')} {r.get('year') or ''} 年度 {r.get('url') or ''}")
    for e in message.get("new_errors") or []:
        name = failure_name(e.get("kind"), e.get("message"), e.get("status_code"))
        lines.append(f"错误：{e.get('agency_id')} {name} {e.get('url') or ''}")
    return lines


def counts_text(message: dict[str, Any], total: int) -> str:
    return (f"机关 {message.get('agencies_visited', 0)}/{total} · 页面 {message.get('pages', 0)} · "
            f"新报告 {message.get('reports_new', 0)} · 新版本 {message.get('reports_changed', 0)} · "
            f"未变 {message.get('reports_unchanged', 0)} · 错误 {message.get('errors', 0)}")


class LogLines:
    """Progress for a log: every report and error as it comes, and the counts every `every` seconds."""

    def __init__(self, total: int, every: float, echo: Callable[[str], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.every, self.echo, self.clock = total, every, echo, clock
        self.started = self.last = clock()

    def __call__(self, message: dict[str, Any]) -> None:
        for line in event_lines(message):
            self.echo(line)
        now = self.clock()
        if now - self.last >= self.every:
            self.last = now
            elapsed = int(now - self.started)
            self.echo(f"[{elapsed // 3600:d}:{elapsed // 60 % 60:02d}:{elapsed % 60:02d}] 抓取中：{counts_text(message, self.total)}")


def _run_with_display(settings: Settings, agency_ids: list[str], total: int) -> CrawlSummary:
    # No bar: a bar of agencies started fills in seconds and then stops its clock while the crawl runs
    # on. A spinner, the running counts and a clock that runs until the crawl returns.
    console = Console()
    with Progress(SpinnerColumn(), TextColumn("[bold]抓取中"), TextColumn("{task.description}"),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task(counts_text({}, total), total=None)

        def update(message: dict[str, Any]) -> None:
            for line in event_lines(message):
                progress.console.print(line, highlight=False, markup=False)
            progress.update(task, description=counts_text(message, total))

        return run_crawl(settings, agency_ids, on_progress=update)


def format_summary(s: CrawlSummary) -> str:
    status = {"finished": "完成", "failed": "失败", "interrupted": "中断"}.get(s.status, s.status)
    lines = [
        f"抓取 #{s.run_id}：{status}，用时 {s.seconds:.1f} 秒",
        f"访问机关：{s.agencies_visited}/{s.agencies_total}",
        f"报告：新发现 {s.reports_new}，新版本 {s.reports_changed}，未变 {s.reports_unchanged}",
        f"页面：{s.pages}（未修改 {s.not_modified}），{s.bytes / 1024:.0f} KiB",
        f"错误：{s.errors}",
    ]
    lines += [f"  {e['agency_id']}：{failure_name(e['kind'], e.get('message'), e.get('status_code'))} {e['url']}"
              for e in s.error_list[:50]]
    return "\n".join(lines)
