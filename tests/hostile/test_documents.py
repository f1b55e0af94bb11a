"""Issue 11, points 1, 2, 4, 5: documents that stalled a run, crashed a page, or passed as fine unread."""

from __future__ import annotations

import html

import opencc
import pytest

from nianbao.report import UnreadableDocument, cells, check_bytes, check_document, parser
from nianbao.report.cells import Ambiguous, split_glued, to_number
from nianbao.report.readers import Document
from tests.hostile import CORPUS_REPORT


def _count_cuts(monkeypatch: pytest.MonkeyPatch, limit: int) -> list[int]:
    """Every cut the glued-digit search tries, counted; more than `limit` stops it (a hang on main)."""
    calls = [0]
    real = cells._cut

    def counted(*args, **kwargs):
        calls[0] += 1
        if calls[0] > limit:
            raise RuntimeError(f"more than {limit} cuts tried")
        return real(*args, **kwargs)

    monkeypatch.setattr(cells, "_cut", counted)
    return calls


@pytest.mark.parametrize("tokens", [
    ["1" * 130, "5"],  # the row: a long glued run and a short one
    ["1" * 130, "0" * 10],  # the tail can never fit: every cut of the head is a dead end
    ["1" * 60, "0" * 10],
], ids=["issue row", "dead tail 130", "dead tail 60"])
def test_glued_digit_search_is_bounded_by_the_work_it_does(monkeypatch, tokens):
    _count_cuts(monkeypatch, limit=1_000_000)  # main tried 10^8 cuts on the second row
    with pytest.raises(Ambiguous):
        split_glued(tokens, 7, lambda values: False)


def test_a_row_of_130_glued_ones_is_reported_unreadable_and_the_rest_is_read():
    line = next(row for row in CORPUS_REPORT.split("\n") if "一、本年新收" in row)
    text = CORPUS_REPORT.replace(line, "一、本年新收政府信息公开申请数量 " + "1" * 130 + " 5")
    result = check_bytes(text.encode(), "report.txt")
    assert "applications.new_received" in result.report.unreadable
    assert result.report.appeals  # the other tables still read


@pytest.mark.timeout(120)  # a hang guard, not a duration assertion: main backtracks for hours here
@pytest.mark.parametrize("filler", [" " * 20_000, "\n" * 20_000, " \n" * 10_000, " " * 20_000 + "|x"],
                         ids=["spaces", "blank lines", "space lines", "spaces then a pipe"])
def test_long_runs_of_spaces_or_blank_lines_are_read_in_linear_time(filler):
    text = CORPUS_REPORT[:3000] + filler + CORPUS_REPORT[3000:]
    assert check_bytes(text.encode(), "report.txt").report.applications


def test_one_cell_lines_are_read_as_before_without_a_regex():
    assert parser._one_cell("  不予公开 |") == "不予公开"
    assert parser._one_cell("| ") == ""
    assert parser._one_cell("12\t|") == "12"
    assert parser._one_cell(" " * 4000) is None
    assert parser._one_cell("a\tb |") is None
    assert parser._one_cell("||") is None
    assert parser._one_cell("a | b") is None


# --- point 5: huge integers -----------------------------------------------------------------------------


def test_a_cell_longer_than_any_count_is_unreadable_never_a_number():
    line = next(row for row in CORPUS_REPORT.split("\n") if "一、本年新收" in row)
    huge = line.replace(" 21 ", " " + "9" * 5000 + " ", 1)
    result = check_bytes(CORPUS_REPORT.replace(line, huge).encode(), "report.txt")
    assert "applications.new_received" in result.report.unreadable
    values = [v for row in result.report.to_dict()["applications"].values() if isinstance(row, dict)
              for v in row.values() if isinstance(v, int)]
    assert all(abs(v) < 10**12 for v in values)
    with pytest.raises(Ambiguous):
        to_number("1" * 13)


def test_a_huge_figure_in_the_prose_does_not_crash_the_check():
    text = CORPUS_REPORT.replace("一、总体情况", "一、总体情况\n本年度共收到政府信息公开申请" + "9" * 5000 + "件。", 1)
    check_bytes(text.encode(), "report.txt")  # raised ValueError (int() of over 4,300 digits) on main


# --- point 5: encodings and nesting ---------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_decoded_not_refused_as_binary(encoding):
    result = check_bytes(CORPUS_REPORT.encode(encoding), "report.txt")
    assert result.report.applications and "洪泽区" in (result.report.agency or "")


@pytest.mark.parametrize("name, wrap", [("report.txt", "{}"), ("report.html", "<html><body><pre>{}</pre></body></html>")],
                         ids=["text", "html"])
def test_big5_without_a_declared_charset_is_decoded_as_big5(name, wrap):
    traditional = opencc.OpenCC("s2t").convert(CORPUS_REPORT)
    data = wrap.format(traditional).encode("cp950", errors="replace")
    result = check_bytes(data, name)
    assert result.report.applications and "洪泽区" in (result.report.agency or "")


def test_a_gbk_page_is_still_read_as_gbk():
    assert "洪泽区" in (check_bytes(CORPUS_REPORT.encode("gbk"), "report.txt").report.agency or "")


def test_a_report_nested_300_divs_deep_is_read():
    page = "<html><body>" + "<div>" * 300 + "<pre>" + html.escape(CORPUS_REPORT) + "</pre>" + "</div>" * 300
    result = check_bytes((page + "</body></html>").encode(), "report.html")
    assert result.report.applications


# --- point 4: hollow reports are not "fine" -------------------------------------------------------------


HEADINGS = "\n".join(["洪泽区人民政府2023年政府信息公开工作年度报告", "一、总体情况", "本年度依法公开。",
                      "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                      "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"])


def _hollow(kind: str) -> str:
    if kind == "headings only":
        return HEADINGS
    if kind == "digits replaced by x":
        return "".join("x" if ch.isdigit() else ch for ch in CORPUS_REPORT)
    lines = CORPUS_REPORT.split("\n")
    start = next(i for i, line in enumerate(lines) if "三、收到和处理" in line)
    end = next(i for i, line in enumerate(lines) if "四、政府信息公开行政复议" in line)
    return "\n".join(lines[: start + 1] + lines[end:])  # the page with table 三 is missing


@pytest.mark.parametrize("kind", ["headings only", "digits replaced by x", "table page missing"])
def test_a_hollow_report_is_not_fully_read_and_says_so_in_a_finding(kind):
    try:
        result = check_document(Document(_hollow(kind), "text"))
    except UnreadableDocument:
        return  # not a report at all: exit 2, also not "fine"
    assert not result.fully_read and result.gaps
    assert any(f.rule == "unreadable" for f in result.findings)


def test_a_complete_report_is_fully_read():
    assert check_bytes(CORPUS_REPORT.encode(), "report.txt").fully_read


def test_the_dashboard_formats_a_huge_stored_figure_instead_of_failing():
    from nianbao.dashboard.templating import num

    assert num(10**5000) == "（数字过长）"  # ValueError (over 4,300 digits; HTTP 500) on main
    assert num(1234567) == "1,234,567"
