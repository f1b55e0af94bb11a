"""Downloads of the lists: /export/{agencies,findings,regions,levels}.{csv,xlsx,json}, every row of the filter
(not one page of 50), with Chinese column titles in the CSV and the Excel sheet; and a report's tables as an
Excel workbook laid out as printed (/reports/{id}/tables.xlsx, dashboard/workbook.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from nianbao.dashboard import queries as Q
from nianbao.dashboard import workbook
from nianbao.dashboard.context import Dashboard, int_param, read_only
from nianbao.monitor.benchmarks import RATES
from nianbao.report import printed as L
from nianbao.report.grouping import group_findings
from nianbao.report.printed import location_name
from nianbao.storage import benchmarks

EXPORT_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "agencies": [("agency_id", "机关代码"), ("name", "机关名称"), ("region", "地区"), ("level", "层级"),
                 ("kind", "类型"), ("year", "年度"), ("status", "状态"), ("published_date", "发布日期"),
                 ("due", "截止日期"), ("days_late", "逾期天数"), ("inconsistent", "数据不一致"),
                 ("open_errors", "待处理错误"), ("error_count", "错误"), ("warning_count", "警告"),
                 ("version_count", "版本数"), ("title", "报告标题")],
    "findings": [("id", "编号"), ("agency_id", "机关代码"), ("name", "机关名称"), ("region", "地区"),
                 ("year", "年度"), ("rule", "规则"), ("severity", "级别"), ("location", "位置"),
                 ("expected", "应为"), ("actual", "实际"), ("message", "说明"), ("review", "处理状态"),
                 ("review_note", "处理说明"), ("review_at", "处理时间"), ("review_user", "处理人")],
    "regions": [("key", "地区"), ("total", "机关数"), ("due", "应发布"), ("on_time", "按时"), ("late", "逾期"),
                ("missing", "未发布"), ("unreachable", "无法访问"), ("unchecked", "尚未检查"), ("not_due", "未到期"),
                ("not_owed", "不应报"),
                ("inconsistent", "数据不一致")],
}
EXPORT_COLUMNS["levels"] = [("key", "层级")] + EXPORT_COLUMNS["regions"][1:]
# The benchmarks of a region's agencies (with region=) or of every region (without): shares in per cent.
EXPORT_COLUMNS["benchmarks"] = [
    ("agency_id", "机关代码"), ("name", "机关名称"), ("region", "地区"), ("year", "年度"),
    ("received", "申请数（新收+结转）"), ("handled", "办理总计"), ("review_total", "行政复议总计"),
    ("litigation_total", "行政诉讼总计"),
    *[(r.key, f"{r.label}（%）") for r in RATES], *[(f"{r.key}_pct", f"{r.label}·地区百分位") for r in RATES],
    ("warnings", "超过阈值项数")]
EXPORT_COLUMNS["benchmark-regions"] = [
    ("region", "地区"), ("year", "年度"), ("label", "比率"), ("rated", "参评机关"), ("p25", "P25（%）"),
    ("p50", "P50（%）"), ("p75", "P75（%）"), ("above", "超过阈值机关")]
SHEET_TITLES = {"agencies": "机关", "findings": "问题", "regions": "地区", "levels": "层级", "benchmarks": "横向对比",
                "benchmark-regions": "各地区四分位数"}
FORMATS = ("csv", "xlsx", "json")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_rows(session: Session, kind: str, params: Any, today: dt.date, due: Any = None) -> list[dict[str, Any]]:
    f = Q.ListFilters.from_params(params)
    if kind == "findings":  # like the findings page: no year given means every year
        rows: list[dict[str, Any]] = Q.finding_rows(session, f, limit=Q.EXPORT_LIMIT)["rows"]
        return grouped_findings(rows)
    f.year = f.year or Q.default_year(session, today, due)
    if kind in ("benchmarks", "benchmark-regions") and f.year:
        return benchmark_rows(session, f.year, f.region if kind == "benchmarks" else None)
    if kind == "agencies":
        rows = Q.agency_rows(session, f, limit=Q.EXPORT_LIMIT)["rows"]
        return rows
    grouped = Q.overview(session, f.year)[kind] if f.year else []
    return [{**r, **r["counts"]} for r in grouped]


def grouped_findings(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per fact (report.grouping), as the findings page counts them: its rules and cells joined."""
    out = []
    for group in group_findings(rows):
        out.append({**group.members[0], "message": group.message, "rules": group.rules, "locations": group.locations,
                    "ids": [m["id"] for m in group.members]})
    return out


# CSV cells in the words of the dashboard: 县级, 未发布, 已确认, not the stored keys.
_CSV_WORDS: dict[str, dict[str, str]] = {
    "level": L.LEVEL_LABELS, "kind": L.KIND_LABELS, "status": L.STATUS_LABELS, "severity": L.SEVERITY_LABELS,
    "review": L.REVIEW_LABELS, "rule": L.RULE_LABELS,
}


def _csv_value(key: str, row: dict[str, Any]) -> Any:
    value = row.get(key)
    if key == "rule" and row.get("rules"):
        return "、".join(L.label(L.RULE_LABELS, r) for r in row["rules"])
    if key == "location" and row.get("locations") is not None:
        return "、".join(location_name(loc) for loc in row["locations"])
    if key in _CSV_WORDS and isinstance(value, str):
        return L.label(_CSV_WORDS[key], value)
    if key == "inconsistent" and isinstance(value, bool):
        return "是" if value else "否"
    return value


def benchmark_rows(session: Session, year: int, region: str | None) -> list[dict[str, Any]]:
    """A region's agencies (all of them) or, without a region, every region's quartiles; shares as per cent."""
    if region:
        rows, _ = benchmarks.agency_rows(session, year, region, limit=Q.EXPORT_LIMIT)
        return [{**r, **{k: _percent(r[k]) for k in _PERCENT},
                 **{f"{k}_pct": _round(r[f"{k}_pct"]) for k in _PERCENT}} for r in rows]
    labels = {r.key: r.label for r in RATES}
    return [{**r, "label": labels.get(r["rate"], r["rate"]), **{q: _percent(r[q]) for q in ("p25", "p50", "p75")}}
            for r in benchmarks.region_medians(session, year)]


_PERCENT = {r.key for r in RATES}


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def to_csv(kind: str, rows: list[dict[str, Any]]) -> bytes:
    columns = EXPORT_COLUMNS[kind]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in columns])
    for row in rows:
        row = {**row, "level": row["key"]} if kind == "levels" else row
        writer.writerow([_csv_cell(_csv_value("level" if kind == "levels" and key == "key" else key, row))
                         for key, _ in columns])
    # The BOM makes Excel read the file as UTF-8 (otherwise it guesses GBK and the Chinese is garbled).
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        # Crawled text must not become a spreadsheet formula when opened in Excel.
        return "'" + value
    return value


def _export(request: Request, dash: Dashboard, session: Session) -> Response:
    kind, fmt = request.path_params["kind"], request.path_params["fmt"]
    if kind not in EXPORT_COLUMNS or fmt not in FORMATS:
        raise HTTPException(404, "没有这种导出。")
    rows = export_rows(session, kind, request.query_params, dash.today(), dash.settings.deadlines.due)
    if kind == "benchmarks" and not request.query_params.get("region"):
        kind = "benchmark-regions"  # every region: its quartiles, one row per rate
    stamp = dash.today().isoformat()
    filename = f"nianbao-{kind}-{stamp}.{fmt}"
    disposition = {"content-disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        return Response(to_csv(kind, rows), media_type="text/csv; charset=utf-8", headers=disposition)
    if fmt == "xlsx":
        data = workbook.list_workbook(SHEET_TITLES[kind], EXPORT_COLUMNS[kind], rows)
        return Response(data, media_type=XLSX, headers=disposition)
    body = json.dumps(Q.jsonable(rows), ensure_ascii=False, indent=1)
    return Response(body.encode("utf-8"), media_type="application/json", headers=disposition)


export = read_only(_export)


def _report_tables(request: Request, dash: Dashboard, session: Session) -> Response:
    """A report's three tables (version `v`, default the newest) as an Excel workbook laid out as printed."""
    data = Q.report_page(session, request.path_params["report_id"], int_param(request.query_params.get("v")))
    if data is None:
        raise HTTPException(404, "没有这份报告。")
    report, agency, version = data["report"], data["agency"], data["version"]
    title = report["title"] or f"{agency['name']}{report['year']}年政府信息公开工作年度报告"
    filename = f"nianbao-{agency['id']}-{report['year']}-v{version['number']}.xlsx"
    return Response(workbook.report_workbook(title, data["model"]), media_type=XLSX,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


report_tables = read_only(_report_tables)
