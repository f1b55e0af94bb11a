"""The Store: the only way other rooms write to (or read from) the database. See docs/STORE.md.

A façade over the modules beside it (engine, agencies, runs, fetches, versions, reports, events, outbox,
users, rollup): each method is one transaction around their session-level functions. Callers that must
combine writes in one transaction (monitor.events, the dashboard's reviews, the roll-up, the mailer)
open `Store.session()` and call those functions themselves; nothing outside storage writes a row.

Every write is one transaction. Blobs are written before the transaction commits and are named by
their content, so a process killed at any moment leaves at most an unreferenced blob, never half a
version. On SQLite write transactions start with BEGIN IMMEDIATE so that two processes (crawler and
daemon) queue on the busy timeout instead of failing when a reader upgrades to a writer.

Storage never parses: save_version takes the caller's parse result and year-chain rule.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from nianbao.storage import (
    agencies,
    events,
    evidence,
    fetches,
    outbox,
    rechecks,
    reports,
    runs,
    sessions,
    users,
    versions,
)
from nianbao.storage.blobs import BlobStore
from nianbao.storage.engine import PG_MIGRATION_LOCK, SQLITE_BUSY_TIMEOUT_MS, aware, make_engine
from nianbao.storage.events import EVENT_KINDS, add_event
from nianbao.storage.evidence import CaptureRecord
from nianbao.storage.fetches import FetchRecord, FetchRow, normalise_headers, url_hash
from nianbao.storage.models import Digest, Finding, Report, Version, utcnow
from nianbao.storage.reports import ReportSummary
from nianbao.storage.runs import (
    CRAWL_STATUSES,
    HEARTBEAT_SECONDS,
    SITE_ERROR_KINDS,
    STALE_RUN_SECONDS,
)
from nianbao.storage.sessions import TOUCH_EVERY, SessionUser
from nianbao.storage.users import UnknownUser, UserExists, UserHasReviews, UserInfo
from nianbao.storage.versions import Exchange, NewBytes, ParsedContent, SaveResult, UnknownAgency, YearChain

if TYPE_CHECKING:
    from nianbao.settings import AgencyConfig, Settings

# The names callers import from here (the façade's vocabulary).
__all__ = [
    "CRAWL_STATUSES",
    "EVENT_KINDS",
    "HEARTBEAT_SECONDS",
    "SITE_ERROR_KINDS",
    "SQLITE_BUSY_TIMEOUT_MS",
    "STALE_RUN_SECONDS",
    "CaptureRecord",
    "FetchRecord",
    "FetchRow",
    "ParsedContent",
    "ReportSummary",
    "SaveResult",
    "SessionUser",
    "Store",
    "UnknownAgency",
    "UnknownUser",
    "UserExists",
    "UserHasReviews",
    "UserInfo",
    "YearChain",
    "add_event",
    "make_engine",
    "normalise_headers",
    "url_hash",
]

log = logging.getLogger(__name__)

_SAVE_ATTEMPTS = 3


class Store:
    def __init__(
        self,
        database_url: str,
        blob_dir: str | os.PathLike[str],
        *,
        migrate: bool = True,
        echo: bool = False,
    ) -> None:
        self.database_url = database_url
        self.engine = make_engine(database_url, echo=echo)
        self.dialect = self.engine.dialect.name
        self._write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self._writer = sessionmaker(self._write_engine, expire_on_commit=False)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self.blobs = BlobStore(blob_dir)
        if migrate:
            self.upgrade()

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> Store:
        return cls(settings.database_url, settings.blob_dir, **kwargs)

    # -- lifecycle ---------------------------------------------------------------------------------

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to `revision` (alembic upgrade), serialised across processes."""
        from nianbao.storage.migrate import upgrade  # Alembic: loaded only when a schema may change

        with self._write_engine.begin() as conn:
            if self.dialect == "postgresql":
                # Two processes opening a fresh database at once must not both create the tables.
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
            upgrade(conn, revision)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A write session: one transaction, committed when the block ends, rolled back on error."""
        with self._writer.begin() as session:
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading only: on SQLite it does not take the write lock."""
        with self._reader.begin() as session:
            yield session

    # -- agencies ----------------------------------------------------------------------------------

    def sync_agencies(self, configured: Iterable[AgencyConfig]) -> dict[str, int]:
        """Make the agencies table match the configured list; agencies no longer listed are kept
        (their reports stay) but marked inactive. Returns counts added/updated/deactivated."""
        with self.session() as s:
            return agencies.sync_agencies(s, configured)

    def import_agencies(self, imported: Iterable[AgencyConfig]) -> dict[str, int]:
        """Upsert agencies of the registry (`nianbao agencies import`): counts added/updated."""
        with self.session() as s:
            return agencies.import_agencies(s, imported)

    def settings_agency_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of `ids` the settings' agencies file owns (an import may not take them over)."""
        with self.read_session() as s:
            return agencies.settings_ids(s, ids)

    def agency_rows(self, *, ids: Sequence[str] | None = None, hosts: Sequence[str] | None = None,
                    include_inactive: bool = False) -> list[dict[str, Any]]:
        """Agencies of the registry as plain mappings (storage.agencies.agency_rows)."""
        with self.read_session() as s:
            return agencies.agency_rows(s, ids=ids, hosts=hosts, include_inactive=include_inactive)

    def host_counts(self) -> list[tuple[str, int]]:
        """(host, active agencies) for every host: the coordinator's shards."""
        with self.read_session() as s:
            return agencies.host_counts(s)

    # -- crawl runs and errors ---------------------------------------------------------------------

    def begin_crawl(self, agency_ids: Iterable[str], *, pid: int | None = None) -> int:
        """A new 'running' run, owned by process `pid` (this one by default) on this host."""
        with self.session() as s:
            return runs.begin_crawl(s, agency_ids, pid)

    def heartbeat(self, run_id: int) -> None:
        """The run's process is alive (called every HEARTBEAT_SECONDS while it crawls)."""
        with self.session() as s:
            runs.heartbeat(s, run_id)

    def close_abandoned_runs(self, *, stale_after: float = STALE_RUN_SECONDS) -> list[int]:
        """Mark 'running' runs whose process is gone as 'interrupted'; returns their ids
        (storage.runs.close_abandoned_runs tells how a process is judged gone)."""
        with self.session() as s:
            closed = runs.close_abandoned_runs(s, stale_after)
        for run_id in closed:  # after the commit: the log never claims what was rolled back
            log.warning("crawl run %s: its process is gone; marked interrupted", run_id)
        return closed

    def finish_crawl(self, run_id: int, stats: Mapping[str, Any], status: str = "finished") -> None:
        with self.session() as s:
            runs.finish_crawl(s, run_id, stats, status)

    def record_site_error(
        self,
        run_id: int | None,
        agency_id: str | None,
        url: str | None,
        kind: str,
        message: str,
        status_code: int | None = None,
    ) -> int:
        with self.session() as s:
            return runs.record_site_error(s, run_id, agency_id, url, kind, message, status_code)

    # -- fetches (incremental crawling) ------------------------------------------------------------

    def get_fetch(self, url: str) -> FetchRecord | None:
        with self.read_session() as s:
            return fetches.get_fetch(s, url)

    def load_fetches(self, agency_ids: Iterable[str] | None = None) -> dict[str, FetchRecord]:
        """Every fetch row of the agencies (all when None), by URL: read for a batch of hosts before the
        crawl reaches them (crawler.known_hosts, in a thread), so that deciding on each request
        (conditional headers, skipping) needs no database call. Thread-safe: a session of its own."""
        with self.read_session() as s:
            return fetches.load_fetches(s, agency_ids)

    def write_crawl_batch(
        self,
        rows: Sequence[FetchRow] = (),
        links: Sequence[tuple[str, dict[str, Any]]] = (),
        checked: Sequence[str] = (),
        *,
        at: datetime | None = None,
    ) -> None:
        """The crawler's buffered bookkeeping in one transaction: fetch rows (upserts), links found on
        pages whose row another write made, and URLs the site confirmed unchanged (a 304) at `at`."""
        with self.session() as s:
            fetches.write_crawl_batch(s, rows, links, checked, aware(at or utcnow()))

    def record_fetch(
        self,
        url: str,
        agency_id: str | None,
        *,
        status_code: int | None,
        etag: str | None,
        last_modified: str | None,
        sha256: str | None,
        content_type: str | None,
        is_report: bool,
        report_id: int | None = None,
        fetched_at: datetime | None = None,
    ) -> None:
        with self.session() as s:
            fetches.upsert_fetch(
                s, url, agency_id=agency_id, status_code=status_code, etag=etag, last_modified=last_modified,
                sha256=sha256, content_type=content_type, is_report=is_report, report_id=report_id,
                fetched_at=aware(fetched_at or utcnow()),
            )

    # -- events ------------------------------------------------------------------------------------

    def record_event(
        self,
        kind: str,
        dedupe_key: str,
        *,
        agency_id: str | None = None,
        year: int | None = None,
        report_id: int | None = None,
        version_id: int | None = None,
        payload: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Store an event unless one with the same dedupe_key exists; True when stored."""
        with self.session() as s:
            return events.add_event(s, kind, dedupe_key, agency_id=agency_id, year=year, report_id=report_id,
                                    version_id=version_id, payload=payload, at=at)

    # -- versions ----------------------------------------------------------------------------------

    def save_version(
        self,
        agency_id: str,
        content: bytes,
        *,
        url: str,
        headers: Mapping[Any, Any] | None,
        fetched_at: datetime,
        parsed: ParsedContent | Callable[[], ParsedContent],
        year_chain: YearChain | None = None,
        title: str | None = None,
        run_id: int | None = None,
        year_hint: int | None = None,
        status_code: int | None = None,
        request_headers: Mapping[Any, Any] | None = None,
    ) -> SaveResult:
        """Store `content` as a version of the agency's report for its year, with the caller's parse.

        `parsed` is what the caller's parser made of these bytes, or a function that parses them: it is
        called only for bytes the agency does not already have (a recrawl of unchanged reports then costs
        a hash and one small transaction, not a PDF parse). `year_chain` is the rule comparing two
        consecutive years' models; without it no year-chain finding is added or removed.

        Outcomes: new_report (version 1), new_version (the bytes differ from every stored version),
        unchanged (identical bytes already stored), unreadable (not a report, or no year known: only
        the fetch is recorded).

        `status_code` and `request_headers` describe the HTTP exchange that gave the bytes (kept as its
        capture, the source of the WARC evidence): None when they came by no single exchange.
        """
        fetched_at = aware(fetched_at)
        header_map = normalise_headers(headers)
        exchange = Exchange(status_code, normalise_headers(request_headers) if request_headers is not None else None)
        sha = hashlib.sha256(content).hexdigest()
        known = self._touch_known_version(agency_id, sha, url, header_map, fetched_at, exchange)
        if known is not None:
            return known
        parse = parsed if isinstance(parsed, ParsedContent) else parsed()
        year = parse.year or year_hint
        reason = parse.unreadable
        if reason is None and year is None:
            reason = "the year of the report is unknown (not in the document, no hint)"
        if reason is not None or year is None:
            with self.session() as s:
                fetches.record_document_fetch(s, url, agency_id, header_map, sha, None, fetched_at)
            return SaveResult("unreadable", None, None, year, reason=reason)
        self.blobs.put(content)  # before the transaction: a crash leaves only an orphan blob
        doc = NewBytes(agency_id, year, sha, len(content), url, header_map, fetched_at, title, run_id, exchange)
        return self._save_new(doc, parse, year_chain)

    def _touch_known_version(
        self, agency_id: str, sha: str, url: str, headers: dict[str, str], fetched_at: datetime,
        exchange: Exchange,
    ) -> SaveResult | None:
        with self.read_session() as s:  # new bytes (the common case) need no write lock
            if not versions.is_known(s, agency_id, sha):
                return None
        with self.session() as s:
            return versions.touch_known(s, agency_id, sha, url, headers, fetched_at, exchange)

    # -- evidence (storage/evidence.py, storage/warc.py) -------------------------------------------

    def record_revisit(
        self,
        agency_id: str,
        sha256: str,
        url: str,
        *,
        status_code: int | None,
        request_headers: Mapping[Any, Any] | None = None,
        response_headers: Mapping[Any, Any] | None = None,
        fetched_at: datetime | None = None,
    ) -> bool:
        """A recrawl found stored bytes again without storing them (a 304, or the same bytes at the same
        URL): kept as a capture of the version. False when no version of the agency holds them."""
        with self.session() as s:
            return evidence.record_revisit(
                s, agency_id, sha256, url, aware(fetched_at or utcnow()), status_code=status_code,
                request_headers=normalise_headers(request_headers) if request_headers is not None else None,
                response_headers=normalise_headers(response_headers),
            )

    def captures(
        self, *, agency_id: str | None = None, report_id: int | None = None, version_id: int | None = None
    ) -> list[CaptureRecord]:
        with self.read_session() as s:
            return evidence.load_captures(s, agency_id=agency_id, report_id=report_id, version_id=version_id)

    def write_warc(
        self, out: BinaryIO, *, agency_id: str | None = None, report_id: int | None = None,
        filename: str = "nianbao.warc.gz",
    ) -> int:
        """The captures of an agency or a report as a gzipped WARC/1.1 file; the number of records."""
        from nianbao.storage.warc import write_warc  # warcio: loaded only for an export

        return write_warc(out, self.captures(agency_id=agency_id, report_id=report_id), self.blobs, filename)

    def write_wacz(
        self, out: BinaryIO, *, agency_id: str | None = None, report_id: int | None = None, title: str = "nianbao",
    ) -> int:
        """The same records as write_warc, packaged as a WACZ (index, pages, manifest); the number of records."""
        from nianbao.storage.warc import write_wacz

        return write_wacz(out, self.captures(agency_id=agency_id, report_id=report_id), self.blobs, title)

    def _save_new(self, doc: NewBytes, parsed: ParsedContent, year_chain: YearChain | None) -> SaveResult:
        for attempt in range(1, _SAVE_ATTEMPTS + 1):
            try:
                with self.session() as s:
                    return versions.save_in_session(s, doc, parsed, year_chain)
            except (IntegrityError, OperationalError) as exc:
                # A concurrent writer stored the same report/version first (unique constraint) or
                # PostgreSQL chose us as a deadlock victim: the retry sees its row and adapts.
                if attempt == _SAVE_ATTEMPTS:
                    raise
                log.info("save_version retry %d for %s %s: %s", attempt, doc.agency_id, doc.year, exc)
        raise AssertionError("unreachable")

    # -- outbox and accounts -----------------------------------------------------------------------

    def record_digest(
        self,
        *,
        recipient: str,
        period_start: datetime,
        period_end: datetime,
        as_of: datetime,
        subject: str,
        html: str,
        text: str,
    ) -> Digest:
        """Write a built digest to the outbox (storage.outbox.record_digest); returns the stored row."""
        with self.session() as s:
            return outbox.record_digest(s, recipient=recipient, period_start=period_start, period_end=period_end,
                                        as_of=as_of, subject=subject, html=html, text=text)

    def add_user(self, name: str, password_hash: str, role: str, *, update: bool = False) -> bool:
        """Create (True) or, with update, change (False) an account; UserExists unless update."""
        with self.session() as s:
            return users.add_user(s, name, password_hash, role, update=update)

    def set_password(self, name: str, password_hash: str) -> int:
        """Change an account's password and revoke its sessions (returns how many); UnknownUser."""
        with self.session() as s:
            return users.set_password(s, name, password_hash)

    def set_role(self, name: str, role: str) -> int:
        """Change an account's role and revoke its sessions (returns how many); UnknownUser."""
        with self.session() as s:
            return users.set_role(s, name, role)

    def set_user_active(self, name: str, active: bool) -> int:
        """Enable or disable an account; disabling revokes its sessions (returns how many); UnknownUser."""
        with self.session() as s:
            return users.set_active(s, name, active)

    def delete_user(self, name: str) -> int:
        """Delete an account and its sessions (returns how many were live); UnknownUser, UserHasReviews."""
        with self.session() as s:
            return users.delete_user(s, name)

    def list_users(self) -> list[UserInfo]:
        with self.read_session() as s:
            return users.list_users(s)

    # -- dashboard sessions ------------------------------------------------------------------------

    def open_session(self, token: str, user_id: int, lifetime_seconds: int, *,
                     user_agent: str | None = None, address: str | None = None) -> None:
        """A new login session for `token` (the cookie's secret; only its hash is stored)."""
        now = utcnow()
        with self.session() as s:
            sessions.open_session(s, token, user_id, now, now + timedelta(seconds=lifetime_seconds),
                                  user_agent, address)

    def session_user(self, token: str) -> SessionUser | None:
        """The user of a live session (not revoked, not expired, account active), or None. A read; the
        last_seen stamp is written only when it is older than TOUCH_EVERY."""
        now = utcnow()
        with self.read_session() as s:
            found = sessions.session_user(s, token, now)
        if found is not None and now - found.last_seen >= TOUCH_EVERY:
            with self.session() as s:
                sessions.touch(s, token, now)
        return found

    # -- recheck requests (dashboard queues, daemon runs) -------------------------------------------

    def request_recheck(self, agency_id: str, user_id: int | None) -> bool:
        """Queue a crawl of one agency; False when one is already queued or running."""
        with self.session() as s:
            return rechecks.request_recheck(s, agency_id, user_id, utcnow())

    def claim_rechecks(self) -> list[str]:
        """The daemon takes the queued requests: the agency ids to crawl now."""
        with self.session() as s:
            return rechecks.claim_queued(s, utcnow())

    def finish_rechecks(self, agency_ids: list[str], run_id: int | None) -> None:
        with self.session() as s:
            rechecks.finish_claimed(s, agency_ids, run_id, utcnow())

    def revoke_session(self, token: str) -> None:
        """Log a session out (its cookie, wherever copied, opens nothing any more)."""
        with self.session() as s:
            sessions.revoke_session(s, token, utcnow())

    # -- reading -----------------------------------------------------------------------------------

    def list_reports(
        self, agency_ids: Iterable[str] | None = None, year: int | None = None
    ) -> list[ReportSummary]:
        with self.read_session() as s:
            return reports.list_reports(s, agency_ids, year)

    def region_models(self, region: str, year: int) -> list[reports.AgencyModel]:
        """The region's active agencies, each with the model of its latest version of `year` or None."""
        with self.read_session() as s:
            return reports.region_models(s, region, year)

    def get_report(self, agency_id: str, year: int) -> Report | None:
        with self.read_session() as s:
            return reports.get_report(s, agency_id, year)

    def get_versions(self, report_id: int) -> list[Version]:
        """Versions of a report, oldest first (detached rows: read their columns, not relations)."""
        with self.read_session() as s:
            return reports.get_versions(s, report_id)

    def get_version(self, version_id: int) -> Version | None:
        with self.read_session() as s:
            return s.get(Version, version_id)

    def get_findings(self, version_id: int) -> list[Finding]:
        with self.read_session() as s:
            return reports.get_findings(s, version_id)

    def version_bytes(self, version_id: int, *, verify: bool = True) -> bytes:
        version = self.get_version(version_id)
        if version is None:
            raise KeyError(f"no version {version_id}")
        return self.blobs.get(version.sha256, verify=verify)
