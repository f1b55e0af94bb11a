"""The Store: the only way other rooms write to (or read from) the database. See docs/STORE.md.

Every write is one transaction. Blobs are written before the transaction commits and are named by
their content, so a process killed at any moment leaves at most an unreferenced blob, never half a
version. On SQLite write transactions start with BEGIN IMMEDIATE so that two processes (crawler and
daemon) queue on the busy timeout instead of failing when a reader upgrades to a writer.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine, bindparam, create_engine, event, func, insert, select, text, tuple_, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from nianbao.storage.blobs import BlobStore
from nianbao.storage.models import (
    Agency,
    CrawlRun,
    Event,
    Fetch,
    Finding,
    Report,
    SiteError,
    Version,
    utcnow,
)

if TYPE_CHECKING:
    from nianbao.settings import AgencyConfig, Settings

log = logging.getLogger(__name__)

SITE_ERROR_KINDS = ("connection", "timeout", "http_status", "blocked", "too_large", "parse", "other")
CRAWL_STATUSES = ("running", "finished", "interrupted", "failed")
EVENT_KINDS = ("new_report", "new_version", "missing", "late", "new_errors", "site_failing", "unreachable")
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Any constant works; it only has to be the same in every process that migrates this database.
_PG_MIGRATION_LOCK = 0x6E69616E62616F
_SAVE_ATTEMPTS = 3
# A crawl writes a heartbeat this often; a run silent for STALE_RUN_SECONDS is taken for dead.
HEARTBEAT_SECONDS = 30.0
STALE_RUN_SECONDS = 600.0


class UnknownAgency(KeyError):
    """save_version/… named an agency that sync_agencies never stored."""


@dataclass(frozen=True)
class SaveResult:
    outcome: str  # new_report | new_version | unchanged | unreadable
    report_id: int | None
    version_id: int | None
    year: int | None
    reason: str | None = None
    sha256: str | None = None
    number: int | None = None  # the version number stored or matched
    error_count: int = 0
    warning_count: int = 0


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


@dataclass(frozen=True)
class ReportSummary:
    report_id: int
    agency_id: str
    agency_name: str
    region: str
    kind: str
    year: int
    title: str | None
    url: str | None  # of the latest version
    versions: int
    first_seen: datetime
    last_seen: datetime
    error_count: int  # of the latest version
    warning_count: int
    latest_version_id: int | None
    latest_sha256: str | None
    published_date: date | None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("first_seen", "last_seen", "published_date"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data


@dataclass
class _Parsed:
    """What save_version needs from the parser; model is None when no parser is available."""

    model: dict[str, Any] | None = None
    findings: list[dict[str, Any]] | None = None
    year: int | None = None
    title: str | None = None
    source_format: str | None = None
    published_date: date | None = None
    unreadable: str | None = None  # reason, when the bytes are not a report


# --- engine --------------------------------------------------------------------------------------


def _prepare_sqlite_path(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_events(engine: Engine) -> None:
    # pysqlite's own transaction handling issues BEGIN late (and never for SELECT); taking control
    # makes transactions, savepoints and Alembic's transactional DDL behave as on PostgreSQL.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a crash loses no committed data
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def make_engine(database_url: str, *, echo: bool = False) -> Engine:
    """An Engine with the pragmas and pool settings the Store relies on."""
    _prepare_sqlite_path(database_url)
    backend = make_url(database_url).get_backend_name()
    if backend == "sqlite":
        engine = create_engine(
            database_url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        _sqlite_events(engine)
        return engine
    return create_engine(database_url, echo=echo, pool_pre_ping=True)


# --- store ---------------------------------------------------------------------------------------


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
        from nianbao.storage.migrate import upgrade

        with self._write_engine.begin() as conn:
            if self.dialect == "postgresql":
                # Two processes opening a fresh database at once must not both create the tables.
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
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

    def sync_agencies(self, agencies: Iterable[AgencyConfig]) -> dict[str, int]:
        """Make the agencies table match the configured list; agencies no longer listed are kept
        (their reports stay) but marked inactive. Returns counts added/updated/deactivated."""
        counts = {"added": 0, "updated": 0, "deactivated": 0}
        with self.session() as s:
            existing = {a.id: a for a in s.scalars(select(Agency))}
            seen: set[str] = set()
            for cfg in agencies:
                seen.add(cfg.id)
                values = {
                    "name": cfg.name,
                    "region": cfg.region,
                    "level": cfg.level,
                    "kind": cfg.kind,
                    "start_urls": list(cfg.start_urls),
                    "render": cfg.render,
                    "active": True,
                }
                row = existing.get(cfg.id)
                if row is None:
                    # ON CONFLICT DO NOTHING: another process (the daemon and a crawl by hand) may add
                    # the same agency between our read and our insert; both then agree on its values.
                    insert = _dialect_insert(self.dialect)(Agency.__table__).values(id=cfg.id, **values)
                    inserted = s.execute(insert.on_conflict_do_nothing(index_elements=["id"]).returning(Agency.id))
                    counts["added"] += len(inserted.all())  # rowcount is -1 here on PostgreSQL
                elif any(getattr(row, k) != v for k, v in values.items()):
                    for k, v in values.items():
                        setattr(row, k, v)
                    counts["updated"] += 1
            for agency_id, row in existing.items():
                if agency_id not in seen and row.active:
                    row.active = False
                    counts["deactivated"] += 1
        return counts

    # -- crawl runs and errors ---------------------------------------------------------------------

    def begin_crawl(self, agency_ids: Iterable[str], *, pid: int | None = None) -> int:
        """A new 'running' run, owned by process `pid` (this one by default) on this host."""
        with self.session() as s:
            run = CrawlRun(status="running", agency_ids=list(agency_ids), stats={}, pid=pid or os.getpid(),
                           host=socket.gethostname(), heartbeat_at=utcnow())
            s.add(run)
            s.flush()
            return run.id

    def heartbeat(self, run_id: int) -> None:
        """The run's process is alive (called every HEARTBEAT_SECONDS while it crawls)."""
        with self.session() as s:
            run = s.get(CrawlRun, run_id)
            if run is not None:
                run.heartbeat_at = utcnow()

    def close_abandoned_runs(self, *, stale_after: float = STALE_RUN_SECONDS) -> list[int]:
        """Mark 'running' runs whose process is gone as 'interrupted'; returns their ids.

        A process killed with SIGKILL (or a power cut) never records its end. On this host the run's
        pid tells: no such process means it is gone. A live pid, a run of another host or an old row
        without a pid is judged by its heartbeat: silent for `stale_after` seconds means gone (a
        reused pid or a hung process does not keep a run 'running' forever).
        """
        now, host = utcnow(), socket.gethostname()
        closed: list[int] = []
        with self.session() as s:
            for run in s.scalars(select(CrawlRun).where(CrawlRun.status == "running")):
                if _run_is_alive(run, host, now, stale_after):
                    continue
                run.status, run.finished_at = "interrupted", now
                closed.append(run.id)
        for run_id in closed:
            log.warning("crawl run %s: its process is gone; marked interrupted", run_id)
        return closed

    def finish_crawl(self, run_id: int, stats: Mapping[str, Any], status: str = "finished") -> None:
        if status not in CRAWL_STATUSES:
            raise ValueError(f"crawl status must be one of {CRAWL_STATUSES}, got {status!r}")
        with self.session() as s:
            run = s.get(CrawlRun, run_id)
            if run is None:
                raise KeyError(f"no crawl run {run_id}")
            run.status = status
            run.stats = dict(stats)
            run.finished_at = utcnow()

    def record_site_error(
        self,
        run_id: int | None,
        agency_id: str | None,
        url: str | None,
        kind: str,
        message: str,
        status_code: int | None = None,
    ) -> int:
        if kind not in SITE_ERROR_KINDS:
            raise ValueError(f"site error kind must be one of {SITE_ERROR_KINDS}, got {kind!r}")
        with self.session() as s:
            row = SiteError(
                crawl_run_id=run_id,
                agency_id=agency_id,
                url=url,
                kind=kind,
                status_code=status_code,
                message=message,
            )
            s.add(row)
            s.flush()
            return row.id

    # -- fetches (incremental crawling) ------------------------------------------------------------

    def get_fetch(self, url: str) -> FetchRecord | None:
        with self.read_session() as s:
            row = s.scalar(select(Fetch).where(Fetch.url_hash == url_hash(url)))
            return _fetch_record(row) if row else None

    def load_fetches(self, agency_ids: Iterable[str] | None = None) -> dict[str, FetchRecord]:
        """Every fetch row of the agencies (all when None), by URL: read once when a crawl starts, so
        that deciding on each request (conditional headers, skipping) needs no database call."""
        with self.read_session() as s:
            query = select(Fetch)
            if agency_ids is not None:
                query = query.where(Fetch.agency_id.in_(list(agency_ids)))
            return {row.url: _fetch_record(row) for row in s.scalars(query.execution_options(yield_per=2000))}

    def write_crawl_batch(
        self,
        fetches: Sequence[FetchRow] = (),
        links: Sequence[tuple[str, dict[str, Any]]] = (),
        checked: Sequence[str] = (),
        *,
        at: datetime | None = None,
    ) -> None:
        """The crawler's buffered bookkeeping in one transaction: fetch rows (upserts), links found on
        pages whose row another write made, and URLs the site confirmed unchanged (a 304) at `at`."""
        at = _aware(at or utcnow())
        with self.session() as s:
            if fetches:
                _upsert_fetches(s, fetches, at)
            if links:
                s.execute(update(_FETCHES).where(_FETCHES.c.url_hash == bindparam("h")).values(links=bindparam("l")),
                          [{"h": url_hash(url), "l": value} for url, value in dict(links).items()])
            if checked:
                s.execute(update(_FETCHES).where(_FETCHES.c.url_hash == bindparam("h")).values(checked_at=at),
                          [{"h": url_hash(url)} for url in dict.fromkeys(checked)])

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
            _upsert_fetch(
                s,
                url,
                agency_id=agency_id,
                status_code=status_code,
                etag=etag,
                last_modified=last_modified,
                sha256=sha256,
                content_type=content_type,
                is_report=is_report,
                report_id=report_id,
                fetched_at=_aware(fetched_at or utcnow()),
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
            return add_event(
                s,
                kind,
                dedupe_key,
                agency_id=agency_id,
                year=year,
                report_id=report_id,
                version_id=version_id,
                payload=payload,
                at=at,
            )

    # -- versions ----------------------------------------------------------------------------------

    def save_version(
        self,
        agency_id: str,
        content: bytes,
        *,
        url: str,
        headers: Mapping[Any, Any] | None,
        fetched_at: datetime,
        title: str | None = None,
        run_id: int | None = None,
        filename: str | None = None,
        year_hint: int | None = None,
        checked: Any = None,
    ) -> SaveResult:
        """Parse, validate and store `content` as a version of the agency's report for its year.

        `checked` is the caller's `monitor.CheckResult` for these same bytes, when it already parsed them
        (the crawler does, to check the agency): the version is then not parsed a second time.

        Outcomes: new_report (version 1), new_version (the bytes differ from every stored version),
        unchanged (identical bytes already stored), unreadable (not a report, or no year known: only
        the fetch is recorded).
        """
        fetched_at = _aware(fetched_at)
        header_map = normalise_headers(headers)
        known = self._touch_known_version(agency_id, content, url, header_map, fetched_at)
        if known is not None:
            return known
        parsed = parse_content(content, filename or _filename_from_url(url), checked)
        year = parsed.year or year_hint
        if parsed.unreadable is None and year is None:
            parsed.unreadable = "the year of the report is unknown (not in the document, no hint)"
        if parsed.unreadable is not None:
            self._record_unreadable(agency_id, url, header_map, fetched_at, content)
            return SaveResult("unreadable", None, None, year, reason=parsed.unreadable)
        assert year is not None
        sha = self.blobs.put(content)  # before the transaction: a crash leaves only an orphan blob
        for attempt in range(1, _SAVE_ATTEMPTS + 1):
            try:
                with self.session() as s:
                    return _save_in_session(
                        s,
                        agency_id=agency_id,
                        year=year,
                        sha=sha,
                        size=len(content),
                        parsed=parsed,
                        url=url,
                        headers=header_map,
                        fetched_at=fetched_at,
                        title=title,
                        run_id=run_id,
                    )
            except (IntegrityError, OperationalError) as exc:
                # A concurrent writer stored the same report/version first (unique constraint) or
                # PostgreSQL chose us as a deadlock victim: the retry sees its row and adapts.
                if attempt == _SAVE_ATTEMPTS:
                    raise
                log.info("save_version retry %d for %s %s: %s", attempt, agency_id, year, exc)
        raise AssertionError("unreachable")

    def _touch_known_version(
        self, agency_id: str, content: bytes, url: str, headers: dict[str, str], fetched_at: datetime
    ) -> SaveResult | None:
        """Bytes already stored for this agency are `unchanged` without parsing them again: a recrawl
        of unchanged reports then costs a hash and one small transaction, not a PDF parse."""
        sha = hashlib.sha256(content).hexdigest()
        query = (
            select(Version, Report)
            .join(Report, Report.id == Version.report_id)
            .where(Report.agency_id == agency_id, Version.sha256 == sha)
            .order_by(Report.year.desc())
            .limit(1)
        )
        with self.read_session() as s:  # new bytes (the common case) need no write lock
            if s.execute(query).first() is None:
                return None
        with self.session() as s:
            row = s.execute(query).first()
            if row is None:
                return None
            version, report = row
            report.last_seen = max(report.last_seen, fetched_at)
            _record_report_fetch(s, url, agency_id, headers, sha, report.id, fetched_at)
            return SaveResult(
                "unchanged",
                report.id,
                version.id,
                report.year,
                sha256=sha,
                number=version.number,
                error_count=version.error_count,
                warning_count=version.warning_count,
            )

    def _record_unreadable(
        self, agency_id: str, url: str, headers: dict[str, str], fetched_at: datetime, content: bytes
    ) -> None:
        with self.session() as s:
            _upsert_fetch(
                s,
                url,
                agency_id=agency_id,
                etag=_header(headers, "etag"),
                last_modified=_header(headers, "last-modified"),
                sha256=hashlib.sha256(content).hexdigest(),
                content_type=_header(headers, "content-type"),
                is_report=False,
                report_id=None,
                fetched_at=fetched_at,
            )

    # -- reading -----------------------------------------------------------------------------------

    def list_reports(
        self, agency_ids: Iterable[str] | None = None, year: int | None = None
    ) -> list[ReportSummary]:
        with self.read_session() as s:
            counts = (
                select(
                    Version.report_id,
                    func.count(Version.id).label("n"),
                    func.max(Version.number).label("latest"),
                )
                .group_by(Version.report_id)
                .subquery()
            )
            query = (
                select(Report, Agency, counts.c.n, counts.c.latest)
                .join(Agency, Agency.id == Report.agency_id)
                .outerjoin(counts, counts.c.report_id == Report.id)
                .order_by(Report.agency_id, Report.year)
            )
            if agency_ids is not None:
                query = query.where(Report.agency_id.in_(list(agency_ids)))
            if year is not None:
                query = query.where(Report.year == year)
            rows = s.execute(query).all()
            latest = _latest_versions(s, [(r.id, n) for r, _, _, n in rows if n])
            return [_summary(report, agency, n or 0, latest.get(report.id)) for report, agency, _c, n in rows]

    def get_report(self, agency_id: str, year: int) -> Report | None:
        with self.read_session() as s:
            return s.scalar(select(Report).where(Report.agency_id == agency_id, Report.year == year))

    def get_versions(self, report_id: int) -> list[Version]:
        """Versions of a report, oldest first (detached rows: read their columns, not relations)."""
        with self.read_session() as s:
            return list(
                s.scalars(select(Version).where(Version.report_id == report_id).order_by(Version.number))
            )

    def get_version(self, version_id: int) -> Version | None:
        with self.read_session() as s:
            return s.get(Version, version_id)

    def get_findings(self, version_id: int) -> list[Finding]:
        with self.read_session() as s:
            return list(
                s.scalars(select(Finding).where(Finding.version_id == version_id).order_by(Finding.id))
            )

    def version_bytes(self, version_id: int, *, verify: bool = True) -> bytes:
        version = self.get_version(version_id)
        if version is None:
            raise KeyError(f"no version {version_id}")
        return self.blobs.get(version.sha256, verify=verify)


# --- parsing ---------------------------------------------------------------------------------------


def parse_content(content: bytes, filename: str | None, checked: Any = None) -> _Parsed:
    """Run the parser and validator; a missing parser means "no model", never a lost version."""
    try:
        from nianbao.report import UnreadableDocument, check_bytes
    except ImportError:
        return _Parsed(findings=[])
    try:
        result = checked if checked is not None else check_bytes(content, filename=filename)
    except UnreadableDocument as exc:
        return _Parsed(unreadable=str(exc) or type(exc).__name__)
    except Exception as exc:  # a parser bug must not lose the bytes: keep them without a model
        log.exception("parser failed on %s", filename)
        finding = {
            "rule": "parser",
            "severity": "warning",
            "message": f"the parser failed: {type(exc).__name__}: {exc}",
            "location": None,
            "expected": None,
            "actual": None,
        }
        return _Parsed(findings=[finding])
    report, document = result.report, getattr(result, "document", None)
    return _Parsed(
        model=report.to_dict(),
        findings=[f.to_dict() for f in result.findings],
        year=report.year,
        title=report.title or getattr(document, "page_title", None),
        source_format=getattr(document, "source_format", None),
        published_date=_iso_date(report.published_date or getattr(document, "page_date", None)),
    )


def _year_chain(previous: dict[str, Any] | None, current: dict[str, Any] | None) -> list[dict[str, Any]]:
    """monitor.validate.year_chain on two stored models; [] while the rule or a model is missing."""
    if not previous or not current:
        return []
    try:
        from nianbao.report import validate
        from nianbao.report.model import Report as ParsedReport
    except ImportError:
        return []
    rule = getattr(validate, "year_chain", None)
    if rule is None:
        return []
    findings = rule(ParsedReport.from_dict(previous), ParsedReport.from_dict(current))
    return [f.to_dict() for f in findings]


# --- the save_version transaction ----------------------------------------------------------------


def _save_in_session(
    s: Session,
    *,
    agency_id: str,
    year: int,
    sha: str,
    size: int,
    parsed: _Parsed,
    url: str,
    headers: dict[str, str],
    fetched_at: datetime,
    title: str | None,
    run_id: int | None,
) -> SaveResult:
    if s.get(Agency, agency_id) is None:
        raise UnknownAgency(f"agency {agency_id!r} is not in the database (run sync_agencies first)")
    report = _get_or_create_report(s, agency_id, year, fetched_at)
    report.last_seen = max(report.last_seen, fetched_at)
    report.title = title or parsed.title or report.title
    existing = s.scalar(select(Version).where(Version.report_id == report.id, Version.sha256 == sha))
    if existing is not None:
        _record_report_fetch(s, url, agency_id, headers, sha, report.id, fetched_at)
        return SaveResult(
            "unchanged",
            report.id,
            existing.id,
            year,
            sha256=sha,
            number=existing.number,
            error_count=existing.error_count,
            warning_count=existing.warning_count,
        )
    number = (s.scalar(select(func.max(Version.number)).where(Version.report_id == report.id)) or 0) + 1
    version = Version(
        report_id=report.id,
        number=number,
        sha256=sha,
        size=size,
        url=url,
        headers=headers,
        fetched_at=fetched_at,
        source_format=parsed.source_format,
        published_date=parsed.published_date,
        model=parsed.model,
        crawl_run_id=run_id,
    )
    s.add(version)
    s.flush()
    _link_year_chain(s, agency_id, year, version, parsed.findings or [])
    _record_report_fetch(s, url, agency_id, headers, sha, report.id, fetched_at)
    kind = "new_report" if number == 1 else "new_version"
    add_event(
        s,
        kind,
        f"{kind}:{agency_id}:{year}:{number}",
        agency_id=agency_id,
        year=year,
        report_id=report.id,
        version_id=version.id,
        payload={
            "number": number,
            "url": url,
            "sha256": sha,
            "title": report.title,
            "error_count": version.error_count,
            "warning_count": version.warning_count,
        },
        at=fetched_at,
    )
    return SaveResult(
        kind,
        report.id,
        version.id,
        year,
        sha256=sha,
        number=number,
        error_count=version.error_count,
        warning_count=version.warning_count,
    )


def _get_or_create_report(s: Session, agency_id: str, year: int, fetched_at: datetime) -> Report:
    query = select(Report).where(Report.agency_id == agency_id, Report.year == year)
    # FOR UPDATE (ignored by SQLite, which already holds the write lock) serialises the version
    # numbering of one report between concurrent writers on PostgreSQL.
    report = s.scalar(query.with_for_update())
    if report is None:
        report = Report(agency_id=agency_id, year=year, first_seen=fetched_at, last_seen=fetched_at)
        s.add(report)
        s.flush()  # a concurrent insert of the same (agency, year) fails here; save_version retries
    return report


def _add_findings(s: Session, version_id: int, findings: Iterable[Mapping[str, Any]]) -> None:
    rows = [
        {
            "version_id": version_id,
            "rule": f["rule"],
            "severity": f["severity"],
            "message": f.get("message") or "",
            "location": f.get("location"),
            "expected": f.get("expected"),
            "actual": f.get("actual"),
        }
        for f in findings
    ]
    if rows:  # Core executemany: a report has dozens of findings, the ORM would add them one by one
        s.execute(insert(Finding.__table__), rows)


def _neighbour_versions(s: Session, agency_id: str, year: int) -> dict[int, Version]:
    """The latest version of the agency's reports on year-1 and year+1 (one query for both)."""
    rows = s.execute(
        select(Version, Report.year)
        .join(Report, Report.id == Version.report_id)
        .where(Report.agency_id == agency_id, Report.year.in_([year - 1, year + 1]))
        .order_by(Version.number.desc())
    ).all()
    latest: dict[int, Version] = {}
    for version, report_year in rows:
        latest.setdefault(report_year, version)
    return latest


def _link_year_chain(
    s: Session, agency_id: str, year: int, version: Version, findings: list[dict[str, Any]]
) -> None:
    """Store the new version's findings, with year_chain findings on the later report: on this version
    against year-1, and on the latest version of year+1 against this one (replacing what it had)."""
    neighbours = _neighbour_versions(s, agency_id, year)
    previous, following = neighbours.get(year - 1), neighbours.get(year + 1)
    chain = _year_chain(previous.model, version.model) if previous is not None else []
    own = [f for f in findings if f.get("rule") != "year_chain"]
    own += [f for f in chain if f.get("rule") == "year_chain"]
    _add_findings(s, version.id, own)
    # Counted here, not re-read: the version is new, these are all its findings.
    version.error_count = sum(1 for f in own if f["severity"] == "error")
    version.warning_count = sum(1 for f in own if f["severity"] == "warning")
    if following is not None:
        _replace_year_chain(s, following, _year_chain(version.model, following.model))


def _replace_year_chain(s: Session, version: Version, findings: list[dict[str, Any]]) -> None:
    for old in s.scalars(
        select(Finding).where(Finding.version_id == version.id, Finding.rule == "year_chain")
    ):
        s.delete(old)
    s.flush()
    # Only year_chain findings: they are the ones deleted above, so recomputing never duplicates.
    _add_findings(s, version.id, [f for f in findings if f.get("rule") == "year_chain"])
    _recount(s, version)


def _recount(s: Session, version: Version) -> None:
    rows = s.execute(
        select(Finding.severity, func.count())
        .where(Finding.version_id == version.id)
        .group_by(Finding.severity)
    ).all()
    by_severity = {severity: n for severity, n in rows}
    version.error_count = by_severity.get("error", 0)
    version.warning_count = by_severity.get("warning", 0)
    s.flush()


# --- events ----------------------------------------------------------------------------------------


def add_event(
    s: Session,
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
    """Add an event inside session `s` unless its dedupe_key exists; True when added."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"event kind must be one of {EVENT_KINDS}, got {kind!r}")
    if s.scalar(select(Event.id).where(Event.dedupe_key == dedupe_key)) is not None:
        return False
    row = Event(
        kind=kind,
        dedupe_key=dedupe_key,
        agency_id=agency_id,
        year=year,
        report_id=report_id,
        version_id=version_id,
        payload=dict(payload or {}),
        at=_aware(at or utcnow()),
    )
    try:
        with s.begin_nested():  # a concurrent writer may add the same key between check and insert
            s.add(row)
    except IntegrityError:
        return False
    return True


# --- fetches ---------------------------------------------------------------------------------------

_FETCHES = Fetch.__table__  # Core statements with many parameter sets run as one executemany
_FETCH_ROW_FIELDS = tuple(f.name for f in fields(FetchRow))


def url_hash(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8")).hexdigest()


def _dialect_insert(dialect: str) -> Any:
    """The dialect's INSERT construct, the one that knows ON CONFLICT (both SQLite and PostgreSQL do)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


@lru_cache(maxsize=32)
def _upsert_statement(dialect: str, columns: tuple[str, ...]) -> Any:
    """INSERT … ON CONFLICT (url_hash) DO UPDATE of `columns`, built once per dialect and column set."""
    statement = _dialect_insert(dialect)(_FETCHES)
    return statement.on_conflict_do_update(
        index_elements=[_FETCHES.c.url_hash], set_={k: statement.excluded[k] for k in columns if k != "url_hash"}
    )


def _upsert_fetch(s: Session, url: str, **values: Any) -> None:
    """Insert or update the fetch row of `url` in one statement (no race between processes)."""
    # A URL fetched is a URL the site confirmed at that moment.
    row = {"url": url, "url_hash": url_hash(url), "checked_at": values.get("fetched_at"), **values}
    s.execute(_upsert_statement(s.get_bind().dialect.name, tuple(row)), row)


def _record_report_fetch(
    s: Session, url: str, agency_id: str, headers: dict[str, str], sha: str, report_id: int, at: datetime
) -> None:
    _upsert_fetch(
        s,
        url,
        agency_id=agency_id,
        etag=_header(headers, "etag"),
        last_modified=_header(headers, "last-modified"),
        sha256=sha,
        content_type=_header(headers, "content-type"),
        is_report=True,
        report_id=report_id,
        fetched_at=at,
    )


def _upsert_fetches(s: Session, rows: Sequence[FetchRow], at: datetime) -> None:
    """Many fetch rows in one executemany upsert (the last row of a URL wins)."""
    values = {
        url_hash(r.url): {
            **{name: getattr(r, name) for name in _FETCH_ROW_FIELDS},  # not asdict: it deep-copies links
            "url_hash": url_hash(r.url),
            "fetched_at": _aware(r.fetched_at),
            "checked_at": at,
        }
        for r in rows
    }
    columns = tuple(next(iter(values.values())))
    s.execute(_upsert_statement(s.get_bind().dialect.name, columns), list(values.values()))


def _run_is_alive(run: CrawlRun, host: str, now: datetime, stale_after: float) -> bool:
    last_sign = run.heartbeat_at or run.started_at
    fresh = now - last_sign < timedelta(seconds=stale_after)
    if run.pid is None or run.host != host:
        return fresh
    return _process_exists(run.pid) and fresh


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def _fetch_record(row: Fetch) -> FetchRecord:
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


# --- small helpers ---------------------------------------------------------------------------------


def normalise_headers(headers: Mapping[Any, Any] | None) -> dict[str, str]:
    """HTTP headers as JSON: str keys and values. Accepts dicts and Scrapy's Headers (bytes, lists)."""
    result: dict[str, str] = {}
    for key, value in (headers or {}).items():
        values = value if isinstance(value, list | tuple) else [value]
        texts = [v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values]
        name = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        result[name] = ", ".join(texts)
    return result


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso_date(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _filename_from_url(url: str) -> str | None:
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return name or None


def _latest_versions(s: Session, keys: list[tuple[int, int]]) -> dict[int, Version]:
    if not keys:
        return {}
    found: dict[int, Version] = {}
    # Chunked: some backends cap the number of bound parameters per statement.
    for start in range(0, len(keys), 400):
        chunk = keys[start : start + 400]
        query = select(Version).where(tuple_(Version.report_id, Version.number).in_(chunk))
        for version in s.scalars(query):
            found[version.report_id] = version
    return found


def _summary(report: Report, agency: Agency, versions: int, latest: Version | None) -> ReportSummary:
    return ReportSummary(
        report_id=report.id,
        agency_id=report.agency_id,
        agency_name=agency.name,
        region=agency.region,
        kind=agency.kind,
        year=report.year,
        title=report.title,
        url=latest.url if latest else None,
        versions=versions,
        first_seen=report.first_seen,
        last_seen=report.last_seen,
        error_count=latest.error_count if latest else 0,
        warning_count=latest.warning_count if latest else 0,
        latest_version_id=latest.id if latest else None,
        latest_sha256=latest.sha256 if latest else None,
        published_date=latest.published_date if latest else None,
    )
