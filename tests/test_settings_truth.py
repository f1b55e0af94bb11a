"""One settings truth: what the crawler, the spider, the mailer, the deadlines, the dashboard and the monitor
actually use is what the settings models say, for the shipped example file and for a changed one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from scrapy.crawler import Crawler
from scrapy.settings import Settings as ScrapySettings

from nianbao.alerts import mailer
from nianbao.alerts.digest import week_period
from nianbao.crawler.middlewares import BackoffRetryMiddleware
from nianbao.crawler.settings import scrapy_settings
from nianbao.crawler.spiders.report_spider import ReportSpider
from nianbao.dashboard.app import create_app, dashboard_config
from nianbao.monitor.events import failing_runs_threshold
from nianbao.monitor.status import end_of_day
from nianbao.settings import Settings, load_settings
from nianbao.storage.store import Store

REPO = Path(__file__).resolve().parents[1]

# A value other than the default for every setting a consumer reads.
CHANGED = {
    "crawl": {"concurrency": 5, "per_domain_concurrency": 3, "delay": 1.5, "autothrottle": False,
              "obey_robots": False, "max_download_size": 1000, "warn_download_size": 500, "timeout": 12,
              "retries": 4, "retry_backoff": 2.5, "user_agent": "other-agent", "max_depth": 6,
              "max_list_pages": 9, "browser_restart_pages": 11, "browser_timeout": 7,
              "recheck_known_after_days": 2, "max_pages_per_site": 70, "max_bytes_per_site": 8000,
              "max_pictures_per_page": 3, "max_picture_bytes": 5000, "known_agencies_per_read": 17,
              "known_agencies_held": 170, "private_addresses": True},
    "schedule": {"timezone": "Pacific/Kiritimati"},  # UTC+14: its calendar day differs from Shanghai's
    "deadlines": {"department": "02-15", "government": "04-30", "grace_days": 3},
    "monitor": {"site_failing_runs": 6},
    "benchmarks": {"min_applications": 7, "refused_rate_above": 0.45},
    "smtp": {"host": "mail.example.test", "port": 2525, "timeout": 4, "sender": "other@example.test"},
    "dashboard": {"base_url": "http://dash.example.test:9000", "session_lifetime": "2h", "refresh_seconds": 9},
}


@pytest.fixture(autouse=True)
def no_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NIANBAO_DATABASE_URL", raising=False)
    monkeypatch.delenv("NIANBAO_CONFIG", raising=False)


def shipped() -> Settings:
    return load_settings(REPO / "config" / "nianbao.yaml")


def changed(tmp_path: Path) -> Settings:
    path = tmp_path / "nianbao.yaml"
    path.write_text(yaml.safe_dump({"blob_dir": "blobs", **CHANGED}), encoding="utf-8")
    return load_settings(path)


def crawler_uses(settings: Settings) -> dict[str, Any]:
    """What one crawl pass runs with: Scrapy's settings, and what the spider and the retry middleware read."""
    options = scrapy_settings(settings.crawl)
    crawler = Crawler(ReportSpider, ScrapySettings(options))
    spider = ReportSpider.from_crawler(crawler, agencies=[])
    return {
        "concurrency": options["CONCURRENT_REQUESTS"],
        "per_domain_concurrency": options["CONCURRENT_REQUESTS_PER_DOMAIN"],
        "delay": options["DOWNLOAD_DELAY"],
        "autothrottle": options["AUTOTHROTTLE_ENABLED"],
        "obey_robots": options["ROBOTSTXT_OBEY"],
        "max_download_size": options["DOWNLOAD_MAXSIZE"],
        "warn_download_size": options["DOWNLOAD_WARNSIZE"],
        "timeout": options["DOWNLOAD_TIMEOUT"],
        "retries": options["RETRY_TIMES"],
        "retry_backoff": BackoffRetryMiddleware(crawler.settings).backoff,
        "user_agent": options["USER_AGENT"],
        "max_depth": spider.max_depth,
        "max_list_pages": spider.max_list_pages,
        "browser_restart_pages": spider.restart_every,
        "browser_timeout": options["PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT"] / 1000,
        "pager_click_settle": spider.click_settle,
        "recheck_known_after_days": spider.known.window.total_seconds() / 86400,
        "max_pages_per_site": spider.budget.max_pages,
        "max_bytes_per_site": spider.budget.max_bytes,
        "max_pictures_per_page": spider.max_pictures,
        "max_picture_bytes": spider.max_picture_bytes,
        "known_agencies_per_read": options["NIANBAO_KNOWN_AGENCIES_PER_READ"],
        "known_agencies_held": spider.known_hosts.held_limit,
        "private_addresses": spider.private_addresses,
    }


class FakeSmtp:
    """Stands in for smtplib.SMTP: records where the mailer connects."""

    calls: list[tuple[str, int, float]] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        FakeSmtp.calls.append((host, port, timeout))

    def __enter__(self) -> FakeSmtp:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send_message(self, msg: Any) -> dict[str, Any]:
        return {}

    def quit(self) -> tuple[int, bytes]:
        return 221, b"Bye"


def mailer_uses(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int, float]:
    FakeSmtp.calls = []
    monkeypatch.setattr(mailer.smtplib, "SMTP", FakeSmtp)
    mailer.send(settings.smtp, mailer.build_message(sender=settings.smtp.sender, to="a@example.test",
                                                    subject="s", text="t", html="<p>h</p>"))
    [call] = FakeSmtp.calls
    return call


def dashboard_uses(settings: Settings, tmp_path: Path) -> Any:
    store = Store(f"sqlite:///{tmp_path / 'dash.db'}", tmp_path / "blobs")
    try:
        return create_app(settings, store=store).state.dashboard
    finally:
        store.close()


@pytest.mark.parametrize("source", ["shipped example", "changed values"])
def test_every_consumer_uses_the_values_of_the_settings_models(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = shipped() if source == "shipped example" else changed(tmp_path)
    assert crawler_uses(settings) == settings.crawl.model_dump()
    smtp = settings.smtp
    assert mailer_uses(settings, monkeypatch) == (smtp.host, smtp.port, smtp.timeout)
    assert failing_runs_threshold(settings) == settings.monitor.site_failing_runs
    dashboard = dashboard_uses(settings, tmp_path)
    assert dashboard.session_seconds == settings.dashboard.session_lifetime
    assert dashboard.freshness.interval == settings.dashboard.refresh_seconds
    assert dashboard_config(settings).base_url == settings.dashboard.base_url
    assert dashboard.settings.deadlines == settings.deadlines
    zone = ZoneInfo(settings.schedule.timezone)
    assert dashboard.today() == settings.clock.today() == dt.datetime.now(zone).date()


def test_a_changed_file_reaches_every_consumer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = changed(tmp_path)
    defaults = Settings()
    crawl = crawler_uses(settings)
    assert {k: crawl[k] for k in CHANGED["crawl"]} == {k: pytest.approx(v) if isinstance(v, float) else v
                                                      for k, v in CHANGED["crawl"].items()}
    assert crawl != crawler_uses(defaults)
    assert mailer_uses(settings, monkeypatch) == ("mail.example.test", 2525, 4)
    assert failing_runs_threshold(settings) == 6
    dashboard = dashboard_uses(settings, tmp_path)
    assert (dashboard.session_seconds, dashboard.freshness.interval) == (7200, 9)
    assert dashboard_config(settings).base_url == "http://dash.example.test:9000"
    assert dashboard.settings.deadlines.due("department", 2024) == dt.date(2025, 2, 18)
    assert dashboard.settings.benchmarks.min_applications == 7  # the benchmarks page and its refresh read these
    assert dashboard.settings.benchmarks.thresholds()["refused_rate"] == 0.45
    assert dashboard.settings.deadlines.due("government", 2024) == dt.date(2025, 5, 3)
    # The time zone: the calendar of status judgements, of the digest's week and of "today".
    kiritimati = ZoneInfo("Pacific/Kiritimati")
    assert end_of_day(dt.date(2025, 1, 31), settings.clock) == dt.datetime(2025, 2, 1, tzinfo=kiritimati)
    start, _ = week_period(dt.date(2025, 2, 9), clock=settings.clock)
    assert start == dt.datetime(2025, 2, 3, tzinfo=kiritimati)
    assert settings.clock.today() == dt.datetime.now(kiritimati).date()


def test_the_spider_has_no_fallback_for_a_crawl_option() -> None:
    """Without the options crawler.settings sets, the spider refuses to start instead of guessing."""
    options = scrapy_settings(Settings().crawl)
    del options["NIANBAO_MAX_DEPTH"]
    with pytest.raises(KeyError):
        ReportSpider.from_crawler(Crawler(ReportSpider, ScrapySettings(options)), agencies=[])


def test_the_shipped_example_shows_every_default() -> None:
    """config/nianbao.yaml is the commented example: each section it shows equals the models' defaults, and
    every setting of those sections is written there (none is settable only by those who read the code)."""
    raw = yaml.safe_load((REPO / "config" / "nianbao.yaml").read_text(encoding="utf-8"))
    settings, defaults = shipped(), Settings()
    for section in ("crawl", "schedule", "deadlines", "monitor", "benchmarks"):
        assert getattr(settings, section) == getattr(defaults, section), section
        assert set(raw[section]) == set(type(getattr(defaults, section)).model_fields), section
