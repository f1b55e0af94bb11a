"""Version diffs: text via difflib, table figures cell by cell along the model keys."""

from __future__ import annotations

import copy
from typing import Any

from nianbao.report.diff import CellChange, diff_models, figure_changes
from nianbao.report.model import APPLICANT_COLUMNS


def model(fmt: str = "2021") -> dict[str, Any]:
    row = dict.fromkeys(APPLICANT_COLUMNS, 0)
    return {
        "agency": "某市统计局", "year": 2024, "format_version": fmt, "published_date": "2025-01-20",
        "summary_text": "共受理信息公开申请4件。\n全部办结。", "problems_text": "人员不足。", "other_text": "无",
        "proactive": {"licensing": {"decisions": 3}},
        "applications": {"new_received": dict(row, natural_person=4, total=4), "granted": dict(row),
                         "refused": {"state_secret": dict(row)}},
        "appeals": {"review": {"upheld": 0, "corrected": 0, "other": 0, "pending": 0, "total": 0}},
    }


def test_identical_models_have_no_changes() -> None:
    d = diff_models(model(), model())
    assert not d.changed
    assert d.figures == [] and d.text_unified == ""


def test_changed_cells_from_what_to_what() -> None:
    old, new = model(), model()
    new["applications"]["new_received"]["natural_person"] = 5
    new["applications"]["new_received"]["total"] = 5
    new["applications"]["refused"]["state_secret"]["commercial"] = None
    new["appeals"]["review"]["pending"] = 2
    new["proactive"]["licensing"]["decisions"] = 4
    new["published_date"] = "2025-01-22"
    changes = figure_changes(old, new)
    assert changes == [
        CellChange("published_date", "2025-01-20", "2025-01-22"),
        CellChange("proactive.licensing.decisions", 3, 4),
        CellChange("applications.new_received.natural_person", 4, 5),
        CellChange("applications.new_received.total", 4, 5),
        CellChange("applications.refused.state_secret.commercial", 0, None),
        CellChange("appeals.review.pending", 0, 2),
    ]
    assert str(changes[4]) == "applications.refused.state_secret.commercial: 0 -> blank"


def test_rows_added_in_new_version_are_reported() -> None:
    old, new = model(), copy.deepcopy(model())
    new["applications"]["carried_over"] = dict.fromkeys(APPLICANT_COLUMNS, 1)
    changes = figure_changes(old, new)
    assert len(changes) == len(APPLICANT_COLUMNS)
    assert all(c.old is None and c.new == 1 for c in changes)


def test_text_diff_unified_and_html() -> None:
    old, new = model(), model()
    new["summary_text"] = "共受理信息公开申请5件。\n全部办结。"
    d = diff_models(old, new, old_label="v1", new_label="v2")
    assert "-共受理信息公开申请4件。" in d.text_unified
    assert "+共受理信息公开申请5件。" in d.text_unified
    assert d.text_unified.startswith("--- v1")
    assert "<table" in d.text_html and "v2" in d.text_html
    assert d.figures == []
    assert d.changed


def test_summary_is_bounded() -> None:
    old, new = model(), model()
    for col in APPLICANT_COLUMNS:
        new["applications"]["granted"][col] = 9
    lines = diff_models(old, new).summary(limit=3)
    assert len(lines) == 4 and lines[-1] == "... and 4 more cells"


def test_diff_of_two_stored_versions(store) -> None:
    from nianbao.crawler.store_jobs import store_report
    from tests.monitor.storekit import AgencyCfg, report_text, utc

    store.sync_agencies([AgencyCfg("a", "市中区统计局")])
    body = report_text(2020)
    v1 = store_report(store, "a", body.encode(), url="http://127.0.0.1:9/r.txt", headers={}, fetched_at=utc(2021, 1, 20))
    # The corrected edition: 予以公开 for natural persons goes from 2 to 3, and a sentence is added.
    lines = body.split("\n")
    at = next(i for i, line in enumerate(lines) if "（一）予以公开" in line) + 1
    assert lines[at].strip() == "2"
    lines[at] = lines[at].replace("2", "3")
    corrected = "\n".join(lines) + "\n本报告于发布后更正。"
    v2 = store_report(store, "a", corrected.encode(), url="http://127.0.0.1:9/r.txt", headers={},
                            fetched_at=utc(2021, 2, 1))
    assert v2.outcome == "new_version"
    from nianbao.report.diff import diff_versions

    d = diff_versions(store, v1.version_id, v2.version_id)
    assert CellChange("applications.granted.natural_person", 2, 3) in d.figures
    assert "+本报告于发布后更正。" in d.text_unified
    assert d.text_unified.startswith("--- v1 2021-01-20")
