"""The weekly digest: stored events of a period -> per-recipient HTML + text, recorded in the outbox.

Everything the digest says comes from the `events` table (plus the versions/findings they point at), so a
digest for any past period can be rebuilt. Each recipient sees only the agencies and regions they oversee.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from nianbao.monitor.rollup import status_lines
from nianbao.monitor.status import (
    NOT_OWED_YET,
    scope_of,
    site_failure_name,
    unread_reasons,
)
from nianbao.report.deadlines import latest_due_year
from nianbao.report.diff import figure_changes
from nianbao.report.grouping import group_findings
from nianbao.report.model import DOUBT_MARK
from nianbao.report.printed import RULE_LABELS, location_name
from nianbao.settings import Clock, Recipient, Settings
from nianbao.storage.models import Agency, Event, Version

TEMPLATES = Path(__file__).parent / "templates"

# Section order and titles; `kinds` are the event kinds that land in the section. Problems first: an
# overseer reading on a phone must meet what needs action before the news.
SECTIONS: tuple[tuple[str, str, tuple[str, ...], bool], ...] = (
    ("missing", "缺失", ("missing",), True),
    ("late", "逾期发布", ("late",), True),
    ("inconsistent", "数据不一致", ("new_errors",), True),
    # A new report or version that could not be read in full: its tables were not (all) checked.
    ("unread", "未能读全", ("not_fully_read",), True),
    ("failing", "网站无法访问", ("site_failing", "unreachable"), True),
    ("published", "新发布", ("new_report",), False),
    ("changed", "已更新", ("new_version",), False),
)
MAX_FINDINGS_PER_ITEM = 8
# Items listed per section; the rest are counted ("及其他 N 份") with a link to the dashboard. A first run
# finds every historical report at once: hundreds of "新发布" would bury the week's problems.
MAX_ITEMS_PER_SECTION = 20


@dataclass
class DigestItem:
    kind: str
    agency_id: str | None
    agency_name: str
    region: str | None = None
    year: int | None = None
    title: str | None = None
    link: str | None = None
    agency_link: str | None = None
    details: list[str] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    source_url: str | None = None  # the report as published, on the agency's site


@dataclass
class Section:
    key: str
    title: str
    alert: bool
    items: list[DigestItem]
    more_link: str | None = None  # the dashboard list of everything in the section

    @property
    def shown(self) -> list[DigestItem]:
        return self.items[:MAX_ITEMS_PER_SECTION]

    @property
    def hidden(self) -> int:
        return max(0, len(self.items) - MAX_ITEMS_PER_SECTION)


@dataclass
class RegionLine:
    """One region's line of the summary: agencies watched, due, published (on time or late), missing."""

    region: str
    agencies: int = 0
    due: int = 0
    published: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    unreachable: int = 0


@dataclass
class Overall:
    """Where the recipient's agencies stand for the latest year whose reports are due."""

    year: int
    regions: list[RegionLine]

    @property
    def total(self) -> RegionLine:
        line = RegionLine(region="合计")
        for r in self.regions:
            for key in ("agencies", "due", "published", "on_time", "late", "missing", "unreachable"):
                setattr(line, key, getattr(line, key) + getattr(r, key))
        return line


@dataclass
class DigestContent:
    period_start: dt.datetime
    period_end: dt.datetime
    as_of: dt.date
    sections: list[Section]
    dashboard_url: str
    recipient_name: str | None = None
    overall: Overall | None = None

    @property
    def empty(self) -> bool:
        return not any(s.items for s in self.sections)

    def counts(self) -> dict[str, int]:
        return {s.key: len(s.items) for s in self.sections}


@dataclass
class RenderedDigest:
    subject: str
    html: str
    text: str


# Where "及其他 N 份" leads on the dashboard, per section.
_MORE_LINKS = {"missing": "/agencies?status=missing", "late": "/agencies?status=late",
               "inconsistent": "/agencies?status=inconsistent", "unread": "/agencies?status=unread",
               "failing": "/agencies?status=unreachable", "published": "/agencies", "changed": "/agencies"}


def group_items(items: list[DigestItem], dashboard_url: str = "") -> list[Section]:
    """Put items into the fixed sections (empty ones kept, so the counts row is always complete)."""
    sections = []
    for key, title, kinds, alert in SECTIONS:
        chosen = [i for i in items if i.kind in kinds]
        # The newest year first: on a first run the history comes last, and is what the cap cuts.
        chosen.sort(key=lambda i: (-(i.year or 0), i.region or "", i.agency_name))
        sections.append(Section(key=key, title=title, alert=alert, items=chosen,
                                more_link=dashboard_url + _MORE_LINKS[key]))
    return sections


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "html.j2"]),
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )
    return env


def period_label(start: dt.datetime, end: dt.datetime) -> str:
    """The days of [start, end), in the time zone of `start` (week_period's: the configured one)."""
    last_day = (end.astimezone(start.tzinfo) - dt.timedelta(seconds=1)).date()
    return f"{start.date().isoformat()} 至 {last_day.isoformat()}"


def render(content: DigestContent) -> RenderedDigest:
    counts = content.counts()
    alerts = sum(n for s in content.sections if s.alert for n in [len(s.items)])
    label = period_label(content.period_start, content.period_end)
    if content.empty:
        subject = f"年报监测周报 {label}：本周无新情况"
    else:
        subject = (f"年报监测周报 {label}：新发布 {counts['published']}，更新 {counts['changed']}，"
                   f"需关注 {alerts}")
    env = _environment()
    context = {
        "subject": subject,
        "sections": content.sections,
        "empty": content.empty,
        "period_label": label,
        "as_of_label": content.as_of.isoformat(),
        "recipient_name": content.recipient_name,
        "dashboard_url": content.dashboard_url,
        "overall": content.overall,
    }
    html = env.get_template("digest.html.j2").render(**context)
    text = env.get_template("digest.txt.j2").render(**context)
    return RenderedDigest(subject=subject, html=html, text=text)


def value_text(value: Any) -> str:
    """A finding's expected/actual value for a table cell: blank for None, numbers as written."""
    if value is None:
        return "空"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return ", ".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
    return str(value)


def cell_label(location: str | None) -> str | None:
    """'applications.total_handled.natural_person' -> '（七）总计 / 自然人', as printed in the report."""
    if not location:
        return location
    return location_name(location, joiner=" / ", with_part=False)


def rule_label(rule: str | None) -> str | None:
    return RULE_LABELS.get(rule or "", rule)


def finding_row(f: dict[str, Any]) -> dict[str, Any]:
    locations = f.get("locations") or [f.get("location")]
    return {
        "rule": "、".join(filter(None, (rule_label(r) for r in f.get("rules") or [f.get("rule")]))),
        "location": "、".join(filter(None, (cell_label(loc) for loc in locations))),
        "message": f.get("message"),
        "expected_text": value_text(f.get("expected")),
        "actual_text": value_text(f.get("actual")),
        # Read from a scan, and a misreading may explain it: not a proven error (the mark is in the message).
        "doubtful": bool(f.get("doubtful")) or DOUBT_MARK in (f.get("message") or ""),
    }


def week_period(as_of: dt.date, since: dt.date | None = None, *, clock: Clock) -> tuple[dt.datetime, dt.datetime]:
    """[since 00:00, as_of+1 00:00) on the clock's calendar; by default the 7 days ending with `as_of`."""
    since = since or (as_of - dt.timedelta(days=6))
    return clock.start_of(since), clock.start_of(as_of + dt.timedelta(days=1))


def scheduled_week(now: dt.datetime, clock: Clock) -> dt.date:
    """The `as_of` of the weekly digest due at `now`: the last Sunday before today (on the clock's calendar).

    A digest job that runs late (the daemon was down on Monday) still builds the same Monday-to-Sunday
    week, so the outbox's unique (recipient, period) stops it from being built or sent twice.
    """
    today = clock.local_date(now)
    return today - dt.timedelta(days=today.isoweekday() % 7 or 7)


# --- from the Store ------------------------------------------------------------------------------------

BASIS_LABEL = {"published_date": "报告落款日期", "page_date": "网页发布日期", "first_seen": "首次发现日期"}


def dashboard_base(settings: Settings) -> str:
    return settings.dashboard.base_url.rstrip("/")


def collect_items(store: Any, start: dt.datetime, end: dt.datetime, base_url: str) -> list[DigestItem]:
    """One digest item per stored event with start <= at < end, with what the reader needs to act."""


    with store.read_session() as s:
        events = s.scalars(select(Event).where(Event.at >= start, Event.at < end).order_by(Event.at, Event.id)).all()
        # The week's agencies only, not the whole registry (300,000 rows for a national one).
        named = sorted({e.agency_id for e in events if e.agency_id})
        agencies = {a.id: a for start_at in range(0, len(named), 5000)
                    for a in s.scalars(select(Agency).where(Agency.id.in_(named[start_at:start_at + 5000])))}
        items = []
        for event in events:
            agency = agencies.get(event.agency_id or "")
            item = DigestItem(
                kind=event.kind, agency_id=event.agency_id,
                agency_name=agency.name if agency else (event.payload or {}).get("agency_name") or str(event.agency_id),
                region=agency.region if agency else None, year=event.year,
                title=(event.payload or {}).get("title"),
                agency_link=f"{base_url}/agencies/{event.agency_id}",
                link=_report_link(base_url, event.kind, event.report_id),
            )
            version = s.get(Version, event.version_id) if event.version_id else None
            _describe(s, item, event.kind, event.payload or {}, version)
            items.append(item)
            if event.kind in ("new_report", "new_version") and version is not None:
                items += _unread_item(s, item, version, base_url)
    return items


def _unread_item(s: Any, item: DigestItem, version: Any, base_url: str) -> list[DigestItem]:
    """The "未能读全" line of a new report or version that could not be read in full (none when it was)."""
    reasons = unread_reasons(s, [version.id])
    if version.id not in reasons:
        return []
    unread = DigestItem(kind="not_fully_read", agency_id=item.agency_id, agency_name=item.agency_name,
                        region=item.region, year=item.year, title=item.title, agency_link=item.agency_link,
                        link=f"{base_url}/reports/{version.report_id}")
    unread.details.append(f"未能读全：{reasons[version.id][:300]}")
    return [unread]


def _report_link(base_url: str, kind: str, report_id: int | None) -> str | None:
    if report_id is None:
        return None
    # A changed report links straight to the dashboard's diff of its versions.
    return f"{base_url}/reports/{report_id}/diff" if kind == "new_version" else f"{base_url}/reports/{report_id}"


def _describe(s: Any, item: DigestItem, kind: str, payload: dict[str, Any], version: Any) -> None:
    if kind == "new_report" and version is not None:
        item.details.append(f"格式 {version.source_format or '未知'} · 错误 {version.error_count} · 警告 {version.warning_count}")
        item.source_url = version.url
    elif kind == "new_version" and version is not None:
        item.details.append(f"第 {version.number} 版")
        item.source_url = version.url
        item.details += _figure_summary(s, version)
    elif kind == "missing":
        item.details.append(f"应于 {payload.get('due')} 前发布，监测网站上未找到")
    elif kind == "late":
        basis = BASIS_LABEL.get(payload.get("basis") or "", payload.get("basis") or "")
        item.details.append(f"发布于 {payload.get('judged_on')}（{basis}），截止 {payload.get('due')}，"
                            f"逾期 {payload.get('days_late')} 天")
    elif kind == "new_errors":
        # One wrong fact is one line, however many rules and cells flag it (report.grouping).
        groups = group_findings(payload.get("findings", []))
        item.findings = [finding_row(g.to_dict()) for g in groups[:MAX_FINDINGS_PER_ITEM]]
        if len(groups) > MAX_FINDINGS_PER_ITEM:
            item.details.append(f"另有 {len(groups) - MAX_FINDINGS_PER_ITEM} 项")
        item.source_url = payload.get("url")
    elif kind == "site_failing":
        why = site_failure_name(payload.get("last_error"))
        item.details.append(f"连续 {payload.get('runs')} 次抓取无法访问" + (f"（{why}）" if why else ""))
    elif kind == "unreachable":
        item.details.append(f"应于 {payload.get('due')} 前发布；网站无法访问，无法确认是否已发布")


def _figure_summary(s: Any, version: Any) -> list[str]:
    """Which cells changed against the previous version (the readable diff, in short)."""


    previous = s.scalar(
        select(Version).where(Version.report_id == version.report_id, Version.number < version.number)
        .order_by(Version.number.desc()).limit(1)
    )
    if previous is None or not previous.model or not version.model:
        return []
    changes = figure_changes(previous.model, version.model)
    if not changes:
        return ["表格数字未变（仅文字或格式变化）"]
    lines = [f"{cell_label(c.location)}: {value_text(c.old)} → {value_text(c.new)}" for c in changes[:6]]
    if len(changes) > 6:
        lines.append(f"另有 {len(changes) - 6} 处变化")
    return lines


@dataclass
class BuiltDigest:
    recipient: Recipient
    rendered: RenderedDigest
    content: DigestContent
    digest_id: int | None = None
    sent_at: dt.datetime | None = None


def build_digests(store: Any, settings: Settings, *, as_of: dt.date, since: dt.date | None = None,
                  record: bool = True, year: int | None = None) -> list[BuiltDigest]:
    """Build the digest of [since, as_of] for every recipient; with `record`, write them to the outbox.

    A digest already sent for the same recipient and period is returned as stored, never rebuilt;
    one still unsent is refreshed with what is known now. Without recipients in the settings, one
    digest covering everything is built (for --preview/--out), and nothing is recorded.
    """
    start, end = week_period(as_of, since, clock=settings.clock)
    base = dashboard_base(settings)
    items = collect_items(store, start, end, base)
    # The year of the overall line: by default the one every view defaults to (report.deadlines).
    year = year or latest_due_year(as_of, settings.deadlines.due)
    recipients = settings.recipients
    # Off the dashboard's roll-up when it holds the day (the daemon keeps it so): a national recipient's
    # summary is then one narrow query, not every agency's status judged again.
    lines = status_lines(store, year, as_of, settings, _scope(recipients))
    built = []
    for recipient in recipients or (Recipient(email="preview@localhost"),):
        mine = [i for i in items if recipient.covers(i.agency_id, i.region)]
        overall = overall_of([(region, status) for agency_id, region, status in lines
                              if recipient.covers(agency_id, region)], year)
        content = DigestContent(period_start=start, period_end=end, as_of=as_of, sections=group_items(mine, base),
                                dashboard_url=base, recipient_name=recipient.name, overall=overall)
        one = BuiltDigest(recipient=recipient, rendered=render(content), content=content)
        if record and recipients:
            _record(store, one, start, end)
        built.append(one)
    return built


def _scope(recipients: tuple[Recipient, ...]) -> Any:
    """The agencies some recipient oversees (None: all, when one oversees everything or none is set), so a
    province's recipients do not wait for the statuses of the whole nation."""
    if not recipients or any(not r.regions and not r.agencies for r in recipients):
        return None
    return scope_of([x for r in recipients for x in r.regions], [x for r in recipients for x in r.agencies])


def overall_of(statuses: Iterable[tuple[str | None, str]], year: int) -> Overall:
    """The recipient's agencies for `year`, per region, from their (region, status) (the statuses of
    monitor.status, as `nianbao status`)."""
    regions: dict[str, RegionLine] = {}
    for region, status in statuses:
        name = region or "（未填地区）"
        line = regions.setdefault(name, RegionLine(region=name))
        line.agencies += 1
        if status not in NOT_OWED_YET:
            line.due += 1
        if status in ("on_time", "late"):
            line.published += 1
        if status in ("on_time", "late", "missing", "unreachable"):
            setattr(line, status, getattr(line, status) + 1)
    # Worst first: most missing, then most late.
    ordered = sorted(regions.values(), key=lambda r: (-r.missing, -r.late, -r.unreachable, r.region))
    return Overall(year=year, regions=ordered)


def _record(store: Any, one: BuiltDigest, start: dt.datetime, end: dt.datetime) -> None:
    """Write the digest to the outbox before anything tries to send it (see alerts/mailer.py)."""
    as_of = dt.datetime.combine(one.content.as_of, dt.time(), tzinfo=start.tzinfo)
    row = store.record_digest(recipient=one.recipient.email, period_start=start, period_end=end, as_of=as_of,
                              subject=one.rendered.subject, html=one.rendered.html, text=one.rendered.text)
    if row.sent_at is not None:  # already sent: what the recipient got is what this digest is
        one.rendered = RenderedDigest(subject=row.subject, html=row.html, text=row.text)
    one.digest_id, one.sent_at = row.id, row.sent_at
