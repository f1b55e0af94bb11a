"""The row vocabulary and the one walk over a model's cells (report/vocabulary.py, report/walk.py)."""

import re
import unicodedata

import pytest

from nianbao.report import vocabulary as V
from nianbao.report.model import APPLICATION_ROWS, PROACTIVE_ROWS, Report
from nianbao.report.printed import location_name
from nianbao.report.walk import application_shape, iter_cells, table_rows

LABELLED = V.PROACTIVE_ROWS + V.APPLICATION_ROWS + V.APPEAL_GROUPS + V.APPEAL_COLUMNS


@pytest.mark.parametrize("term", LABELLED, ids=lambda t: t.key)
def test_every_row_pattern_recognises_its_own_printed_label(term):
    assert re.search(term.pattern, unicodedata.normalize("NFKC", term.label))


def test_the_2019_format_has_one_other_row_and_2021_three_before_the_totals():
    assert APPLICATION_ROWS["2019"][-3:] == ("other", "total_handled", "carried_forward")
    assert APPLICATION_ROWS["2021"][-5:-2] == ("other.no_correction", "other.unpaid_fee", "other.other")


def test_procurement_is_a_row_of_the_2019_format_only():
    assert "procurement" in PROACTIVE_ROWS["2019"] and "procurement" not in PROACTIVE_ROWS["2021"]


def test_a_grouped_row_carries_its_group_heading():
    row = next(r for r in table_rows("applications", "2021") if r.path == "refused.state_secret")
    assert (row.label, row.group) == ("1.属于国家秘密", "（三）不予公开")


def test_the_shape_of_part_three_is_2019_when_its_other_row_has_cells():
    assert application_shape({"other": {"total": 0}}) == "2019"
    assert application_shape({"other": {"other": {"total": 0}}}) == "2021"


def test_iter_cells_walks_every_cell_in_document_order_with_its_printed_names():
    report = Report(format_version="2021", applications={"granted": {"natural_person": 3}})
    cells = list(iter_cells(report))
    assert len(cells) == (3 + 3 + 1 + 1 + 1 + 1) + 25 * 7 + 3 * 5
    assert cells[0].path == "proactive.regulations.issued"
    granted = next(c for c in cells if c.path == "applications.granted.natural_person")
    assert (granted.row_label, granted.column_label, granted.value) == ("（一）予以公开", "自然人", 3)
    assert cells[-1].path == "appeals.litigation_after_review.total"


def test_a_cell_is_named_whole_in_findings_and_without_its_part_in_the_digest():
    path = "applications.refused.state_secret.natural_person"
    assert location_name(path) == "第三部分（三）不予公开 1.属于国家秘密·自然人"
    assert location_name(path, joiner=" / ", with_part=False) == "（三）不予公开 1.属于国家秘密 / 自然人"


def test_a_whole_group_is_named_by_its_heading():
    assert location_name("applications.unable.total") == "第三部分（四）无法提供·总计"
