"""Rules that need context, and the run-together digit splitter."""

import time
from datetime import date

import pytest

from nianbao.report import check_bytes
from nianbao.report.cells import Ambiguous, read_row, split_glued
from nianbao.report.validate import deadline, due_date, year_chain


def test_year_chain_compares_carried_over_with_last_years_carried_forward(seed):
    last_year = check_bytes(seed("000_46a99d63eeadd252.txt")).report
    this_year = check_bytes(seed("002_4e4a82637444ff61.txt")).report
    assert year_chain(last_year, this_year) == []
    last_year.applications["carried_forward"]["natural_person"] = 3
    findings = year_chain(last_year, this_year)
    assert [(f.rule, f.location, f.expected, f.actual) for f in findings] == [
        ("year_chain", "applications.carried_over.natural_person", 3, 0)
    ]


@pytest.mark.parametrize(
    ("kind", "published", "now", "rule_fires"),
    [
        ("department", date(2021, 1, 20), date(2021, 6, 1), False),
        ("department", date(2021, 2, 5), date(2021, 6, 1), True),
        ("department", None, date(2021, 2, 1), True),
        ("department", None, date(2021, 1, 31), False),
        ("government", date(2021, 3, 15), date(2021, 6, 1), False),
        ("government", None, date(2021, 3, 31), False),
        ("government", None, date(2021, 4, 1), True),
    ],
)
def test_deadline(kind, published, now, rule_fires):
    findings = deadline(kind, 2020, published, now=now)
    assert bool(findings) == rule_fires
    assert all(f.rule == "deadline" for f in findings)


def test_grace_days_move_the_due_date():
    assert due_date("department", 2020, grace_days=3) == date(2021, 2, 3)
    assert deadline("department", 2020, date(2021, 2, 2), now=date(2021, 6, 1), grace_days=3) == []


def check_row(values):
    return values[-1] == sum(values[:-1])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("230 000023", [23, 0, 0, 0, 0, 0, 23]),
        ("200 000121", [20, 0, 0, 0, 0, 1, 21]),
        ("0 0 0 0 0 00", [0, 0, 0, 0, 0, 0, 0]),
        ("\t17个\t174,360元\t0\t0\t0\t0\t174377", [17, 174360, 0, 0, 0, 0, 174377]),
        ("\t\t\t\t\t\t\t", [None] * 7),
    ],
)
def test_read_row(text, expected):
    assert read_row(text, 7, check_row) == expected


def test_glued_digits_without_a_rule_are_only_split_when_forced():
    assert split_glued(["000"], 3, None) == [0, 0, 0]
    with pytest.raises(Ambiguous):
        split_glued(["898989"], 3, None)


def test_a_long_run_of_glued_digits_is_refused_at_once_not_searched_for_minutes():
    # 30 digits as 15 cells: the dead ends (fewer than 15 parts) alone were 10^8 cuts.
    started = time.monotonic()
    with pytest.raises(Ambiguous):
        split_glued(["9" * 30], 15, None)
    assert time.monotonic() - started < 1


def test_glued_digits_that_break_the_row_rule_are_unreadable():
    with pytest.raises(Ambiguous):
        read_row("1234567", 7, check_row)


def test_full_width_digits_and_units_parse(seed):
    text = seed("000_46a99d63eeadd252.txt").decode()
    text = text.replace("一、本年新收政府信息公开申请数量\n\t15", "一、本年新收政府信息公开申请数量\n\t１５件")
    report = check_bytes(text.encode()).report
    assert report.applications["new_received"]["natural_person"] == 15
