"""Settings and agencies files: defaults, path resolution, and one clear line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nianbao.settings import SettingsError, load_settings
from tests.conftest import agency_entry

REPO = Path(__file__).resolve().parents[2]


def write(folder: Path, settings: dict, agencies: list | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if agencies is not None:
        (folder / "agencies.yaml").write_text(yaml.safe_dump({"agencies": agencies}, allow_unicode=True))
        settings = {"agencies": "agencies.yaml", **settings}
    path = folder / "nianbao.yaml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(SettingsError) as info:
        load_settings(path)
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


@pytest.fixture(autouse=True)
def no_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NIANBAO_DATABASE_URL", raising=False)
    monkeypatch.delenv("NIANBAO_CONFIG", raising=False)


def test_shipped_example_config_loads_and_stays_local() -> None:
    settings = load_settings(REPO / "config" / "nianbao.yaml")
    assert len(settings.agencies) >= 3
    assert settings.database_url == f"sqlite:///{REPO / 'data' / 'nianbao.db'}"
    assert settings.blob_dir == REPO / "data" / "blobs"
    assert settings.smtp.host == "127.0.0.1" and settings.dashboard.base_url.startswith("http://127.0.0.1")
    for a in settings.agencies:  # placeholders only: nothing in the default config is reachable
        assert all(".example.gov.cn" in url for url in a.start_urls), a.id
    assert {a.kind for a in settings.agencies} == {"department", "government"}
    assert settings.crawl.obey_robots is True and "nianbao" in settings.crawl.user_agent


def test_defaults_and_relative_paths(tmp_path: Path) -> None:
    path = write(tmp_path / "cfg", {}, [agency_entry("gz-tjj", allowed_domains=["A.example.gov.cn"])])
    s = load_settings(path)
    assert s.database_url == f"sqlite:///{tmp_path / 'cfg' / 'data' / 'nianbao.db'}"
    assert s.blob_dir == tmp_path / "cfg" / "data" / "blobs"
    assert s.outbox_dir == tmp_path / "cfg" / "outbox"
    assert s.agencies_file == tmp_path / "cfg" / "agencies.yaml"
    gz = s.agency("gz-tjj")
    assert gz is not None and gz.render == "auto" and gz.domains == ("a.example.gov.cn",)
    assert s.schedule.timezone == "Asia/Shanghai" and s.deadlines.department == "01-31"
    assert s.deadlines.deadline("government", 2023).isoformat() == "2024-03-31"
    assert s.crawl.obey_robots is True and s.recipients == ()


def test_environment_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(
        tmp_path, {"database_url": "sqlite:///file.db", "smtp": {"username": "u", "password_env": "PW"}}
    )
    monkeypatch.setenv("NIANBAO_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/x")
    monkeypatch.setenv("PW", "s3cret")
    monkeypatch.setenv("NIANBAO_CONFIG", str(path))
    s = load_settings()
    assert s.path == path and s.database_url == "postgresql+psycopg://postgres@127.0.0.1:5432/x"
    assert s.smtp.get_password() == "s3cret"


def test_missing_default_file_means_defaults_but_missing_named_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.path is None and s.agencies == ()
    assert s.database_url == f"sqlite:///{tmp_path / 'data' / 'nianbao.db'}"
    assert problems(tmp_path / "nope.yaml") == [f"nope.yaml: file not found: {tmp_path / 'nope.yaml'}"]


def test_every_agency_mistake_is_listed_with_agency_and_field(tmp_path: Path) -> None:
    agencies = [
        agency_entry("gz-tjj", level="town", start_urls=["ftp://gz.example.gov.cn/"], rendr="static"),
        agency_entry("gz-tjj"),
        {"name": "无名局", "region": "广东省", "level": "city", "kind": "bureau", "start_urls": "not a url"},
        agency_entry("sz-tjj", render="sometimes", selectors={"list_item": "li a"}, added="soon"),
    ]
    found = problems(write(tmp_path, {}, agencies))
    assert found == [
        'agencies.yaml: agency "gz-tjj": unknown key "rendr" (did you mean "render"?)',
        'agencies.yaml: agency "gz-tjj": level must be province|city|county, got "town"',
        'agencies.yaml: agency "gz-tjj": start_urls[0] must be an http(s) URL, got "ftp://gz.example.gov.cn/"',
        'agencies.yaml: agency "gz-tjj": duplicate id (entries #1 and #2)',
        "agencies.yaml: agency #3: id is missing",
        'agencies.yaml: agency #3: kind must be department|government, got "bureau"',
        'agencies.yaml: agency #3: start_urls[0] must be an http(s) URL, got "not a url"',
        'agencies.yaml: agency "sz-tjj": render must be static|browser|auto, got "sometimes"',
        'agencies.yaml: agency "sz-tjj": selectors: unknown key "list_item" (did you mean "list_items"?)',
        'agencies.yaml: agency "sz-tjj": added must be a date YYYY-MM-DD, got "soon"',
    ]


def test_every_settings_mistake_is_listed(tmp_path: Path) -> None:
    settings = {
        "databse_url": "sqlite:///x.db",
        "crawl": {"concurrency": 0, "obey_robot": False, "timeout": "fast"},
        "schedule": {"digest": "99 8 * * mon", "timezone": "Mars/Base"},
        "deadlines": {"government": "13-01"},
        "smtp": {"security": "ssl", "port": 70000},
        "recipients": [{"email": "nope"}, {"email": "a@example.gov.cn", "agencies": ["zz-none"]}],
        "dashboard": {"session_lifetime": "forever", "base_url": "localhost:8000"},
    }
    found = problems(write(tmp_path, settings, [agency_entry("gz-tjj")]))
    expected_starts = [
        'nianbao.yaml: unknown key "databse_url" (did you mean "database_url"?)',
        'nianbao.yaml: crawl: unknown key "obey_robot" (did you mean "obey_robots"?)',
        "nianbao.yaml: crawl: concurrency must be a positive integer, got 0",
        'nianbao.yaml: crawl: timeout must be a number > 0, got "fast"',
        "nianbao.yaml: schedule: digest must be a cron expression",
        'nianbao.yaml: schedule: timezone must be an IANA time zone such as "Asia/Shanghai", got "Mars/Base"',
        'nianbao.yaml: deadlines: government must be "MM-DD", got "13-01"',
        "nianbao.yaml: smtp: port must be a port number 1-65535, got 70000",
        'nianbao.yaml: smtp: security must be none|starttls|tls, got "ssl"',
        'nianbao.yaml: recipients[0] "nope": email must be an e-mail address, got "nope"',
        'nianbao.yaml: recipients[1] "a@example.gov.cn": agencies names an unknown agency "zz-none"',
        'nianbao.yaml: dashboard: base_url must be an http(s) URL, got "localhost:8000"',
        "nianbao.yaml: dashboard: session_lifetime must be a duration",
    ]
    assert len(found) == len(expected_starts), found
    for line, start in zip(found, expected_starts, strict=True):
        assert line.startswith(start), (line, start)


def test_broken_yaml_and_wrong_shapes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("crawl: [unclosed\n")
    [line] = problems(bad)
    assert line.startswith("bad.yaml: is not valid YAML:") and "line" in line
    path = write(tmp_path / "shape", {"crawl": "fast"})
    (tmp_path / "shape" / "agencies.yaml").write_text("- id: x\n")
    path.write_text(yaml.safe_dump({"crawl": "fast", "agencies": "agencies.yaml"}))
    assert problems(path) == [
        "agencies.yaml: must have a top-level `agencies:` list",
        "nianbao.yaml: crawl: must be a mapping of keys to values",
    ]


def test_recipient_scope(tmp_path: Path) -> None:
    recipients = [
        {"email": "all@example.gov.cn"},
        {"email": "gd@example.gov.cn", "regions": ["广东省"]},
        {"email": "one@example.gov.cn", "agencies": ["gz-tjj"]},
    ]
    s = load_settings(write(tmp_path, {"recipients": recipients}, [agency_entry("gz-tjj")]))
    every, gd, one = s.recipients
    assert every.covers("x", "北京市") and gd.covers("x", "广东省/广州市") and gd.covers("x", "广东省")
    assert not gd.covers("x", "广东省份/假") and not gd.covers("x", "北京市")
    assert one.covers("gz-tjj", "北京市") and not one.covers("sz-tjj", "广东省/深圳市")


def test_monitor_threshold_and_recheck_window_are_read_and_checked(tmp_path: Path) -> None:
    defaults = load_settings(write(tmp_path / "defaults", {}))
    assert defaults.monitor.site_failing_runs == 3 and defaults.crawl.recheck_known_after_days == 7
    chosen = load_settings(write(tmp_path / "chosen", {"monitor": {"site_failing_runs": 5},
                                                       "crawl": {"recheck_known_after_days": 0.5}}))
    assert chosen.monitor.site_failing_runs == 5 and chosen.crawl.recheck_known_after_days == 0.5
    wrong = {"monitor": {"site_failing_runs": 0, "site_failing": 2}, "crawl": {"recheck_known_after_days": -1}}
    assert problems(write(tmp_path / "wrong", wrong)) == [
        'nianbao.yaml: crawl: recheck_known_after_days must be a number >= 0, got -1',
        'nianbao.yaml: monitor: unknown key "site_failing" (did you mean "site_failing_runs"?)',
        "nianbao.yaml: monitor: site_failing_runs must be a positive integer, got 0",
    ]


def test_site_failing_threshold_comes_from_the_settings(database_url: str, tmp_path: Path) -> None:
    """Two crawls in a row that cannot read a site: failing with site_failing_runs 2, not with the default 3."""
    import datetime as dt

    from nianbao.monitor.events import derive_events
    from nianbao.storage.models import CrawlRun
    from nianbao.storage.store import Store

    config = write(tmp_path, {"database_url": database_url, "blob_dir": "blobs"}, [agency_entry("gz-tjj")])
    settings = load_settings(config)
    store = Store.from_settings(settings)
    try:
        store.sync_agencies(settings.agencies)
        for day in (1, 2):
            run_id = store.begin_crawl(["gz-tjj"])
            store.record_site_error(run_id, "gz-tjj", "http://gz-tjj.example.gov.cn/nb/", "connection", "refused")
            store.finish_crawl(run_id, {"pages": 0})
            with store.session() as s:
                s.get(CrawlRun, run_id).started_at = dt.datetime(2025, 3, day, 4, tzinfo=dt.UTC)
        now = dt.datetime(2025, 3, 3, 4, tzinfo=dt.UTC)
        assert derive_events(store, settings, now=now).added["site_failing"] == 0  # default: 3 runs
        strict = load_settings(write(tmp_path, {"database_url": database_url, "blob_dir": "blobs",
                                                "monitor": {"site_failing_runs": 2}}, [agency_entry("gz-tjj")]))
        assert derive_events(store, strict, now=now).added["site_failing"] == 1
    finally:
        store.close()


def test_options_once_only_in_the_code_are_checked_like_the_others(tmp_path: Path) -> None:
    wrong = {"crawl": {"max_list_pages": 0, "retry_backoff": "slow"}, "dashboard": {"refresh_seconds": -1},
             "smtp": {"ca_file": ""}}
    assert problems(write(tmp_path, wrong)) == [
        'nianbao.yaml: crawl: retry_backoff must be a number >= 0, got "slow"',
        "nianbao.yaml: crawl: max_list_pages must be a positive integer, got 0",
        'nianbao.yaml: smtp: ca_file must be a non-empty string, got ""',
        "nianbao.yaml: dashboard: refresh_seconds must be a number >= 0, got -1",
    ]


def test_the_clock_follows_the_configured_time_zone(tmp_path: Path) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    assert load_settings(write(tmp_path / "default", {})).clock.zone == ZoneInfo("Asia/Shanghai")
    clock = load_settings(write(tmp_path / "berlin", {"schedule": {"timezone": "Europe/Berlin"}})).clock
    assert clock.zone == ZoneInfo("Europe/Berlin") and clock.now().tzinfo == ZoneInfo("Europe/Berlin")
    assert clock.local_date(dt.datetime(2025, 1, 31, 23, 30, tzinfo=dt.UTC)) == dt.date(2025, 2, 1)
    assert clock.start_of(dt.date(2025, 2, 1)) == dt.datetime(2025, 2, 1, tzinfo=ZoneInfo("Europe/Berlin"))
