"""`nianbao demo`: the whole pipeline on a bundled farm of government sites, on this machine only.

Serves the demo farm (nianbao/app/demo_farm) on 127.0.0.1, writes a settings file for it, crawls it into
SQLite, publishes a corrected edition of one report and crawls again, derives the events, writes this
week's digest to the outbox folder (.eml + .html per recipient) and prints what happened and where to look.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

import click
import yaml
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from nianbao.alerts.digest import build_digests
from nianbao.alerts.mailer import write_eml
from nianbao.app.demo_farm import DEMO_YEAR, DemoFarm
from nianbao.crawler.runner import run_crawl
from nianbao.dashboard.users import add_user
from nianbao.monitor.commands import status_row
from nianbao.monitor.events import derive_events
from nianbao.monitor.status import compute_statuses
from nianbao.report.printed import EVENT_LABELS, label
from nianbao.settings import load_settings
from nianbao.storage.models import Event
from nianbao.storage.store import Store

# The files the demo owns inside its folder: removed before a new run so results never mix.
DEMO_FILES = ("nianbao.yaml", "agencies.yaml", "nianbao.db", "nianbao.db-wal", "nianbao.db-shm")
DEMO_DIRS = ("blobs", "outbox")

DEMO_CRAWL = {"concurrency": 8, "per_domain_concurrency": 4, "delay": 0, "autothrottle": False,
              "obey_robots": True, "timeout": 3, "retries": 0, "max_depth": 3}
# The dashboard account the demo creates (a reviewer, so the newcomer can also try acknowledging a finding);
# its password is new at every run and printed under "where to look".
DEMO_USER = "demo"
DEMO_RECIPIENTS = [
    {"email": "overseer@example.gov.cn", "name": "督查室（全部）"},
    {"email": "guangdong@example.gov.cn", "name": "广东省政务公开办", "regions": ["广东省"]},
]


def prepare_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in DEMO_FILES:
        (folder / name).unlink(missing_ok=True)
    for name in DEMO_DIRS:
        shutil.rmtree(folder / name, ignore_errors=True)
    return folder


def write_settings(folder: Path, agencies: list[dict[str, Any]]) -> Path:
    (folder / "agencies.yaml").write_text(yaml.safe_dump({"agencies": agencies}, allow_unicode=True), encoding="utf-8")
    settings = {
        "database_url": "sqlite:///nianbao.db",
        "blob_dir": "blobs",
        "outbox_dir": "outbox",
        "agencies": "agencies.yaml",
        "crawl": DEMO_CRAWL,
        "recipients": DEMO_RECIPIENTS,
        # Nothing is sent by the demo; a loopback address keeps any later `digest --send` on this machine.
        "smtp": {"host": "127.0.0.1", "port": 8025, "security": "none", "sender": "nianbao@example.gov.cn"},
    }
    path = folder / "nianbao.yaml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


def default_folder() -> Path:
    """./data-demo when the current folder is writable, else a fresh temporary folder."""
    here = Path.cwd() / "data-demo"
    try:
        here.mkdir(exist_ok=True)
        probe = here / ".write-test"
        probe.write_text("", encoding="utf-8")
        probe.unlink()
        return here
    except OSError:
        return Path(tempfile.mkdtemp(prefix="nianbao-demo-"))


def run_demo(folder: Path, echo: Any = click.echo) -> dict[str, Any]:
    """Run the demo in `folder`; returns what it found (for the command's summary and for tests)."""
    folder = prepare_folder(folder.resolve())
    farm = DemoFarm().start()
    try:
        config = write_settings(folder, farm.agencies_yaml())
        settings = load_settings(config)
        echo(f"演示网站：本机 127.0.0.1 上 {len(farm.sites)} 个（另有 1 个拒绝连接）")
        crawls = [run_crawl(settings)]
        echo(_crawl_line(1, crawls[0]))
        farm.change_report()
        echo("广州市统计局发布了更正后的报告（行政处罚 2 -> 3）")
        crawls.append(run_crawl(settings))
        echo(_crawl_line(2, crawls[1]))
    finally:
        farm.stop()
    today = settings.clock.today()
    with Store.from_settings(settings) as store:
        derived = derive_events(store, settings, years=[DEMO_YEAR])
        statuses = [status_row(s) for s in compute_statuses(store, DEMO_YEAR, today, settings)]
        built = build_digests(store, settings, as_of=today, record=False, year=DEMO_YEAR)
        reports = store.list_reports()
        event_counts = _event_counts(store)
        password = secrets.token_urlsafe(9)
        add_user(store, DEMO_USER, password, "reviewer")
    outbox = [write_eml(settings.outbox_dir, one, settings.smtp.sender) for one in built]
    return {"folder": folder, "config": config, "crawls": crawls, "derived": derived.added, "statuses": statuses,
            "reports": reports, "events": event_counts, "digests": built, "outbox": outbox, "year": DEMO_YEAR,
            "today": today,
            "login": {"name": DEMO_USER, "password": password, "url": str(settings.dashboard.base_url)}}


def _crawl_line(n: int, summary: Any) -> str:
    state = RUN_LABELS.get(summary.status, summary.status)
    return (f"第 {n} 次抓取：{state}，新报告 {summary.reports_new} 份，更新 {summary.reports_changed} 份，"
            f"未变 {summary.reports_unchanged} 份，网站错误 {summary.errors} 个（{summary.seconds:.1f} 秒）")


RUN_LABELS = {"finished": "完成", "failed": "失败", "interrupted": "中断", "running": "进行中"}


def _event_counts(store: Any) -> dict[str, int]:


    with store.read_session() as s:
        return dict(s.execute(select(Event.kind, func.count()).group_by(Event.kind)).all())


def print_summary(result: dict[str, Any]) -> None:
    console = Console()
    table = Table(title="已存报告")
    for header in ("机关", "年度", "版本数", "错误", "发布日期"):
        table.add_column(header)
    for r in result["reports"]:
        table.add_row(r.agency_name, str(r.year), str(r.versions), str(r.error_count),
                      r.published_date.isoformat() if r.published_date else "")
    console.print(table)
    table = Table(title=f"{result['year']} 年度报告截至今天的状态")
    for header in ("机关", "状态", "说明"):
        table.add_column(header)
    for s in result["statuses"]:
        table.add_row(s["agency"], s["status_label"], s["reason"])
    console.print(table)
    console.print("事件：" + "，".join(f"{label(EVENT_LABELS, k)} {v}" for k, v in sorted(result["events"].items())))
    for one in result["digests"]:
        counts = one.content.counts()
        titles = {section.key: section.title for section in one.content.sections}
        console.print(f"发给 {one.recipient.email} 的周报：" + "，".join(f"{titles.get(k, k)} {v}" for k, v in counts.items()))
    config = result["config"]
    console.print("\n[bold]去哪里看[/bold]")
    for path in result["outbox"]:
        console.print(f"  {path}  （用浏览器打开 {path.with_suffix('.html').name}）")
    console.print(f"  数据库：{result['folder'] / 'nianbao.db'}")
    console.print(f"  nianbao --config {config} status --year {result['year']}")
    console.print(f"  nianbao --config {config} digest --preview")
    console.print(f"  nianbao --config {config} serve      （启动网页看板）")
    login = result["login"]
    console.print(f"  然后打开 {login['url']}，用户名 [bold]{login['name']}[/bold]，"
                  f"密码 [bold]{login['password']}[/bold]（审核员；点页头的用户名可改密码）")


@click.command(short_help="Try it in a minute on bundled demo sites (all local).")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the demo keeps its settings, SQLite database and outbox (default: ./data-demo).")
def demo(folder: Path | None) -> None:
    """Try nianbao in a minute: crawl a few bundled demo government sites and write this week's digest
    (everything stays on this machine)."""
    folder = folder or default_folder()
    click.echo(f"演示文件夹：{folder}")
    result = run_demo(folder)
    print_summary(result)
    click.echo(f"完成（{result['today'].isoformat()}，北京时间）。")
