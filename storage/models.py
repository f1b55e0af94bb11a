"""The database tables (SQLAlchemy 2 typed declarative). docs/STORE.md describes the contract.

Changing a table means adding an Alembic revision in storage/migrations/versions: the Store runs
`alembic upgrade head` when it opens, so every database follows these definitions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names so that Alembic revisions can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no time zone type and hands back naive datetimes; PostgreSQL hands back aware ones.
    Normalising both to aware UTC keeps comparisons between rows and `utcnow()` from raising.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        # SQLite stores the text as given; a fixed offset-free form keeps ORDER BY chronological.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[str] = mapped_column(String(20))  # province | city | county
    kind: Mapped[str] = mapped_column(String(20))  # department | government
    start_urls: Mapped[list[Any]] = mapped_column(JSON, default=list)
    render: Mapped[str] = mapped_column(String(20), default="auto")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # settings: listed in the settings' agencies file (synced on every start); registry: imported with
    # `nianbao agencies import` (the file never deactivates it).
    source: Mapped[str] = mapped_column(String(20), default="settings", server_default="settings")
    selectors: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    allowed_domains: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    added: Mapped[date | None] = mapped_column(Date, nullable=True)
    host: Mapped[str | None] = mapped_column(String(255), index=True)  # of the first start URL: the shard key

    reports: Mapped[list[Report]] = relationship(back_populates="agency")


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # running | finished | interrupted | failed
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    agency_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # pages, requests, reports_new, reports_changed, reports_unchanged, errors, bytes
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Who runs it and when it last said so: a run still 'running' whose process is gone (SIGKILL, power
    # cut) is told apart from a live one by these, and marked 'interrupted' (Store.close_abandoned_runs).
    pid: Mapped[int | None]
    host: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime | None]


class Fetch(Base):
    """What the crawler last saw at a URL: enough for conditional requests and skipping known URLs."""

    __tablename__ = "fetches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    # URLs can be longer than a portable unique index allows; the sha1 of the URL is unique instead.
    url_hash: Mapped[str] = mapped_column(String(40), unique=True)
    agency_id: Mapped[str | None] = mapped_column(String(100), index=True)
    status_code: Mapped[int | None]
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_report: Mapped[bool] = mapped_column(Boolean, default=False)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))
    # When the site last confirmed this URL (a 200 or a 304); a known URL is skipped until it is due again.
    checked_at: Mapped[datetime | None]
    # The requests the spider derived from this page (list pages, articles with attachments), with the
    # fingerprint of the rules that derived them: a 304 replays them instead of reading the page again.
    links: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class RecheckRequest(Base):
    """A reviewer's "recheck now" for one agency: queued by the dashboard, claimed and crawled by the daemon
    (nianbao run) within a minute. One open request per agency is enough; asking again while it waits
    changes nothing."""

    __tablename__ = "recheck_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]  # the daemon took it (its crawl is running)
    finished_at: Mapped[datetime | None] = mapped_column(index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("agency_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency] = relationship(back_populates="reports")
    versions: Mapped[list[Version]] = relationship(
        back_populates="report", order_by="Version.number", cascade="all, delete-orphan"
    )


# Search by name or title (the dashboard's /search, ILIKE '%…%'): trigram GIN indexes on PostgreSQL
# (migration 0107 enables pg_trgm), plain indexes elsewhere.
Index("ix_agencies_name_search", Agency.name, postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"})
Index("ix_reports_title_search", Report.title, postgresql_using="gin", postgresql_ops={"title": "gin_trgm_ops"})


class Version(Base):
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("report_id", "number"), UniqueConstraint("report_id", "sha256"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    source_format: Mapped[str | None] = mapped_column(String(20))
    published_date: Mapped[date | None] = mapped_column(Date)
    model: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the spec model (Report.to_dict())
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    warning_count: Mapped[int] = mapped_column(Integer, default=0)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))

    report: Mapped[Report] = relationship(back_populates="versions")
    findings: Mapped[list[Finding]] = relationship(
        back_populates="version", order_by="Finding.id", cascade="all, delete-orphan"
    )


class Capture(Base):
    """One HTTP exchange that gave a version's bytes: the first download (`response`) and every recrawl
    that found them again (`revisit`). What a WARC record of the exchange needs (storage/warc.py):
    the request and response headers as sent and received, the status, the time. `status_code` None:
    bytes that came by no single HTTP exchange (a report joined from its parts, an import): a `resource`."""

    __tablename__ = "captures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # response | revisit | not_modified | resource
    url: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None]
    request_headers: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    response_headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Finding(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(50))
    severity: Mapped[str] = mapped_column(String(10))  # error | warning
    message: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    expected: Mapped[Any] = mapped_column(JSON, nullable=True)
    actual: Mapped[Any] = mapped_column(JSON, nullable=True)

    version: Mapped[Version] = relationship(back_populates="findings")


class SiteError(Base):
    __tablename__ = "site_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crawl_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True
    )
    agency_id: Mapped[str | None] = mapped_column(String(100), index=True)
    url: Mapped[str | None] = mapped_column(Text)
    # connection | timeout | http_status | blocked | too_large | parse | other
    kind: Mapped[str] = mapped_column(String(20))
    status_code: Mapped[int | None]
    message: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # new_report | new_version | missing | late | new_errors | site_failing | unreachable
    kind: Mapped[str] = mapped_column(String(30), index=True)
    agency_id: Mapped[str | None] = mapped_column(String(100), index=True)
    year: Mapped[int | None]
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id", ondelete="SET NULL"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Unique so that deriving the same event twice never stores it twice.
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)


class Digest(Base):
    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("recipient", "period_start", "period_end"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(300))
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    as_of: Mapped[datetime]
    subject: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set while one sender holds the row (storage/outbox.py claim); a claim older than the lease is a
    # crashed sender's and may be taken over.
    claimed_at: Mapped[datetime | None]
    # The server refused this message for good (5xx to RCPT or DATA; its answer is in last_error):
    # never retried.
    failed_permanently_at: Mapped[datetime | None]


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20), default="viewer")  # viewer | reviewer
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A disabled account cannot log in and its sessions are revoked; its reviews keep naming it.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class LoginSession(Base):
    """A dashboard login. The browser's signed cookie holds only a random token; the row is keyed by the
    token's SHA-256, so a copy of this table opens nothing. A request is logged in only while its row is
    neither revoked nor expired and its user is active: logout, a password or role change and
    `nianbao user disable` revoke the rows, and a cookie copied earlier stops working at once."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(64))


class FindingReview(Base):
    __tablename__ = "finding_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # acknowledged | false_positive
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


# --- the dashboard's status roll-up (monitor/rollup.py computes it, storage/rollup.py writes it) -------
# Plain tables, read and written with Core statements in batches: no row is ever handled as an object.
# Derived data only (rebuilt from the tables above), hence no foreign keys: a rebuild never waits on them.

dashboard_status = Table(
    "dashboard_status",
    Base.metadata,
    Column("agency_id", String(100), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("region", String(200), nullable=False, default=""),
    Column("level", String(20), nullable=False, default=""),
    Column("kind", String(20), nullable=False, default=""),
    Column("status", String(20), nullable=False),
    Column("inconsistent", Boolean, nullable=False, default=False),
    # False when the latest version was not read in full (monitor.status ReportInfo.fully_read).
    Column("fully_read", Boolean, nullable=False, default=True, server_default=true()),
    Column("report_id", Integer),
    Column("version_id", Integer),
    Column("version_count", Integer, nullable=False, default=0),
    Column("title", Text),
    Column("published_date", Date),
    Column("due", Date),
    Column("days_late", Integer, nullable=False, default=0),
    Column("error_count", Integer, nullable=False, default=0),
    Column("warning_count", Integer, nullable=False, default=0),
    Column("open_errors", Integer, nullable=False, default=0),
    Column("score", Integer, nullable=False, default=0),
    # The status's reason (monitor.status wording) and where published_date came from (monitor.status Basis:
    # the report's own date, its page's, the day it was found): `nianbao status` reads them as stored.
    Column("reason", Text, nullable=False, default="", server_default=""),
    Column("basis", String(20)),
    # Worst-first lists of a year, optionally within a region/level/status, read straight off an index.
    Index("ix_dashboard_status_year_score", "year", "score"),
    Index("ix_dashboard_status_year_region_score", "year", "region", "score"),
    Index("ix_dashboard_status_year_level", "year", "level"),
    Index("ix_dashboard_status_year_status", "year", "status"),
    Index("ix_dashboard_status_version_id", "version_id"),
)

# The roll-up's freshness stamp ("stamp": the data_stamp it was built from).
dashboard_meta = Table(
    "dashboard_meta",
    Base.metadata,
    Column("key", String(50), primary_key=True),
    Column("value", Text, nullable=False),
)


class ClusterRound(Base):
    """One crawl of every active agency by a cluster: requested (by the schedule or by hand), started when
    the coordinator cut it into shards, finished when every shard is done and events were derived."""

    __tablename__ = "cluster_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None] = mapped_column(index=True)


class ClusterShard(Base):
    """Hosts crawled by one task. Published once (enqueued_at); a worker marks it done (idempotent: a
    redelivered shard that is done already is skipped)."""

    __tablename__ = "cluster_shards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("cluster_rounds.id"), index=True)
    hosts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    enqueued_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    status: Mapped[str | None] = mapped_column(String(20))  # the crawl run's status
    run_id: Mapped[int | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # deliveries started (a redelivery adds one)


# --- benchmarks across agencies (monitor/benchmarks.py computes them, storage/benchmarks.py writes them) -----
# Derived data like the status roll-up: plain tables, no foreign keys, rebuilt from the tables above.

# The figures of the latest version of each (agency, year) that the rates are made of; kept per version so
# that a refresh reads only the models of versions stored since the last one.
benchmark_figures = Table(
    "benchmark_figures",
    Base.metadata,
    Column("agency_id", String(100), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("version_id", Integer, nullable=False),
    *(Column(name, Integer) for name in (
        "received", "handled", "granted", "partially_granted", "refused", "unable", "carried_forward",
        "review_total", "review_corrected", "litigation_total", "litigation_corrected")),
)

BENCHMARK_RATES: tuple[str, ...] = (
    "granted_rate", "refused_rate", "unable_rate", "review_corrected_rate", "litigation_corrected_rate", "carry_rate")

# Each agency's rates for a year (None: not rated) and its percentile among the rated agencies of its region.
benchmark_rates = Table(
    "benchmark_rates",
    Base.metadata,
    Column("agency_id", String(100), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("region", String(200), nullable=False, default=""),
    Column("level", String(20), nullable=False, default=""),
    Column("report_id", Integer),
    Column("received", Integer),
    Column("handled", Integer),
    Column("review_total", Integer),
    Column("litigation_total", Integer),
    *(Column(rate, Float) for rate in BENCHMARK_RATES),
    *(Column(f"{rate}_pct", Float) for rate in BENCHMARK_RATES),
    Column("warnings", Integer, nullable=False, default=0),  # rates above their thresholds
    # How far its worst rate is above its threshold (1.5: half as much again); above 1 it is on the warning
    # list, read worst first straight off the index.
    Column("excess", Float, nullable=False, default=0.0),
    Index("ix_benchmark_rates_year_region", "year", "region", "name"),
    Index("ix_benchmark_rates_year_excess", "year", "excess"),
)

# Quartiles of each rate per region and year ("" = every agency), over the rated agencies.
benchmark_regions = Table(
    "benchmark_regions",
    Base.metadata,
    Column("region", String(200), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("rate", String(40), primary_key=True),
    Column("rated", Integer, nullable=False),
    Column("p25", Float),
    Column("p50", Float),
    Column("p75", Float),
    Column("above", Integer, nullable=False, default=0),  # agencies above the warning threshold
)
