from datetime import date

from nianbao.report.deadlines import due_date
from nianbao.settings import DeadlineSettings


def test_a_government_owes_its_report_by_31_march_of_the_next_year():
    assert due_date("government", 2023) == date(2024, 3, 31)


def test_an_unknown_kind_is_held_to_a_departments_due_date():
    assert due_date("bureau", 2023) == date(2024, 1, 31)


def test_a_configured_month_day_and_grace_replace_the_statutory_ones():
    assert due_date("department", 2023, 2, month_day=(2, 15)) == date(2024, 2, 17)


def test_the_configured_deadlines_ask_the_library_for_the_date():
    custom = DeadlineSettings(department="02-28", government="04-30", grace_days=1)
    assert custom.deadline("government", 2024) == due_date("government", 2024, month_day=(4, 30))
    assert custom.due("department", 2024) == date(2025, 3, 1)


def test_the_settings_default_is_the_statute_of_the_library():
    defaults = DeadlineSettings()
    for kind in ("department", "government"):
        assert defaults.due(kind, 2024) == due_date(kind, 2024)
