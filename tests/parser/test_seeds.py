"""The five seed reports parse to the figures they print; only 市中区统计局's totals contradict its rows."""

import json
from pathlib import Path

import pytest

from nianbao.report import check_bytes
from nianbao.report.model import get_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEEDS = sorted(p.name for p in (FIXTURES / "seeds").glob("*.txt"))


def test_all_five_seeds_are_here():
    assert len(SEEDS) == 5


@pytest.mark.parametrize("name", SEEDS)
def test_seed_parses_to_every_printed_cell(seed, name):
    """Every cell of parts 二, 三, 四 against the figures read off the document (tests/fixtures/expected)."""
    report = check_bytes(seed(name)).report
    expected = json.loads((FIXTURES / "expected" / name.replace(".txt", ".json")).read_text())
    got = report.to_dict()
    for key in ("agency", "year", "format_version", "proactive", "applications", "appeals"):
        assert got[key] == expected[key], key
    assert report.unreadable == {}


def test_golden_files_hold_the_printed_figures():
    """Spot checks of the golden files against the seed texts, so a wrong golden file cannot hide."""
    dongguan = json.loads((FIXTURES / "expected" / "000_46a99d63eeadd252.json").read_text())
    assert dongguan["applications"]["new_received"]["natural_person"] == 15
    assert dongguan["applications"]["granted"]["total"] == 8
    assert dongguan["applications"]["refused"]["prohibited_by_law"]["total"] == 1
    assert dongguan["applications"]["unable"]["not_held"]["total"] == 5
    assert dongguan["proactive"]["other_services"] == {"prev_items": 1, "change": 0, "decisions": 6}
    guangzhou = json.loads((FIXTURES / "expected" / "002_4e4a82637444ff61.json").read_text())
    assert guangzhou["format_version"] == "2021"
    assert guangzhou["applications"]["partially_granted"]["total"] == 8
    assert guangzhou["applications"]["unable"]["not_held"]["natural_person"] == 20
    assert guangzhou["applications"]["other"]["unpaid_fee"]["total"] == 0
    assert guangzhou["proactive"]["normative_documents"] == {"issued": 0, "repealed": 0, "in_force": 2}
    assert guangzhou["proactive"]["punishment"] == {"decisions": 2}
    shizhong = json.loads((FIXTURES / "expected" / "001_e370c3ecf5653fbd.json").read_text())
    assert shizhong["proactive"]["procurement"] == {"items": 17, "total_amount": 174360}  # "17个", "174,360元"


@pytest.mark.parametrize("name", SEEDS)
def test_only_the_contradicting_seed_has_errors(seed, name):
    result = check_bytes(seed(name))
    errors = {(f.rule, f.location) for f in result.findings if f.severity == "error"}
    if name.startswith("001_"):
        assert errors == {
            ("balance", "applications.total_handled.natural_person"),
            ("balance", "applications.total_handled.total"),
            ("outcome_total", "applications.total_handled.natural_person"),
            ("outcome_total", "applications.total_handled.total"),
        }
        outcome = next(f for f in result.findings if f.rule == "outcome_total" and f.location.endswith("total"))
        assert (outcome.expected, outcome.actual) == (4, 0)
    else:
        assert errors == set()


def test_metadata_of_seeds(seed):
    dongguan = check_bytes(seed("000_46a99d63eeadd252.txt")).report
    assert (dongguan.agency, dongguan.year, dongguan.published_date) == ("东莞市统计局", 2020, "2021-01-27")
    assert dongguan.sections_present == [1, 2, 3, 4, 5, 6]
    assert dongguan.summary_text.startswith("2020年")
    assert "门户网站" in dongguan.problems_text
    assert dongguan.other_text.startswith("无")
    wuzhong = check_bytes(seed("004_b1f2095ac2ccdacd.txt")).report
    assert wuzhong.agency == "吴忠市利通区统计局"  # the name stands on the line above the title
    guangzhou = check_bytes(seed("002_4e4a82637444ff61.txt")).report
    assert guangzhou.agency == "广州市统计局" and guangzhou.year == 2021


def test_percentages_in_text_agree_with_table(seed):
    """广州: "予以公开…16件，占36.4%" etc. agree with table three (45.4% is a truncation of 45.45%)."""
    result = check_bytes(seed("002_4e4a82637444ff61.txt"))
    assert [f for f in result.findings if f.rule == "text_vs_table"] == []


def test_a_changed_figure_in_the_text_is_reported(seed):
    text = seed("002_4e4a82637444ff61.txt").decode().replace("共受理信息公开申请44件", "共受理信息公开申请45件")
    findings = [f for f in check_bytes(text.encode()).findings if f.rule == "text_vs_table"]
    assert len(findings) == 1
    assert (findings[0].expected, findings[0].actual) == (44, 45)


def test_typos_in_labels_still_parse(seed):
    """本年度止件数 (for 本年废止件数) and 社会组织 (for 社会公益组织) occur in the 广州 seed itself."""
    report = check_bytes(seed("002_4e4a82637444ff61.txt")).report
    assert get_path(report.applications, "new_received.social_org") == 0
    assert report.proactive["regulations"]["repealed"] == 0
