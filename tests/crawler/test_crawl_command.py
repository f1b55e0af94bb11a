"""`nianbao crawl` as cron or systemd runs it (no terminal): reports and errors are printed as they are
found, progress lines come every --log-every seconds, and a crawl in which no site could be read exits
non-zero so that the scheduler notices."""

from __future__ import annotations

import socket
from pathlib import Path

from click.testing import CliRunner

from nianbao.cli import main
from nianbao.crawler.commands import ALL_SITES_FAILED, LogLines
from tests.crawler.conftest import WORKING
from tests.farm import Farm
from tests.farm.agencies import write_config


def _closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dead_agency(agency_id: str) -> dict[str, object]:
    return {"id": agency_id, "name": f"{agency_id}统计局", "region": "测试省/测试市", "level": "city",
            "kind": "department", "start_urls": [f"http://127.0.0.1:{_closed_port()}/nb/"]}


def test_a_crawl_in_which_every_site_failed_exits_non_zero(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config", f"sqlite:///{tmp_path / 'nianbao.db'}",
                          [_dead_agency("dead-a"), _dead_agency("dead-b")])
    result = CliRunner().invoke(main, ["--config", str(config), "crawl"])
    assert result.exit_code == ALL_SITES_FAILED, result.output
    assert "所有网站都无法抓取" in result.output
    # Named in Chinese as they happened, not as Twisted's English.
    assert "错误：dead-a 连接被拒绝" in result.output and "Connection was refused" not in result.output


def test_without_a_terminal_reports_and_progress_lines_are_logged(tmp_path: Path) -> None:
    with Farm(tmp_path / "farm", only=WORKING[:2]) as farm:
        config = write_config(tmp_path / "config", f"sqlite:///{tmp_path / 'nianbao.db'}",
                              farm.agencies() + [_dead_agency("dead-a")])
        result = CliRunner().invoke(main, ["--config", str(config), "crawl", "--log-every", "1"])
    # One site failed, the others were read: a normal run.
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("新报告：") for line in lines), result.output
    assert any(line.startswith("错误：dead-a") for line in lines), result.output
    assert any("抓取中：机关" in line and "页面" in line for line in lines), result.output
    assert any(line.startswith("抓取 #") for line in lines)


def test_progress_lines_come_at_the_chosen_interval_with_every_event() -> None:
    now = [0.0]
    out: list[str] = []
    log = LogLines(3, 30, out.append, clock=lambda: now[0])
    message = {"agencies_visited": 1, "pages": 5, "reports_new": 1, "errors": 1,
               "new_reports": [{"agency_id": "a", "year": 2024, "url": "http://x/1.pdf", "outcome": "new_report"}],
               "new_errors": [{"agency_id": "b", "kind": "timeout", "url": "http://y/", "message": "took longer"}]}
    now[0] = 10
    log(message)
    assert out == ["新报告：a 2024 年度 http://x/1.pdf", "错误：b 超时 http://y/"]
    now[0] = 31
    log({**message, "new_reports": [], "new_errors": [], "pages": 40})
    assert out[-1] == "[0:00:31] 抓取中：机关 1/3 · 页面 40 · 新报告 1 · 新版本 0 · 未变 0 · 错误 1"
    now[0] = 40
    log({**message, "new_reports": [], "new_errors": []})
    assert len(out) == 3  # not yet another 30 s


def test_imported_agencies_are_crawled_when_the_settings_file_lists_none(tmp_path: Path) -> None:
    import yaml

    config = write_config(tmp_path / "config", f"sqlite:///{tmp_path / 'nianbao.db'}", [])
    registry = tmp_path / "registry.yaml"
    registry.write_text(yaml.safe_dump({"agencies": [_dead_agency("imp-a"), _dead_agency("imp-b")]},
                                       allow_unicode=True), encoding="utf-8")
    assert CliRunner().invoke(main, ["--config", str(config), "agencies", "import", str(registry)]).exit_code == 0
    result = CliRunner().invoke(main, ["--config", str(config), "crawl", "--agency", "imp-a"])
    # The imported agency was visited (its refused connection is its own error), and only it.
    assert result.exit_code == ALL_SITES_FAILED, result.output
    assert "错误：imp-a 连接被拒绝" in result.output and "imp-b" not in result.output
    assert "访问机关：1/1" in result.output
    unknown = CliRunner().invoke(main, ["--config", str(config), "crawl", "--agency", "nobody"])
    assert unknown.exit_code == 2 and "没有这个机关代码：nobody" in unknown.output


def test_a_crawl_with_no_agency_anywhere_says_how_to_add_them(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config", f"sqlite:///{tmp_path / 'nianbao.db'}", [])
    result = CliRunner().invoke(main, ["--config", str(config), "crawl"])
    assert result.exit_code == 1 and "nianbao agencies import" in result.output
