"""The settings as typed models: the one place that says what each setting may be and its default.

Every consumer (crawler, mailer, deadlines, monitor, dashboard, clock) takes its section from here and keeps
no default of its own. Each field type carries a `Must` marker: the wording of the message when a value is
wrong ("concurrency must be a positive integer, got 0"); nianbao.settings.load turns pydantic's errors
into those lines.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from nianbao.report.deadlines import DUE_MONTH_DAY, due_date
from nianbao.report.limits import MAX_PICTURE_BYTES, MAX_PICTURES, Limits

DEFAULT_DATABASE_URL = "sqlite:///data/nianbao.db"
DEFAULT_TIMEZONE = "Asia/Shanghai"  # the only place the project's time zone is written
_AGENCY_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
_EMAIL = r"^[^@\s]+@[^@\s]+$"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class Must:
    """Marker in a field's type: what a valid value is, as the error line says it ("must be …")."""

    def __init__(self, text: str) -> None:
        self.text = text


def sentence(text: str, **values: Any) -> PydanticCustomError:
    """A check whose message is a whole sentence (no "must be …, got …"), e.g. a cross-field rule."""
    return PydanticCustomError("sentence", text, values)


# --- value checks (raise ValueError; the detail, if any, is appended to the field's Must text) ------------


def _one_or_many(value: Any) -> Any:
    """A list field also takes one plain value; empty values mean an empty list."""
    if value is None or value == "":
        return ()
    return [value] if isinstance(value, str) else value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise ValueError("")
    return value


def _month_day(value: Any) -> str:
    try:
        month, day = (int(p) for p in str(value).split("-"))
        dt.date(2000, month, day)  # a leap year, so 02-29 is accepted
    except ValueError:
        raise ValueError("") from None
    return f"{month:02d}-{day:02d}"


def _zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError("") from None
    return value


def _cron(value: str) -> str:
    from apscheduler.triggers.cron import CronTrigger

    CronTrigger.from_crontab(value)  # its ValueError names the bad part: kept as the detail
    return value


def _seconds(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("")
    if isinstance(value, int | float):
        seconds = int(value) if value > 0 else 0
    else:
        match = _DURATION.match(str(value))
        seconds = int(float(match.group(1)) * _DURATION_UNITS[match.group(2)]) if match else 0
    if not seconds:
        raise ValueError("")
    return seconds


def _path_text(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise ValueError("")
    return value


# --- field types -----------------------------------------------------------------------------------------

PositiveInt = Annotated[int, Field(strict=True, gt=0), Must("a positive integer")]
NonNegativeInt = Annotated[int, Field(strict=True, ge=0), Must("an integer >= 0")]
PositiveNumber = Annotated[float, Field(strict=True, gt=0), Must("a number > 0")]
NonNegativeNumber = Annotated[float, Field(strict=True, ge=0), Must("a number >= 0")]
Boolean = Annotated[bool, Field(strict=True), Must("true or false")]
Text = Annotated[str, StringConstraints(strict=True, pattern=r"\S"), Must("a non-empty string")]
Port = Annotated[int, Field(strict=True, gt=0, lt=65536), Must("a port number 1-65535")]
HttpUrl = Annotated[str, Field(strict=True), AfterValidator(_http_url), Must("an http(s) URL")]
Email = Annotated[str, StringConstraints(strict=True, pattern=_EMAIL), Must("an e-mail address")]
MonthDay = Annotated[str, BeforeValidator(_month_day), Must('"MM-DD"')]
Cron = Annotated[str, Field(strict=True), AfterValidator(_cron),
                 Must("a cron expression (minute hour day month weekday)")]
TimeZone = Annotated[str, Field(strict=True), AfterValidator(_zone),
                     Must(f'an IANA time zone such as "{DEFAULT_TIMEZONE}"')]
Seconds = Annotated[int, BeforeValidator(_seconds), Must('a duration: seconds, or "30m", "12h", "7d"')]
FilePath = Annotated[Path, BeforeValidator(_path_text), Must("a path")]
_Name = Annotated[str, StringConstraints(strict=True, min_length=1)]
_Host = Annotated[str, StringConstraints(strict=True, pattern=r"^[^/]+$"), AfterValidator(str.lower)]

Level = Literal["province", "city", "county"]
Kind = Literal["department", "government"]  # department: due 31 Jan; government: due 31 Mar
RenderMode = Literal["static", "browser", "auto"]
SmtpSecurity = Literal["none", "starttls", "tls"]
LEVELS: tuple[str, ...] = get_args(Level)
KINDS: tuple[str, ...] = get_args(Kind)
RENDER_MODES: tuple[str, ...] = get_args(RenderMode)
SMTP_SECURITY: tuple[str, ...] = get_args(SmtpSecurity)


class Section(BaseModel):
    """A mapping in a settings file: unknown keys are mistakes, values are checked as given (no coercion
    of "5" to 5), and the result cannot be changed afterwards."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    shape: ClassVar[str] = "a mapping of keys to values"  # what the error says when it is not a mapping
    label_key: ClassVar[str | None] = None  # the key whose value names an entry of a list in error lines
    internal: ClassVar[tuple[str, ...]] = ()  # fields the loader fills, not written in a file


# --- agencies ---------------------------------------------------------------------------------------------


class Selectors(Section):
    shape: ClassVar[str] = "a mapping (list_items, pagination)"
    list_items: Annotated[Text | None, Must("a CSS or XPath string")] = None
    pagination: Annotated[Text | None, Must("a CSS or XPath string")] = None


class AgencyConfig(Section):
    shape: ClassVar[str] = "a mapping (id, name, region, …)"
    id: Annotated[str, StringConstraints(strict=True, pattern=_AGENCY_ID),
                  Must("letters, digits, '.', '_' or '-' (at most 100)")]
    name: Text
    region: Text
    level: Annotated[Level, Must("|".join(LEVELS))]
    kind: Annotated[Kind, Must("|".join(KINDS))]
    start_urls: Annotated[tuple[HttpUrl, ...], BeforeValidator(_one_or_many), Must("a list of URLs")]
    render: Annotated[RenderMode, Must("|".join(RENDER_MODES))] = "auto"
    selectors: Selectors = Selectors()
    allowed_domains: Annotated[tuple[_Host, ...], BeforeValidator(_one_or_many),
                               Must("a list of host names")] = ()
    added: Annotated[dt.date | None, Must("a date YYYY-MM-DD")] = None

    @model_validator(mode="before")
    @classmethod
    def _empty_is_missing(cls, data: Any) -> Any:
        """A key written without a value counts as not written (a required one is then "missing")."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (k in cls.model_fields and v in (None, "", [], {}))}
        return data

    @property
    def domains(self) -> tuple[str, ...]:
        """Domains the crawler may visit: `allowed_domains`, else the hosts of the start URLs."""
        if self.allowed_domains:
            return self.allowed_domains
        hosts = (urlsplit(u).hostname or "" for u in self.start_urls)
        return tuple(dict.fromkeys(h for h in hosts if h))


# --- sections ---------------------------------------------------------------------------------------------


class CrawlSettings(Section):
    concurrency: PositiveInt = 16  # requests in flight in one crawl
    per_domain_concurrency: PositiveInt = 2  # requests in flight per site: be polite to small servers
    delay: NonNegativeNumber = 0.5  # seconds between requests to one domain (AutoThrottle's start delay)
    autothrottle: Boolean = True
    obey_robots: Boolean = True
    max_download_size: PositiveInt = 50 * 1024 * 1024  # bytes; larger downloads are dropped as too_large
    warn_download_size: PositiveInt = 20 * 1024 * 1024  # bytes; Scrapy logs a warning above this
    timeout: PositiveNumber = 30.0  # seconds per request
    retries: NonNegativeInt = 2
    retry_backoff: NonNegativeNumber = 1.0  # seconds before the first retry, doubled for each further one
    user_agent: Text = "nianbao/0.1 (annual report monitor; +https://example.gov.cn/nianbao)"
    max_depth: NonNegativeInt = 4  # links followed from a start URL
    max_list_pages: PositiveInt = 50  # pages read along one pagination chain
    # Per agency and crawl: far above a real county site (a few hundred pages); a site that leads on without
    # end (a page of 100,000 links, a calendar) is stopped there and recorded as a "budget" site error.
    max_pages_per_site: PositiveInt = 3000  # requests
    max_bytes_per_site: PositiveInt = 500 * 1024 * 1024  # bytes downloaded
    browser_restart_pages: PositiveInt = 200  # restart Chromium after this many rendered pages
    browser_timeout: PositiveNumber = 30.0  # seconds for a rendered page to load
    # Seconds a script pager's click may leave the page unchanged with no request in flight before the
    # control is taken as dead (instead of waiting browser_timeout for a page that will never come).
    pager_click_settle: PositiveNumber = 2.0
    # A known page behind an unchanged list entry is not requested again until this many days after the
    # site last confirmed it (0: every known URL on every crawl). Reports are always re-checked.
    recheck_known_after_days: NonNegativeNumber = 7.0
    # What a crawl knows of its URLs (~1 KB each, ten or so an agency) is read for the agencies of a batch
    # of hosts, this many agencies to a query, before their first request, and dropped when they are done.
    known_agencies_per_read: PositiveInt = 200
    # Agencies whose known URLs are held at once: no new host is begun while this many are in flight
    # (far above the hosts `concurrency` keeps busy, so that a few slow sites do not hold up the crawl).
    known_agencies_held: PositiveInt = 2000
    # A report page whose tables are pictures: the article's pictures fetched with it (read by OCR).
    max_pictures_per_page: PositiveInt = MAX_PICTURES
    max_picture_bytes: PositiveInt = MAX_PICTURE_BYTES  # a larger picture is not downloaded
    # A host name that resolves to a loopback, private or reserved address is refused (a lapsed domain
    # pointed at an intranet, DNS rebinding): true only where the agencies' sites are on an intranet. A
    # start URL written as an address (http://10.0.0.5/) is the registry's choice and always allowed.
    private_addresses: Boolean = False


class ScheduleSettings(Section):
    crawl_season: Cron = "0 2 * 1-3 *"  # daily at 02:00 from 1 January to 31 March
    crawl_offseason: Cron = "0 3 * 4-12 mon"  # weekly, Monday 03:00, April to December
    digest: Cron = "0 8 * * mon"  # Monday 08:00
    timezone: TimeZone = DEFAULT_TIMEZONE


def _statutory(kind: str) -> str:
    """The law's due day for `kind` as "MM-DD": the report library holds the statute, settings only name it."""
    month, day = DUE_MONTH_DAY[kind]
    return f"{month:02d}-{day:02d}"


class DeadlineSettings(Section):
    department: MonthDay = _statutory("department")  # MM-DD of the year after the report year
    government: MonthDay = _statutory("government")
    grace_days: NonNegativeInt = 0

    def deadline(self, kind: str, year: int) -> dt.date:
        """The legal deadline for `year`'s report of an agency of `kind` (《条例》第四十九条), without grace."""
        return due_date(kind, year, month_day=self._month_day(kind))

    def due(self, kind: str, year: int) -> dt.date:
        """The last day a report still counts as on time: deadline plus grace."""
        return due_date(kind, year, self.grace_days, month_day=self._month_day(kind))

    def _month_day(self, kind: str) -> tuple[int, int]:
        month, day = (self.government if kind == "government" else self.department).split("-")
        return int(month), int(day)


_LIMITS = Limits()  # the report library's own figures: one literal for each limit


class DocumentSettings(Section):
    """The budget of one published document (report.budget): over it, the document is stored as
    "文件过大/读取超时" and the run goes on."""

    max_mb: PositiveInt = _LIMITS.max_bytes // 2**20  # size of the file as published
    max_pages: PositiveInt = _LIMITS.max_pages  # PDF pages read
    max_decompressed_mb: PositiveInt = _LIMITS.max_decompressed // 2**20  # DOCX: XML after unzipping
    max_memory_mb: PositiveInt = _LIMITS.max_memory // 2**20  # address space of the process reading it
    timeout: PositiveNumber = _LIMITS.check_timeout  # seconds to read, parse and check it
    conversion_timeout: PositiveNumber = _LIMITS.conversion_timeout  # seconds for LibreOffice (.doc, .wps)

    def limits(self) -> Limits:
        """The same figures as the report library takes them."""
        return Limits(max_bytes=self.max_mb * 2**20, max_pages=self.max_pages,
                      max_decompressed=self.max_decompressed_mb * 2**20, max_ratio=_LIMITS.max_ratio,
                      conversion_timeout=self.conversion_timeout, max_memory=self.max_memory_mb * 2**20,
                      check_timeout=self.timeout)


class MonitorSettings(Section):
    # Consecutive crawls in which a site could not be read before the digest reports it as failing.
    site_failing_runs: PositiveInt = 3


Share = Annotated[float, Field(strict=True, ge=0, le=1), Must("a number from 0 to 1 (0.3 = 30 %)")]


class BenchmarkSettings(Section):
    """The benchmarks across agencies (monitor/benchmarks.py): who is rated, and what puts an agency on the
    warning list. Thresholds are shares (0.3 = 30 %); a rate above its threshold is a warning."""

    # Fewer applications than this (本年新收 + 上年结转): the rates of part 三 are not rated (one refusal in
    # three applications is no 33 % refusal rate worth a warning).
    min_applications: PositiveInt = 10
    # Fewer 行政复议 (行政诉讼) cases than this: the correction rate of part 四 is not rated.
    min_cases: PositiveInt = 3
    trend_years: Annotated[int, Field(strict=True, ge=2, le=10), Must("a whole number from 2 to 10")] = 5
    refused_rate_above: Share = 0.3  # 不予公开 / （七）总计
    unable_rate_above: Share = 0.5  # 无法提供 / （七）总计
    review_corrected_rate_above: Share = 0.2  # 行政复议 结果纠正 / 总计
    litigation_corrected_rate_above: Share = 0.2  # 行政诉讼 结果纠正 / 总计
    carry_rate_above: Share = 0.2  # 结转下年度继续办理 / (本年新收 + 上年结转)

    def thresholds(self) -> dict[str, float]:
        """Rate key -> the share above which it is a warning."""
        return {name.removesuffix("_above"): value for name, value in self.model_dump().items()
                if name.endswith("_above")}


class SmtpSettings(Section):
    host: Text = "127.0.0.1"
    port: Port = 25
    security: Annotated[SmtpSecurity, Must("|".join(SMTP_SECURITY))] = "none"
    username: Text | None = None
    password: Text | None = None
    password_env: Text | None = None  # name of an environment variable holding the password
    sender: Email = "nianbao@example.gov.cn"
    timeout: PositiveNumber = 30.0
    ca_file: Text | None = None  # extra CA to trust (a self-signed relay); system CAs otherwise

    @model_validator(mode="after")
    def _password_rules(self) -> SmtpSettings:
        if self.password and self.password_env:
            raise sentence("give password or password_env, not both")
        if (self.password or self.password_env) and not self.username:
            raise sentence("a password needs a username")
        return self

    def get_password(self) -> str | None:
        if self.password_env:
            return os.environ.get(self.password_env)
        return self.password


class Recipient(Section):
    shape: ClassVar[str] = "a mapping (email, name, regions, agencies)"
    label_key: ClassVar[str | None] = "email"  # recipients[0] "a@example.gov.cn": …
    email: Email
    name: Annotated[str, BeforeValidator(lambda v: str(v or ""))] = ""
    # e.g. 广东省 covers 广东省/广州市; no regions and no agencies = everything
    regions: Annotated[tuple[_Name, ...], BeforeValidator(_one_or_many), Must("a list of strings")] = ()
    agencies: Annotated[tuple[_Name, ...], BeforeValidator(_one_or_many), Must("a list of strings")] = ()

    @field_validator("agencies")
    @classmethod
    def _known_agencies(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        known = (info.context or {}).get("agency_ids")
        for agency_id in value:
            if known and agency_id not in known:
                raise sentence('names an unknown agency "{agency}"', agency=agency_id)
        return value

    def covers(self, agency_id: str | None, region: str | None) -> bool:
        """True when the agency is in scope. A recipient with neither list oversees everything."""
        if not self.regions and not self.agencies:
            return True
        if agency_id is not None and agency_id in self.agencies:
            return True
        return bool(region) and any(region == r or (region or "").startswith(r.rstrip("/") + "/")
                                    for r in self.regions)


class DashboardSettings(Section):
    base_url: HttpUrl = "http://127.0.0.1:8000"  # links in the digest point here
    host: Text = "127.0.0.1"
    port: Port = 8000
    secret_key: Text | None = None
    secret_key_env: Text | None = None
    session_lifetime: Seconds = 12 * 3600  # seconds; the file may say "12h", "30m", "7d"
    refresh_seconds: NonNegativeNumber = 5.0  # how often a page checks that the status roll-up is current
    # Served to browsers over HTTPS (behind a TLS proxy): the session cookie gets `Secure` and every answer
    # Strict-Transport-Security. Off by default: over plain HTTP a Secure cookie would never come back.
    https: Boolean = False
    # Login throttling: wrong passwords allowed per account and per client address within the window;
    # past it the login answers 429 without checking the password.
    login_failures_per_account: PositiveInt = 5
    login_failures_per_address: PositiveInt = 20
    login_failure_window: Seconds = 15 * 60
    # Where the failures are counted (a `limits` storage URI). In memory suits one dashboard process; the
    # replicas of a cluster share the count through Redis ("redis://127.0.0.1:6379/0"), or each one would
    # allow the limit again.
    login_failure_store: Text = "memory://"
    # Password checks (argon2, 64 MiB each) running at once; more logins wait their turn.
    password_checks: PositiveInt = 2

    def get_secret_key(self) -> str | None:
        if self.secret_key_env:
            return os.environ.get(self.secret_key_env)
        return self.secret_key


class ClusterSettings(Section):
    """`nianbao run --coordinator` and `nianbao worker` only; one machine (`nianbao run`) needs none of it."""

    broker_url: Text = "amqp://guest:guest@127.0.0.1:5672//"  # Celery's broker (RabbitMQ; redis:// works too)
    crawl_queue: Text = "nianbao.crawl"  # shards of hosts to crawl
    parse_queue: Text = "nianbao.parse"  # documents to parse (DOC conversion, OCR, big PDFs)
    hosts_per_shard: PositiveInt = 20  # one task; a host is in one shard, so one worker, at a time
    poll_seconds: PositiveNumber = 2.0  # how often the coordinator looks at its round and its rivals


class Clock:
    """Today and now in the configured time zone (deadlines are calendar days there)."""

    def __init__(self, timezone: str = DEFAULT_TIMEZONE) -> None:
        self.zone = zoneinfo.ZoneInfo(timezone)

    def now(self) -> dt.datetime:
        return dt.datetime.now(self.zone)

    def today(self) -> dt.date:
        return self.now().date()

    def local_date(self, moment: dt.datetime) -> dt.date:
        """The calendar day of `moment` here (a naive moment is taken as already local)."""
        return moment.astimezone(self.zone).date() if moment.tzinfo else moment.date()

    def start_of(self, day: dt.date) -> dt.datetime:
        """The first moment of `day` here."""
        return dt.datetime.combine(day, dt.time(), tzinfo=self.zone)


class Settings(Section):
    shape: ClassVar[str] = "a mapping of settings (database_url, blob_dir, agencies, …)"
    internal: ClassVar[tuple[str, ...]] = ("agencies_file", "path")

    database_url: Annotated[str, Field(strict=True), Must("a string")] = DEFAULT_DATABASE_URL
    blob_dir: FilePath = Path("data/blobs")  # raw bytes of every report version
    agencies_file: Path | None = None
    agencies: tuple[AgencyConfig, ...] = ()
    crawl: CrawlSettings = CrawlSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    deadlines: DeadlineSettings = DeadlineSettings()
    documents: DocumentSettings = DocumentSettings()
    monitor: MonitorSettings = MonitorSettings()
    benchmarks: BenchmarkSettings = BenchmarkSettings()
    smtp: SmtpSettings = SmtpSettings()
    recipients: Annotated[tuple[Recipient, ...], Must("a list")] = ()
    dashboard: DashboardSettings = DashboardSettings()
    cluster: ClusterSettings = ClusterSettings()
    outbox_dir: FilePath = Path("outbox")  # digests that could not be sent, as .eml files
    path: Path | None = None  # the settings file read, None when only defaults apply

    def agency(self, agency_id: str) -> AgencyConfig | None:
        return next((a for a in self.agencies if a.id == agency_id), None)

    @property
    def clock(self) -> Clock:
        return Clock(self.schedule.timezone)
