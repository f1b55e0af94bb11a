"""`nianbao check` as a user runs it: a real subprocess, real files, exit codes and output."""

import json
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def nianbao(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nianbao.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def test_clean_report_exits_0_and_prints_tables():
    run = nianbao("check", str(FIXTURES / "seeds" / "000_46a99d63eeadd252.txt"))
    assert run.returncode == 0, run.stderr
    assert "东莞市统计局" in run.stdout and "new_received" in run.stdout and "findings: none" in run.stdout


def test_contradicting_report_exits_1_with_findings():
    run = nianbao("check", str(FIXTURES / "seeds" / "001_e370c3ecf5653fbd.txt"))
    assert run.returncode == 1
    assert "balance" in run.stdout and "outcome_total" in run.stdout


def test_json_lines_use_the_spec_keys_plus_file_and_findings():
    files = [str(FIXTURES / "seeds" / n) for n in ("000_46a99d63eeadd252.txt", "002_4e4a82637444ff61.txt")]
    run = nianbao("check", "--json", *files)
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(lines) == 2
    assert set(lines[0]) == {"file", "findings", "agency", "year", "format_version", "published_date",
                             "sections_present", "summary_text", "problems_text", "other_text", "proactive",
                             "applications", "appeals", "fully_read"}
    assert lines[1]["applications"]["new_received"]["total"] == 44
    assert lines[1]["applications"]["refused"]["state_secret"]["total"] == 0


def test_unreadable_file_exits_2_with_one_line_and_no_traceback(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    news = tmp_path / "news.txt"
    news.write_text("市统计局召开2023年度政府信息公开工作年度报告编制工作部署会。会议要求各科室按时报送材料。")
    for path in (empty, news, tmp_path / "does-not-exist.pdf"):
        run = nianbao("check", str(path))
        assert run.returncode == 2, path
        assert "Traceback" not in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1
