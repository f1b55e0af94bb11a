"""Words where a count belongs ("十二", "见附件", "12（注）") in tables 二, 三 and 四: each such cell is an
error located by its printed name, and no number is ever made of it; blank markers stay blanks."""

from __future__ import annotations

from pathlib import Path

import pytest

from nianbao.report import check_bytes
from nianbao.report.cells import Ambiguous, TextInCell, read_row

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seeds" / "002_4e4a82637444ff61.txt"
APPEALS_ROW = "\t".join(["0"] * 16)  # the seed's part 四 numbers


def _seed_with(*replacements: tuple[str, str]) -> object:
    text = SEED.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new, 1)
    return check_bytes(text.encode(), SEED.name)


def _text_findings(result) -> list[tuple[str, str, str, str]]:
    return [(f.location, f.severity, f.expected, f.actual) for f in result.findings if f.rule == "text_in_number"]


def test_the_seed_itself_has_no_text_in_a_number_cell():
    assert _text_findings(_seed_with()) == []


def test_a_count_in_chinese_numerals_in_table_two_is_an_error_and_its_row_is_not_read():
    result = _seed_with(("规章\t0\t0\t0", "规章\t0\t十二\t0"))
    assert _text_findings(result) == [("proactive.regulations.repealed", "error", "数字", "十二")]
    finding = next(f for f in result.findings if f.rule == "text_in_number")
    assert finding.message == "第二部分规章·本年废止件数应填写数字，实为文字“十二”"
    assert "regulations" not in result.report.proactive


def test_a_reference_to_an_attachment_in_table_three_is_an_error_and_no_cell_shifts_into_its_place():
    result = _seed_with(("（一）予以公开\t16\t0\t0", "（一）予以公开\t16\t见附件\t0"))
    assert _text_findings(result) == [("applications.granted.commercial", "error", "数字", "见附件")]
    assert "granted" not in result.report.applications
    assert any(f.rule == "unreadable" and "见附件" in f.message for f in result.findings)


def test_a_number_with_a_note_in_table_four_is_an_error_and_part_four_is_not_read():
    row = "\t".join(["0"] * 7 + ["12（注）"] + ["0"] * 7)
    result = _seed_with((APPEALS_ROW, row))
    [(location, severity, expected, actual)] = _text_findings(result)
    assert (location, severity, expected) == ("appeals.litigation_direct.other", "error", "数字")
    assert actual.startswith("12")
    assert result.report.appeals == {}


@pytest.mark.parametrize("segment", ["\t无\t—\t3", "\t-\t/\t3", "\t5件\t0\t3"])
def test_blank_markers_stay_blank_and_a_unit_after_a_number_is_read(segment):
    row = read_row(segment, 3)
    assert row is not None and row[2] == 3
    assert row[0] in (None, 5)


@pytest.mark.parametrize(("segment", "words"), [
    ("\t12\t见附件\t3", {1: "见附件"}),
    ("\t十二\t0\t3", {0: "十二"}),
    ("\t12（注）\t1\t2", {0: "12（注）"}),
    (" 12 见附件 5", {1: "见附件"}),  # a token row: "12" and "5" must not become 1, 2, 5
    ("\t16\t见附件\t0\t", {1: "见附件"}),  # the trailing separator must not fill the word's place
])
def test_words_in_a_cell_refuse_the_row_and_name_the_cell(segment, words):
    with pytest.raises(TextInCell) as caught:
        read_row(segment, 3)
    assert caught.value.texts == words


@pytest.mark.parametrize("segment", [
    "\t行政机关不再处理\t1\t2",  # a label fragment wrapped into the first field
    "\t结果\t纠正\t其他",  # a header line
    "\t\t\t\t行政诉讼",  # a header over blank cells
])
def test_label_fragments_and_headers_are_not_taken_for_cells(segment):
    try:
        read_row(segment, 3)
    except TextInCell:
        pytest.fail("a label or a header read as a cell holding words")
    except Ambiguous:
        pass
