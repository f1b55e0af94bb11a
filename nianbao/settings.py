"""Settings: the settings file (config/nianbao.yaml) and the agencies file it names.

`load_settings(path)` reads both, fills defaults, resolves relative paths against the folder of the
settings file (so a config folder can be moved with its data), and validates everything at once:
`SettingsError` lists every mistake on its own line, naming the file, the agency and the field.

Path rules:
- `path` argument, else env NIANBAO_CONFIG, else `config/nianbao.yaml` under the current directory.
  A missing default file means "all defaults, no agencies"; a missing explicit file is an error.
- `database_url`: env NIANBAO_DATABASE_URL wins. A relative SQLite path in the file resolves against the
  settings file's folder; one given in the environment resolves against the current directory.
- `blob_dir`, `outbox_dir`, `agencies`: relative to the settings file's folder.
"""

from __future__ import annotations

import difflib
import os
import re
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

DEFAULT_SETTINGS_PATH = Path("config") / "nianbao.yaml"
DEFAULT_DATABASE_URL = "sqlite:///data/nianbao.db"
LEVELS = ("province", "city", "county")
KINDS = ("department", "government")
RENDER_MODES = ("static", "browser", "auto")
SMTP_SECURITY = ("none", "starttls", "tls")
SELECTOR_KEYS = ("list_items", "pagination")
_AGENCY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class SettingsError(Exception):
    """Invalid settings. `problems` holds one line per mistake; str() joins them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# --- the settings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyConfig:
    id: str
    name: str
    region: str
    level: str  # province | city | county
    kind: str  # department (due 31 Jan) | government (due 31 Mar)
    start_urls: tuple[str, ...]
    render: str = "auto"  # static | browser | auto
    selectors: Mapping[str, str] = field(default_factory=dict)  # list_items, pagination: CSS or XPath
    allowed_domains: tuple[str, ...] = ()
    added: date | None = None

    @property
    def domains(self) -> tuple[str, ...]:
        """Domains the crawler may visit: `allowed_domains`, else the hosts of the start URLs."""
        if self.allowed_domains:
            return self.allowed_domains
        hosts = (urlsplit(u).hostname or "" for u in self.start_urls)
        return tuple(dict.fromkeys(h for h in hosts if h))


@dataclass(frozen=True)
class CrawlSettings:
    concurrency: int = 16  # requests in flight in one crawl
    per_domain_concurrency: int = 2
    delay: float = 0.5  # seconds between requests to one domain (AutoThrottle's start delay)
    autothrottle: bool = True
    obey_robots: bool = True
    max_download_size: int = 50 * 1024 * 1024  # bytes; larger downloads are dropped as too_large
    timeout: float = 30.0  # seconds per request
    retries: int = 2
    user_agent: str = "nianbao/0.1 (annual report monitor; +https://example.gov.cn/nianbao)"
    max_depth: int = 4  # links followed from a start URL
    browser_restart_pages: int = 200  # restart Chromium after this many rendered pages
    # A known page behind an unchanged list entry is not requested again until this many days after the
    # site last confirmed it (0: every known URL on every crawl). Reports are always re-checked.
    recheck_known_after_days: float = 7.0


@dataclass(frozen=True)
class ScheduleSettings:
    crawl_season: str = "0 2 * 1-3 *"  # daily at 02:00 from 1 January to 31 March
    crawl_offseason: str = "0 3 * 4-12 mon"  # weekly, Monday 03:00, April to December
    digest: str = "0 8 * * mon"  # Monday 08:00
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class DeadlineSettings:
    department: str = "01-31"  # MM-DD of the year after the report year
    government: str = "03-31"
    grace_days: int = 0

    def due_date(self, kind: str, year: int) -> date:
        """When the report on `year` of an agency of `kind` is due (《条例》第四十九条)."""
        month, day = (int(part) for part in getattr(self, kind).split("-"))
        return date(year + 1, month, day)


@dataclass(frozen=True)
class MonitorSettings:
    # Consecutive crawls in which a site could not be read before the digest reports it as failing.
    site_failing_runs: int = 3


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    security: str = "none"  # none | starttls | tls
    username: str | None = None
    password: str | None = None
    password_env: str | None = None  # name of an environment variable holding the password
    sender: str = "nianbao@example.gov.cn"
    timeout: float = 30.0

    def get_password(self) -> str | None:
        if self.password_env:
            return os.environ.get(self.password_env)
        return self.password


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str = ""
    regions: tuple[str, ...] = ()  # e.g. 广东省 covers 广东省/广州市; empty with no agencies = everything
    agencies: tuple[str, ...] = ()

    def covers(self, agency_id: str, region: str) -> bool:
        if not self.regions and not self.agencies:
            return True
        if agency_id in self.agencies:
            return True
        return any(region == r or region.startswith(r.rstrip("/") + "/") for r in self.regions)


@dataclass(frozen=True)
class DashboardSettings:
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str | None = None
    secret_key_env: str | None = None
    session_lifetime: int = 12 * 3600  # seconds; the file may say "12h", "30m", "7d"

    def get_secret_key(self) -> str | None:
        if self.secret_key_env:
            return os.environ.get(self.secret_key_env)
        return self.secret_key


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    blob_dir: Path = Path("data/blobs")
    agencies_file: Path | None = None
    agencies: tuple[AgencyConfig, ...] = ()
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    deadlines: DeadlineSettings = field(default_factory=DeadlineSettings)
    monitor: MonitorSettings = field(default_factory=MonitorSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    recipients: tuple[Recipient, ...] = ()
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)
    outbox_dir: Path = Path("outbox")
    path: Path | None = None  # the settings file read, None when only defaults apply

    def agency(self, agency_id: str) -> AgencyConfig | None:
        return next((a for a in self.agencies if a.id == agency_id), None)


# --- validation helpers --------------------------------------------------------------------------


class _Problems:
    """Collects mistakes instead of stopping at the first, so one run shows them all."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.lines.append(f"{where}: {message}")


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _check_keys(data: Mapping[str, Any], allowed: tuple[str, ...], where: str, problems: _Problems) -> None:
    for key in data:
        if key in allowed:
            continue
        guess = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        hint = f' (did you mean "{guess[0]}"?)' if guess else f" (known: {', '.join(allowed)})"
        problems.add(where, f'unknown key "{key}"{hint}')


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value


def _duration(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if value > 0 else None
    match = _DURATION.match(str(value))
    if not match:
        return None
    seconds = int(float(match.group(1)) * _DURATION_UNITS[match.group(2)])
    return seconds or None


# A converter returns the converted value or raises ValueError with "must be …" text.
Converter = Callable[[Any], Any]


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError("must be a positive integer")
    return value


def _non_negative_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("must be an integer >= 0")
    return value


def _non_negative_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError("must be a number >= 0")
    return float(value)


def _positive_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError("must be a number > 0")
    return float(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _choice(options: tuple[str, ...]) -> Converter:
    def convert(value: Any) -> str:
        if value not in options:
            raise ValueError(f"must be {'|'.join(options)}")
        return value

    return convert


def _port(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise ValueError("must be a port number 1-65535")
    return value


def _month_day(value: Any) -> str:
    try:
        month, day = (int(p) for p in str(value).split("-"))
        date(2000, month, day)  # a leap year, so 02-29 is accepted
    except ValueError:
        raise ValueError('must be "MM-DD"') from None
    return f"{month:02d}-{day:02d}"


def _timezone(value: Any) -> str:
    try:
        zoneinfo.ZoneInfo(str(value))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError('must be an IANA time zone such as "Asia/Shanghai"') from None
    return str(value)


def _cron(value: Any) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(str(value))
    except ValueError as exc:
        raise ValueError(f"must be a cron expression (minute hour day month weekday): {exc}") from None
    return str(value)


def _http_url(value: Any) -> str:
    if not _is_http_url(value):
        raise ValueError("must be an http(s) URL")
    return value


def _email(value: Any) -> str:
    if not isinstance(value, str) or not _EMAIL.match(value):
        raise ValueError("must be an e-mail address")
    return value


def _seconds(value: Any) -> int:
    seconds = _duration(value)
    if seconds is None:
        raise ValueError('must be a duration: seconds, or "30m", "12h", "7d"')
    return seconds


_SECTION_RULES: dict[type, dict[str, Converter]] = {
    CrawlSettings: {
        "concurrency": _positive_int,
        "per_domain_concurrency": _positive_int,
        "delay": _non_negative_number,
        "autothrottle": _boolean,
        "obey_robots": _boolean,
        "max_download_size": _positive_int,
        "timeout": _positive_number,
        "retries": _non_negative_int,
        "user_agent": _text,
        "max_depth": _non_negative_int,
        "browser_restart_pages": _positive_int,
        "recheck_known_after_days": _non_negative_number,
    },
    ScheduleSettings: {
        "crawl_season": _cron,
        "crawl_offseason": _cron,
        "digest": _cron,
        "timezone": _timezone,
    },
    DeadlineSettings: {"department": _month_day, "government": _month_day, "grace_days": _non_negative_int},
    MonitorSettings: {"site_failing_runs": _positive_int},
    SmtpSettings: {
        "host": _text,
        "port": _port,
        "security": _choice(SMTP_SECURITY),
        "username": _optional_text,
        "password": _optional_text,
        "password_env": _optional_text,
        "sender": _email,
        "timeout": _positive_number,
    },
    DashboardSettings: {
        "base_url": _http_url,
        "host": _text,
        "port": _port,
        "secret_key": _optional_text,
        "secret_key_env": _optional_text,
        "session_lifetime": _seconds,
    },
}


def _section(cls: type, data: Any, where: str, problems: _Problems) -> Any:
    """Build a settings section from a mapping, reporting every bad or unknown key."""
    if data is None:
        return cls()
    if not isinstance(data, Mapping):
        problems.add(where, "must be a mapping of keys to values")
        return cls()
    rules = _SECTION_RULES[cls]
    _check_keys(data, tuple(rules), where, problems)
    values: dict[str, Any] = {}
    for key, convert in rules.items():
        if key not in data:
            continue
        try:
            values[key] = convert(data[key])
        except ValueError as exc:
            problems.add(where, f"{key} {exc}, got {_show(data[key])}")
    return cls(**values)


# --- agencies ------------------------------------------------------------------------------------

_AGENCY_KEYS = tuple(f.name for f in fields(AgencyConfig))
_AGENCY_REQUIRED = ("id", "name", "region", "level", "kind", "start_urls")


def _agency(entry: Any, index: int, where: str, problems: _Problems) -> AgencyConfig | None:
    if not isinstance(entry, Mapping):
        problems.add(f"{where}: agency #{index + 1}", "must be a mapping (id, name, region, …)")
        return None
    raw_id = entry.get("id")
    label = (
        f'{where}: agency "{raw_id}"'
        if isinstance(raw_id, str) and raw_id
        else f"{where}: agency #{index + 1}"
    )
    before = len(problems.lines)
    _check_keys(entry, _AGENCY_KEYS, label, problems)
    for key in _AGENCY_REQUIRED:
        if entry.get(key) in (None, "", []):
            problems.add(label, f"{key} is missing")
    agency_id = _agency_field(entry, "id", _agency_id, label, problems)
    name = _agency_field(entry, "name", _text, label, problems)
    region = _agency_field(entry, "region", _text, label, problems)
    level = _agency_field(entry, "level", _choice(LEVELS), label, problems)
    kind = _agency_field(entry, "kind", _choice(KINDS), label, problems)
    render = _agency_field(entry, "render", _choice(RENDER_MODES), label, problems) or "auto"
    start_urls = _url_list(entry.get("start_urls"), "start_urls", label, problems)
    domains = _domain_list(entry.get("allowed_domains"), label, problems)
    selectors = _selectors(entry.get("selectors"), label, problems)
    added = _agency_field(entry, "added", _added_date, label, problems)
    if len(problems.lines) > before:
        return None
    return AgencyConfig(
        id=agency_id,
        name=name,
        region=region,
        level=level,
        kind=kind,
        start_urls=start_urls,
        render=render,
        selectors=selectors,
        allowed_domains=domains,
        added=added,
    )


def _agency_field(
    entry: Mapping[str, Any], key: str, convert: Converter, label: str, problems: _Problems
) -> Any:
    if entry.get(key) in (None, ""):
        return None  # reported as missing (if required) by the caller
    try:
        return convert(entry[key])
    except ValueError as exc:
        problems.add(label, f"{key} {exc}, got {_show(entry[key])}")
        return None


def _agency_id(value: Any) -> str:
    if not isinstance(value, str) or not _AGENCY_ID.match(value):
        raise ValueError("must be letters, digits, '.', '_' or '-' (at most 100)")
    return value


def _added_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError("must be a date YYYY-MM-DD") from None


def _url_list(value: Any, key: str, label: str, problems: _Problems) -> tuple[str, ...]:
    if value in (None, "", []):
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        problems.add(label, f"{key} must be a list of URLs, got {_show(value)}")
        return ()
    for i, url in enumerate(items):
        if not _is_http_url(url):
            problems.add(label, f"{key}[{i}] must be an http(s) URL, got {_show(url)}")
    return tuple(items)


def _domain_list(value: Any, label: str, problems: _Problems) -> tuple[str, ...]:
    if value in (None, []):
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(d, str) and d and "/" not in d for d in items):
        problems.add(label, f"allowed_domains must be a list of host names, got {_show(value)}")
        return ()
    return tuple(d.lower() for d in items)


def _selectors(value: Any, label: str, problems: _Problems) -> dict[str, str]:
    if value in (None, {}):
        return {}
    if not isinstance(value, Mapping):
        problems.add(label, f"selectors must be a mapping ({', '.join(SELECTOR_KEYS)}), got {_show(value)}")
        return {}
    _check_keys(value, SELECTOR_KEYS, f"{label}: selectors", problems)
    result: dict[str, str] = {}
    for key in SELECTOR_KEYS:
        if key in value:
            if isinstance(value[key], str) and value[key].strip():
                result[key] = value[key]
            else:
                problems.add(label, f"selectors.{key} must be a CSS or XPath string, got {_show(value[key])}")
    return result


def _load_agencies(path: Path, problems: _Problems) -> tuple[AgencyConfig, ...]:
    where = path.name
    data = _read_yaml(path, problems)
    if data is None:
        return ()
    if not isinstance(data, Mapping) or "agencies" not in data:
        problems.add(where, "must have a top-level `agencies:` list")
        return ()
    _check_keys(data, ("agencies",), where, problems)
    entries = data["agencies"] or []
    if not isinstance(entries, list):
        problems.add(where, "`agencies` must be a list")
        return ()
    agencies: list[AgencyConfig] = []
    first_index: dict[str, int] = {}
    for index, entry in enumerate(entries):
        agency_id = entry.get("id") if isinstance(entry, Mapping) else None
        if isinstance(agency_id, str) and agency_id in first_index:
            problems.add(
                f'{where}: agency "{agency_id}"',
                f"duplicate id (entries #{first_index[agency_id] + 1} and #{index + 1})",
            )
            continue
        if isinstance(agency_id, str):
            first_index[agency_id] = index
        agency = _agency(entry, index, where, problems)
        if agency is not None:
            agencies.append(agency)
    return tuple(agencies)


# --- recipients ----------------------------------------------------------------------------------

_RECIPIENT_KEYS = tuple(f.name for f in fields(Recipient))


def _recipients(value: Any, agency_ids: set[str], where: str, problems: _Problems) -> tuple[Recipient, ...]:
    if value in (None, []):
        return ()
    if not isinstance(value, list):
        problems.add(where, f"recipients must be a list, got {_show(value)}")
        return ()
    result = []
    for index, entry in enumerate(value):
        recipient = _recipient(entry, index, agency_ids, where, problems)
        if recipient is not None:
            result.append(recipient)
    return tuple(result)


def _recipient(
    entry: Any, index: int, agency_ids: set[str], where: str, problems: _Problems
) -> Recipient | None:
    label = f"{where}: recipients[{index}]"
    if not isinstance(entry, Mapping):
        problems.add(label, "must be a mapping (email, name, regions, agencies)")
        return None
    if isinstance(entry.get("email"), str):
        label = f'{label} "{entry["email"]}"'
    before = len(problems.lines)
    _check_keys(entry, _RECIPIENT_KEYS, label, problems)
    email = entry.get("email")
    if not isinstance(email, str) or not _EMAIL.match(email):
        problems.add(label, f"email must be an e-mail address, got {_show(email)}")
    scopes: dict[str, tuple[str, ...]] = {}
    for key in ("regions", "agencies"):
        items = entry.get(key) or []
        items = [items] if isinstance(items, str) else items
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            problems.add(label, f"{key} must be a list of strings, got {_show(entry.get(key))}")
            items = []
        scopes[key] = tuple(items)
    for agency_id in scopes["agencies"]:
        if agency_ids and agency_id not in agency_ids:
            problems.add(label, f'agencies names an unknown agency "{agency_id}"')
    if len(problems.lines) > before:
        return None
    return Recipient(email=email, name=str(entry.get("name") or ""), **scopes)


# --- loading -------------------------------------------------------------------------------------

_TOP_KEYS = (
    "database_url",
    "blob_dir",
    "agencies",
    "crawl",
    "schedule",
    "deadlines",
    "monitor",
    "smtp",
    "recipients",
    "dashboard",
    "outbox_dir",
)


def _read_yaml(path: Path, problems: _Problems) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.add(path.name, f"file not found: {path}")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(path.name, f"cannot be read: {exc}")
        return None
    try:
        # libyaml when present: the same safe loading, several times faster on a registry of thousands.
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loaders
    except yaml.YAMLError as exc:
        problems.add(path.name, "is not valid YAML: " + " ".join(str(exc).split()))
        return None


def _resolve(base: Path, value: Any, key: str, where: str, problems: _Problems, default: str) -> Path:
    if value is None:
        value = default
    if not isinstance(value, str) or not value.strip():
        problems.add(where, f"{key} must be a path, got {_show(value)}")
        value = default
    return (base / Path(value).expanduser()).resolve()


def _database_url(value: Any, base: Path, where: str, problems: _Problems) -> str:
    from_env = os.environ.get("NIANBAO_DATABASE_URL")
    if from_env:
        value, base = from_env, Path.cwd()
        where = "NIANBAO_DATABASE_URL"
    elif value is None:
        value = DEFAULT_DATABASE_URL
    if not isinstance(value, str):
        problems.add(where, f"database_url must be a string, got {_show(value)}")
        return DEFAULT_DATABASE_URL
    return _absolute_sqlite(value, base, where, problems)


def _absolute_sqlite(url_text: str, base: Path, where: str, problems: _Problems) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(url_text)
    except ArgumentError:
        problems.add(where, f"database_url is not a database URL, got {_show(url_text)}")
        return DEFAULT_DATABASE_URL
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return url_text
    database = Path(url.database).expanduser()
    if database.is_absolute():
        return url_text
    return url.set(database=str((base / database).resolve())).render_as_string(hide_password=False)


def _settings_path(path: str | os.PathLike[str] | None) -> tuple[Path, bool]:
    """The file to read and whether the user named it (a named file must exist)."""
    if path is not None:
        return Path(path), True
    if os.environ.get("NIANBAO_CONFIG"):
        return Path(os.environ["NIANBAO_CONFIG"]), True
    return DEFAULT_SETTINGS_PATH, False


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read and validate the settings and agencies files; raises SettingsError listing every mistake."""
    settings_path, explicit = _settings_path(path)
    problems = _Problems()
    if not explicit and not settings_path.exists():
        data: Any = {}
        base, where, source = Path.cwd(), "defaults", None
    else:
        data = _read_yaml(settings_path, problems)
        base, where, source = settings_path.resolve().parent, settings_path.name, settings_path.resolve()
    if data is None:
        data = {} if not problems.lines else None
    if data is not None and not isinstance(data, Mapping):
        problems.add(where, "must be a mapping of settings (database_url, blob_dir, agencies, …)")
    if problems.lines:
        raise SettingsError(problems.lines)
    settings = _build(data, base, where, source, problems)
    if problems.lines:
        raise SettingsError(problems.lines)
    return settings


def _build(
    data: Mapping[str, Any], base: Path, where: str, source: Path | None, problems: _Problems
) -> Settings:
    _check_keys(data, _TOP_KEYS, where, problems)
    agencies_file: Path | None = None
    agencies: tuple[AgencyConfig, ...] = ()
    if data.get("agencies") is not None:
        agencies_file = _resolve(base, data["agencies"], "agencies", where, problems, "agencies.yaml")
        agencies = _load_agencies(agencies_file, problems)
    return Settings(
        database_url=_database_url(data.get("database_url"), base, where, problems),
        blob_dir=_resolve(base, data.get("blob_dir"), "blob_dir", where, problems, "data/blobs"),
        agencies_file=agencies_file,
        agencies=agencies,
        crawl=_section(CrawlSettings, data.get("crawl"), f"{where}: crawl", problems),
        schedule=_section(ScheduleSettings, data.get("schedule"), f"{where}: schedule", problems),
        deadlines=_section(DeadlineSettings, data.get("deadlines"), f"{where}: deadlines", problems),
        monitor=_section(MonitorSettings, data.get("monitor"), f"{where}: monitor", problems),
        smtp=_smtp(data.get("smtp"), f"{where}: smtp", problems),
        recipients=_recipients(data.get("recipients"), {a.id for a in agencies}, where, problems),
        dashboard=_section(DashboardSettings, data.get("dashboard"), f"{where}: dashboard", problems),
        outbox_dir=_resolve(base, data.get("outbox_dir"), "outbox_dir", where, problems, "outbox"),
        path=source,
    )


def _smtp(data: Any, where: str, problems: _Problems) -> SmtpSettings:
    smtp: SmtpSettings = _section(SmtpSettings, data, where, problems)
    if smtp.password and smtp.password_env:
        problems.add(where, "give password or password_env, not both")
    if (smtp.password or smtp.password_env) and not smtp.username:
        problems.add(where, "a password needs a username")
    return smtp


def settings_from_context(ctx: Any) -> Settings:
    """For click commands: the settings named by `nianbao --config`, errors as a click message."""
    import click

    obj = ctx.find_root().obj or {}
    try:
        return load_settings(obj.get("config_path"))
    except SettingsError as exc:
        raise click.ClickException(f"invalid settings:\n{exc}") from exc
