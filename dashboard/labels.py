"""Chinese labels for the model's keys, as printed in the national report format.

Kept as data beside the key tables of monitor.model so that templates iterate over the model's own row
and column definitions and only look the printed label up here.
"""

from __future__ import annotations

STATUS_LABELS: dict[str, str] = {
    "on_time": "按时发布",
    "late": "逾期发布",
    "missing": "未发布",
    "unreachable": "网站无法访问",
    "not_due": "未到期",
}
# Statuses in the order the overview shows them (worst last so that charts read left to right).
STATUS_ORDER: tuple[str, ...] = ("on_time", "late", "missing", "unreachable", "not_due")

LEVEL_LABELS: dict[str, str] = {
    "national": "国家级",
    "province": "省级",
    "provincial": "省级",
    "city": "市级",
    "prefecture": "市级",
    "county": "县级",
    "district": "区县级",
    "township": "乡镇级",
}

KIND_LABELS: dict[str, str] = {"department": "政府部门", "government": "人民政府"}

SEVERITY_LABELS: dict[str, str] = {"error": "错误", "warning": "警告"}

RULE_LABELS: dict[str, str] = {
    "balance": "勾稽关系不平衡",
    "outcome_total": "处理结果合计不符",
    "column_total": "申请人合计不符",
    "appeals_total": "复议诉讼合计不符",
    "non_negative": "出现负数",
    "missing_value": "空白单元格",
    "format_version": "格式版本",
    "text_vs_table": "正文与表格不一致",
    "year_chain": "上下年度结转不一致",
    "deadline": "发布时限",
    "sections": "缺少部分",
    "unreadable": "无法读取",
}

REVIEW_LABELS: dict[str, str] = {
    "open": "待处理",
    "acknowledged": "已确认",
    "false_positive": "误报",
}

# The model's printed names live beside the model; re-exported here for the templates.
from nianbao.report.printed import (  # noqa: E402
    APPEAL_COLUMN_LABELS,
    APPEAL_GROUP_LABELS,
    APPLICANT_COLUMN_LABELS,
    APPLICATION_GROUP_LABELS,
    APPLICATION_ROW_LABELS,
    PROACTIVE_COLUMN_LABELS,
    PROACTIVE_ROW_LABELS,
    TEXT_PART_LABELS,
)

__all__ = [
    "APPEAL_COLUMN_LABELS", "APPEAL_GROUP_LABELS", "APPLICANT_COLUMN_LABELS", "APPLICATION_GROUP_LABELS",
    "APPLICATION_ROW_LABELS", "PROACTIVE_COLUMN_LABELS", "PROACTIVE_ROW_LABELS", "TEXT_PART_LABELS",
    "KIND_LABELS", "LEVEL_LABELS", "REVIEW_LABELS", "RULE_LABELS", "SEVERITY_LABELS", "STATUS_LABELS",
    "STATUS_ORDER", "label",
]


def label(table: dict[str, str], key: str | None) -> str:
    """The label for key, or the key itself so that an unknown value is still shown (never dropped)."""
    if key is None:
        return ""
    return table.get(key, key)
