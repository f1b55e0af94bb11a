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
    assert "东莞市统计局" in run.stdout and "一、本年新收" in run.stdout and "发现的问题：无" in run.stdout
    assert "new_received" not in run.stdout  # Chinese labels, no key paths
    assert max(len(line) for line in run.stdout.splitlines()) <= 80


def test_contradicting_report_exits_1_with_findings():
    run = nianbao("check", str(FIXTURES / "seeds" / "001_e370c3ecf5653fbd.txt"))
    assert run.returncode == 1
    # balance and outcome_total flag the same wrong row: one finding, naming both rules
    text = "".join(line.strip() for line in run.stdout.splitlines())  # long messages wrap at 80 columns
    assert "发现的问题（1 项）" in text and "勾稽关系不平衡" in text and "处理结果合计不符" in text


def test_json_lines_use_the_spec_keys_plus_file_and_findings():
    files = [str(FIXTURES / "seeds" / n) for n in ("000_46a99d63eeadd252.txt", "002_4e4a82637444ff61.txt")]
    run = nianbao("check", "--json", *files)
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(lines) == 2
    assert set(lines[0]) == {"file", "findings", "agency", "year", "format_version", "published_date",
                             "sections_present", "summary_text", "problems_text", "other_text", "proactive",
                             "applications", "appeals", "fully_read", "finding_groups"}
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


def test_a_url_is_refused_with_what_to_do_instead():
    run = nianbao("check", "https://www.example.gov.cn/nb/2024.pdf")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "是网址" in run.stderr and "只检查本地文件" in run.stderr and "nianbao crawl" in run.stderr


def test_a_missing_file_is_named_in_chinese(tmp_path):
    run = nianbao("check", str(tmp_path / "nb.pdf"))
    assert run.returncode == 2 and "找不到文件" in run.stderr
