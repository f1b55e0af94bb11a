"""The mistakes people make on the command line get a specific answer in Chinese and an exit status a
script can act on: a year out of range, a filter that matches nothing while reports are stored, no
settings file where a database would be created silently."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.settings import load_settings
from nianbao.storage.store import Store
from tests.conftest import agency_entry
from tests.monitor.storekit import report_text


def _with_reports(tmp_path: Path, write_settings) -> Path:
    config = write_settings(database_url=f"sqlite:///{tmp_path / 'nianbao.db'}",
                            agencies=[agency_entry("gz-tjj", name="广州市统计局", added="2020-01-01")])
    settings = load_settings(config)
    from nianbao.crawler.store_jobs import store_report

    with Store.from_settings(settings) as store:
        store.sync_agencies(settings.agencies)
        for year in (2021, 2022, 2023):
            store_report(store, "gz-tjj", report_text(year).encode(), url=f"http://gz.example.gov.cn/{year}.txt",
                         headers={}, fetched_at=dt.datetime(year + 1, 1, 20, tzinfo=dt.UTC), year_hint=year,
                         filename="nb.txt")
    return config


def test_reports_for_a_year_with_none_says_so_and_what_is_stored(tmp_path: Path, write_settings) -> None:
    config = _with_reports(tmp_path, write_settings)
    result = CliRunner().invoke(main, ["--config", str(config), "reports", "--year", "2026"])
    assert result.exit_code == 0
    assert "没有2026 年度的报告（已存储 3 份报告，年度 2021–2023）" in result.output
    assert "No reports stored yet" not in result.output
    listed = CliRunner().invoke(main, ["--config", str(config), "reports"])
    assert "共 3 份报告" in listed.output and "广州市统计局" in listed.output
    assert max(len(line) for line in listed.output.splitlines()) <= 80  # off a terminal: 80 columns


@pytest.mark.parametrize(("command", "year", "says"), [
    ("status", "20", "年度 20 不完整：请写四位年份"),
    ("status", "1999", "年度 1999 超出范围：年度报告始于 2008 年"),
    ("reports", "2999", "年度 2999 超出范围"),
])
def test_a_year_out_of_range_is_refused(tmp_path: Path, write_settings, command: str, year: str, says: str) -> None:
    config = write_settings(database_url=f"sqlite:///{tmp_path / 'nianbao.db'}")
    result = CliRunner().invoke(main, ["--config", str(config), command, "--year", year])
    assert result.exit_code == 2 and says in result.output


def test_status_speaks_chinese_within_80_columns_and_defaults_to_the_latest_due_year(
        tmp_path: Path, write_settings) -> None:
    config = _with_reports(tmp_path, write_settings)
    result = CliRunner().invoke(main, ["--config", str(config), "status", "--as-of", "2024-03-01"])
    assert result.exit_code == 0, result.output
    assert "2023 年度报告 · 截至 2024-03-01" in result.output  # 31 January 2024 passed: 2023 is due
    assert "按时发布" in result.output and "on_time" not in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    early = CliRunner().invoke(main, ["--config", str(config), "status", "--as-of", "2024-01-15"])
    assert "2022 年度报告" in early.output  # 2023's reports are not due yet on 15 January


def test_without_settings_no_database_is_created_where_you_stand(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NIANBAO_CONFIG", raising=False)
    monkeypatch.delenv("NIANBAO_DATABASE_URL", raising=False)
    for command in (["reports"], ["status"], ["digest"], ["db", "upgrade"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1, (command, result.output)
        assert "未找到设置文件 config/nianbao.yaml" in result.output
        assert "不会在当前目录新建数据库" in result.output and "--config" in result.output
    assert not (tmp_path / "data").exists()


def test_the_settings_file_in_use_is_named(tmp_path: Path, write_settings, monkeypatch) -> None:
    config = write_settings(database_url=f"sqlite:///{tmp_path / 'nianbao.db'}")
    monkeypatch.chdir(config.parent.parent)  # config/nianbao.yaml under the current folder
    monkeypatch.delenv("NIANBAO_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["reports"])
    assert result.exit_code == 0, result.output
    assert f"设置文件：{config.resolve()}" in result.output
