"""The Jinja2 environment of the HTML pages: autoescaping, the label tables and the display filters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape

from nianbao.report import printed as labels

TEMPLATES = Path(__file__).resolve().parent / "templates"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(L=labels, label=labels.label, link=link)
    env.filters.update(pct=pct, date=date, num=num, datetime=datetime)
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


def datetime(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return date(value)


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
