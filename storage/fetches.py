"""Fetch rows: what the crawler last saw at a URL (conditional requests, skipping known URLs).

Every write is an upsert on url_hash (INSERT … ON CONFLICT DO UPDATE): two processes recording the same
URL never race between a read and an insert.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, Text, bindparam, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from nianbao.storage.engine import aware, dialect_insert
from nianbao.storage.models import Fetch


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """A fetch row as the crawler reads it. A crawl holds one per known URL of its agencies (millions for a
    national registry on one machine), hence slots and the links kept as their JSON text until a page
    needs them."""

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
    links_json: str | None = None  # what the crawler derived from the page (see crawler/spiders), as JSON

    @property
    def links(self) -> dict[str, Any] | None:
        value = json.loads(self.links_json) if self.links_json else None
        return value if isinstance(value, dict) else None


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
    """The fetch rows of the agencies (all when None) by URL: plain columns, not ORM objects (at 3 million
    rows those cost minutes and gigabytes), the links as text, repeated strings shared."""
    query = select(*(_FETCHES.c[name] for name in _RECORD_COLUMNS), sql_cast(_FETCHES.c.links, Text))
    ids = None if agency_ids is None else sorted(set(agency_ids))
    records: dict[str, FetchRecord] = {}
    # Bounded IN lists: a driver takes at most 65,535 bound values in one statement.
    for start in range(0, len(ids) if ids is not None else 1, _IN_BATCH):
        chunk = query if ids is None else query.where(_FETCHES.c.agency_id.in_(ids[start:start + _IN_BATCH]))
        for row in s.execute(chunk.execution_options(yield_per=5000)):
            records[row[0]] = _compact(row)
    return records


_RECORD_COLUMNS = ("url", "agency_id", "status_code", "etag", "last_modified", "sha256", "content_type",
                   "fetched_at", "is_report", "report_id", "checked_at")
_IN_BATCH = 20000


def _compact(row: Any) -> FetchRecord:
    url, agency_id, status, etag, modified, sha, kind, fetched, is_report, report_id, checked, links = row
    return FetchRecord(url, _shared(agency_id), status, etag, _shared(modified), sha, _shared(kind), fetched,
                       is_report, report_id, checked, None if links in (None, "null") else links)


def _shared(text: str | None) -> str | None:
    # An agency's ten rows, a site's dates and content types: one string each, not one per row.
    return None if text is None else sys.intern(text)


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
        links_json=None if row.links is None else json.dumps(row.links, ensure_ascii=False),
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
