"""Real reports in the wild: recover what the text allows, report what it contradicts, invent nothing."""

from nianbao.report import check_bytes
from nianbao.report.model import get_path


def rules(result, severity="error"):
    return {(f.rule, f.location) for f in result.findings if f.severity == severity}


def test_hongze_layout_text_recovers_drifted_labels_and_reports_part_four(corpus):
    """Labels centred beside their numbers: rows are recovered by order between read neighbours."""
    result = check_bytes(corpus("002_huaian_hongze_district_2023.txt"))
    apps = result.report.applications
    assert get_path(apps, "partially_granted.total") == 4
    assert get_path(apps, "refused.state_secret.total") == 1
    assert get_path(apps, "unable.not_held.total") == 10
    assert get_path(apps, "unable.needs_creation.total") == 3
    assert get_path(apps, "total_handled.total") == 21
    assert rules(result) == {("appeals_total", "appeals.review.total"),
                             ("appeals_total", "appeals.litigation_after_review.total")}
    assert result.report.proactive["fees"] == {"amount_10k_yuan": 7730.28}


def test_pingtan_run_together_cells_are_split_only_when_unambiguous(corpus):
    result = check_bytes(corpus("004_pingtan_zonghe_shiyanqu_2019.txt"))
    apps = result.report.applications
    assert apps["new_received"] == {"natural_person": 23, "commercial": 0, "research": 0, "social_org": 0,
                                    "legal_service": 0, "other_org": 0, "total": 23}
    assert get_path(apps, "unable.unclear.total") == 5
    # "898989" could be 89/89/89 or 8/98/989: not guessed, reported.
    assert "normative_documents" not in result.report.proactive
    assert "proactive.normative_documents" in result.report.unreadable
    assert any(f.rule == "unreadable" and f.location == "proactive" for f in result.findings)


def test_pingtan_2020_outcomes_do_not_add_up(corpus):
    result = check_bytes(corpus("005_pingtan_zonghe_shiyanqu_2020.txt"))
    assert ("outcome_total", "applications.total_handled.total") in rules(result)
    finding = next(f for f in result.findings if f.location == "applications.total_handled.total")
    assert (finding.expected, finding.actual) == (27, 21)


def test_markdown_conversion_recovers_table_three_and_flags_the_lost_cell(corpus):
    result = check_bytes(corpus("011_shanghai_kewei_2024.txt"))
    apps = result.report.applications
    assert get_path(apps, "other.no_correction.total") == 10
    assert get_path(apps, "total_handled.total") == 35
    assert get_path(apps, "carried_forward.total") is None
    assert rules(result) == set()
    assert ("missing_value", "applications.carried_forward") in rules(result, "warning")


def test_shanghai_2025_lost_cell_in_part_two_is_unreadable_not_guessed(corpus):
    result = check_bytes(corpus("013_shanghai_city_govoffice_2025.txt"))
    assert "regulations" not in result.report.proactive
    assert "proactive.regulations" in result.report.unreadable
    assert get_path(result.report.applications, "total_handled.total") == 1191
    assert result.report.appeals["litigation_after_review"]["total"] == 22
    assert rules(result) == set()


def test_mis_numbered_parts_are_found_by_their_titles(corpus):
    result = check_bytes(corpus("016_pingtan_lvyou_wenhua_tiyu_ju_2019.txt"))
    assert result.report.sections_present == [1, 2, 3, 4, 5, 6]
    assert result.report.proactive["procurement"] == {"items": 1, "total_amount": 246900}
    assert result.report.published_date == "2020-01-02"


def test_signed_deltas_are_not_mistaken_for_separate_cells(corpus):
    result = check_bytes(corpus("017_pingtan_shichang_jiandu_ju_2019.txt"))
    assert "licensing" not in result.report.proactive  # "20+1737": +17/37 or +1/737 or +173/7
    assert get_path(result.report.applications, "not_processed.duplicate.total") == 1


def test_shanghai_2019_html_blank_cells_and_text_that_contradicts_the_table(corpus):
    """HTML with rowspan/colspan and blank cells; part 一's 258 and 265 disagree with table three."""
    result = check_bytes(corpus("015_shanghai_city_govoffice_2019.txt"), "015.html")
    report = result.report
    assert report.applications["granted"] == {"natural_person": 258, "commercial": 12, "research": None,
                                              "social_org": None, "legal_service": 1, "other_org": 1,
                                              "total": None}
    assert report.appeals["review"] == {"upheld": 5, "corrected": None, "other": None, "pending": 2, "total": 7}
    assert report.proactive["procurement"] == {"items": 6, "total_amount": 251000}
    claims = {(f.expected, f.actual) for f in result.findings if f.rule == "text_vs_table"}
    assert claims == {(275, 258), (337, 265)}
    assert rules(result) == set()
