"""Issue 11, point 4: `nianbao check` exit codes a script can trust (a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.hostile import CORPUS_REPORT, FIXTURES

CLEAN = FIXTURES / "seeds" / "000_46a99d63eeadd252.txt"
CONTRADICTING = FIXTURES / "seeds" / "001_e370c3ecf5653fbd.txt"


def nianbao(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nianbao.cli", *args], capture_output=True, text=True, timeout=300)


def _without_table_3(tmp_path):
    lines = CORPUS_REPORT.split("\n")
    start = next(i for i, line in enumerate(lines) if "三、收到和处理" in line)
    end = next(i for i, line in enumerate(lines) if "四、政府信息公开行政复议" in line)
    path = tmp_path / "hollow.txt"
    path.write_text("\n".join(lines[: start + 1] + lines[end:]), encoding="utf-8")
    return path


def test_a_report_with_a_missing_table_page_exits_3_not_0(tmp_path):
    run = nianbao("check", str(_without_table_3(tmp_path)))
    assert run.returncode == 3, run.stdout + run.stderr
    assert "未能读全" in run.stdout


def test_digits_replaced_by_x_exit_3(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("".join("x" if ch.isdigit() else ch for ch in CORPUS_REPORT), encoding="utf-8")
    assert nianbao("check", str(path)).returncode in (2, 3)


def test_the_json_line_says_whether_the_report_was_fully_read(tmp_path):
    run = nianbao("check", "--json", str(CLEAN), str(_without_table_3(tmp_path)))
    flags = [json.loads(line)["fully_read"] for line in run.stdout.splitlines()]
    assert flags == [True, False]


def test_over_several_files_the_worst_status_wins(tmp_path):
    assert nianbao("check", str(CLEAN)).returncode == 0
    assert nianbao("check", str(CLEAN), str(CONTRADICTING)).returncode == 1
    assert nianbao("check", str(CONTRADICTING), str(_without_table_3(tmp_path))).returncode == 3
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert nianbao("check", str(CONTRADICTING), str(empty), str(_without_table_3(tmp_path))).returncode == 2


def test_help_documents_every_exit_status():
    text = nianbao("check", "--help").stdout
    assert all(f"  {code}  " in text for code in (0, 1, 2, 3)), text
