"""Fetch rows: what the crawler last saw at a URL (conditional requests, skipping known URLs).

Every write is an upsert on url_hash (INSERT … ON CONFLICT DO UPDATE): two processes recording the same
URL never race between a read and an insert.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from nianbao.storage.engine import aware, dialect_insert
from nianbao.storage.models import Fetch


@dataclass(frozen=True)
class FetchRecord:
    url: str
    agency_id: str | None
    status_code: int | None
    etag: str | None
    last_modified: str | None
    sha256: str | None
    content_type: str | None
    fetched_at: datetime
    is_report: bool
    report_id: int | None
    checked_at: datetime | None = None  # when the site last confirmed the URL (200 or 304)
    links: dict[str, Any] | None = None  # what the crawler derived from the page (see crawler/spiders)


@dataclass(frozen=True)
class FetchRow:
    """One row of `fetches` as the crawler writes it in batches (Store.write_crawl_batch)."""

    url: str
    agency_id: str | None
    status_code: int | None
    etag: str | None
    last_modified: str | None
    content_type: str | None
    fetched_at: datetime
    sha256: str | None = None
    is_report: bool = False
    report_id: int | None = None
    links: dict[str, Any] | None = None


_FETCHES = cast(Table, Fetch.__table__)  # Core statements with many parameter sets run as one executemany
_FETCH_ROW_FIELDS = tuple(f.name for f in fields(FetchRow))


def url_hash(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8")).hexdigest()


# --- reading ---------------------------------------------------------------------------------------


def get_fetch(s: Session, url: str) -> FetchRecord | None:
    row = s.scalar(select(Fetch).where(Fetch.url_hash == url_hash(url)))
    return fetch_record(row) if row else None


def load_fetches(s: Session, agency_ids: Iterable[str] | None = None) -> dict[str, FetchRecord]:
    query = select(Fetch)
    if agency_ids is not None:
        query = query.where(Fetch.agency_id.in_(list(agency_ids)))
    return {row.url: fetch_record(row) for row in s.scalars(query.execution_options(yield_per=2000))}


def fetch_record(row: Fetch) -> FetchRecord:
    return FetchRecord(
        url=row.url,
        agency_id=row.agency_id,
        status_code=row.status_code,
        etag=row.etag,
        last_modified=row.last_modified,
        sha256=row.sha256,
        content_type=row.content_type,
        fetched_at=row.fetched_at,
        is_report=row.is_report,
        report_id=row.report_id,
        checked_at=row.checked_at,
        links=row.links,
    )


# --- writing ---------------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _upsert_statement(dialect: str, columns: tuple[str, ...]) -> Any:
    """INSERT … ON CONFLICT (url_hash) DO UPDATE of `columns`, built once per dialect and column set."""
    statement = dialect_insert(dialect)(_FETCHES)
    return statement.on_conflict_do_update(
        index_elements=[_FETCHES.c.url_hash], set_={k: statement.excluded[k] for k in columns if k != "url_hash"}
    )


def upsert_fetch(s: Session, url: str, **values: Any) -> None:
    """Insert or update the fetch row of `url` in one statement (no race between processes)."""
    # A URL fetched is a URL the site confirmed at that moment.
    row = {"url": url, "url_hash": url_hash(url), "checked_at": values.get("fetched_at"), **values}
    s.execute(_upsert_statement(s.get_bind().dialect.name, tuple(row)), row)


def record_document_fetch(
    s: Session,
    url: str,
    agency_id: str,
    headers: Mapping[str, str],
    sha: str,
    report_id: int | None,
    at: datetime,
) -> None:
    """The fetch row of a document save_version was given (a report when `report_id` is set)."""
    upsert_fetch(
        s,
        url,
        agency_id=agency_id,
        etag=header(headers, "etag"),
        last_modified=header(headers, "last-modified"),
        sha256=sha,
        content_type=header(headers, "content-type"),
        is_report=report_id is not None,
        report_id=report_id,
        fetched_at=at,
    )


def write_crawl_batch(
    s: Session,
    fetches: Sequence[FetchRow],
    links: Sequence[tuple[str, dict[str, Any]]],
    checked: Sequence[str],
    at: datetime,
) -> None:
    """Fetch rows (upserts), links of pages whose row another write made, URLs confirmed at `at`."""
    if fetches:
        _upsert_fetches(s, fetches, at)
    if links:
        s.execute(update(_FETCHES).where(_FETCHES.c.url_hash == bindparam("h")).values(links=bindparam("l")),
                  [{"h": url_hash(url), "l": value} for url, value in dict(links).items()])
    if checked:
        s.execute(update(_FETCHES).where(_FETCHES.c.url_hash == bindparam("h")).values(checked_at=at),
                  [{"h": url_hash(url)} for url in dict.fromkeys(checked)])


def _upsert_fetches(s: Session, rows: Sequence[FetchRow], at: datetime) -> None:
    """Many fetch rows in one executemany upsert (the last row of a URL wins)."""
    values = {
        url_hash(r.url): {
            **{name: getattr(r, name) for name in _FETCH_ROW_FIELDS},  # not asdict: it deep-copies links
            "url_hash": url_hash(r.url),
            "fetched_at": aware(r.fetched_at),
            "checked_at": at,
        }
        for r in rows
    }
    columns = tuple(next(iter(values.values())))
    s.execute(_upsert_statement(s.get_bind().dialect.name, columns), list(values.values()))


# --- headers ---------------------------------------------------------------------------------------


def normalise_headers(headers: Mapping[Any, Any] | None) -> dict[str, str]:
    """HTTP headers as JSON: str keys and values. Accepts dicts and Scrapy's Headers (bytes, lists)."""
    result: dict[str, str] = {}
    for key, value in (headers or {}).items():
        values = value if isinstance(value, list | tuple) else [value]
        texts = [v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values]
        name = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        result[name] = ", ".join(texts)
    return result


def header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
