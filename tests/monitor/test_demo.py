"""`nianbao demo` end to end: the bundled farm, two crawls, every kind of event, the digest files."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from click.testing import CliRunner

from nianbao.app.demo import run_demo
from nianbao.cli import main


def test_demo_shows_every_kind_of_event(tmp_path: Path) -> None:
    result = run_demo(tmp_path / "demo", echo=lambda _line: None)
    first, second = result["crawls"]
    assert first.status == "finished" and first.reports_new == 5
    assert second.reports_changed == 1 and second.reports_new == 0
    assert result["events"] == {"new_report": 5, "new_version": 1, "missing": 1, "late": 1, "new_errors": 1,
                                "unreachable": 1}
    status = {s["agency_id"]: s["status"] for s in result["statuses"]}
    assert status == {"dongguan-tjj": "on_time", "guangzhou-tjj": "not_owed", "lishui-tjj": "late",
                      "shizhong-tjj": "on_time", "wuzhong-tjj": "on_time", "shili-tjj": "missing",
                      "tingji-tjj": "unreachable"}
    formats = {r.agency_id: r.url.rsplit(".", 1)[-1] for r in result["reports"]}
    assert formats["dongguan-tjj"] == "pdf" and formats["lishui-tjj"] == "docx"
    # The digest files: one per recipient, both parts, the changed figure and the contradicting total.
    overseer = next(p for p in result["outbox"] if "overseer" in p.name)
    msg = email.message_from_bytes(overseer.read_bytes(), policy=email.policy.default)
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert "行政处罚 / 处理决定数量: 2 → 3" in text
    # balance and outcome_total flag one wrong row in two columns: one line
    assert "[勾稽关系不平衡、处理结果合计不符] （七）总计 / 自然人、（七）总计 / 总计: 应为 4, 实为 0" in text
    assert "示例县统计局" in text and "逾期 43 天" in text and "停机县统计局" in text
    html = overseer.with_suffix(".html").read_text(encoding="utf-8")
    assert "辖区内 7 个机关中" in html and html.count("<table") >= 2
    guangdong = next(p for p in result["outbox"] if "guangdong" in p.name)
    gd_text = email.message_from_bytes(guangdong.read_bytes(), policy=email.policy.default).get_body(
        preferencelist=("plain",)).get_content()
    assert "东莞市统计局" in gd_text and "丽水市统计局" not in gd_text and "市中区统计局" not in gd_text

    # The CLI reads the demo's settings: `status --json` agrees with the summary.
    out = CliRunner().invoke(main, ["--config", str(result["config"]), "status", "--year", "2020", "--json"])
    assert out.exit_code == 0, out.output
    assert '"status": "missing"' in out.output and '"agency_id": "shili-tjj"' in out.output
    preview = CliRunner().invoke(main, ["--config", str(result["config"]), "digest", "--preview"])
    assert preview.exit_code == 0, preview.output
    assert "=== To: guangdong@example.gov.cn" in preview.output
