"""The Jinja2 environment of the HTML pages: autoescaping, the label tables and the display filters."""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape

from nianbao.report import printed as labels

TEMPLATES = Path(__file__).resolve().parent / "templates"


def environment(zone: dt.tzinfo) -> Environment:
    """The pages' templates; `zone` is the settings' clock (times are shown there, 北京时间 by default)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(L=labels, label=labels.label, link=link)
    env.filters.update(pct=pct, date=date, num=num, datetime=partial(shown_time, zone=zone))
    return env


def link(path: str, **params: Any) -> str:
    """A URL with a query string of the non-empty params (filters carried from page to page)."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{path}?{query}" if query else path


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def date(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]


def local_time(value: Any, zone: dt.tzinfo) -> str | None:
    """'2026-12-03 20:35 北京时间': a stored moment (naive ones are UTC, as the store writes them) in `zone`."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        return date(value)
    moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M ") + zone_name(zone)


def shown_time(value: Any, zone: dt.tzinfo) -> str:
    return local_time(value, zone) or "—"


def zone_name(zone: dt.tzinfo) -> str:
    return "北京时间" if str(zone) in ("Asia/Shanghai", "Asia/Chongqing", "PRC") else str(zone)


def num(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    if isinstance(value, int | float):
        try:
            return f"{int(value):,}"
        except (ValueError, OverflowError):  # a version stored before cells were bounded (12 digits)
            return "（数字过长）"
    return str(value)
