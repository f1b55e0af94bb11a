"""The Chinese words an overseer reads: the printed names of the model's keys (from the vocabulary, as in
the national report format), of the validator's rules and severities, of statuses, levels and reviews.

Findings use them to speak the overseer's language ("（三）不予公开 1.属于国家秘密", not
"refused.state_secret"); the dashboard and the digest show them as labels. `location_name` is the one cell
namer: a dotted path as findings, diffs and the digest carry it -> its name in words.
"""

from __future__ import annotations

from nianbao.report import vocabulary as V

APPLICANT_COLUMN_LABELS: dict[str, str] = V.printed(V.APPLICANT_COLUMNS)
APPLICATION_ROW_LABELS: dict[str, str] = V.printed(V.APPLICATION_ROWS)
APPLICATION_GROUP_LABELS: dict[str, str] = V.printed(V.APPLICATION_GROUPS)
APPEAL_GROUP_LABELS: dict[str, str] = V.printed(V.APPEAL_GROUPS)
APPEAL_COLUMN_LABELS: dict[str, str] = V.printed(V.APPEAL_COLUMNS)
PROACTIVE_ROW_LABELS: dict[str, str] = V.printed(V.PROACTIVE_ROWS)
PROACTIVE_COLUMN_LABELS: dict[str, str] = V.printed(V.PROACTIVE_COLUMNS)

SECTION_NAMES: dict[int, str] = V.SECTION_NAMES
TABLE_NAMES: dict[str, str] = {part.key: part.name for part in V.PARTS}
TEXT_PART_LABELS: dict[str, str] = {
    "summary_text": SECTION_NAMES[1],
    "problems_text": SECTION_NAMES[5],
    "other_text": SECTION_NAMES[6],
}
FIELD_NAMES: dict[str, str] = {"published_date": "发布日期", "year": "报告年度", "format": "表格格式"}


# --- the printed frame of the three tables (headings around the rows and columns of the vocabulary) -------
# Part 二 prints its rows in blocks headed by the item of 《条例》第二十条 they disclose.
PROACTIVE_ITEM_HEADINGS: dict[str, str] = {
    "regulations": "第二十条第（一）项",
    "normative_documents": "第二十条第（一）项",
    "licensing": "第二十条第（五）项",
    "other_services": "第二十条第（五）项",
    "punishment": "第二十条第（六）项",
    "coercion": "第二十条第（六）项",
    "fees": "第二十条第（八）项",
    "procurement": "第二十条第（九）项",
}
PROACTIVE_ROW_HEADING = "信息内容"
# Column headings where a format prints more than the short label (the unit, 本年).
PRINTED_COLUMN_HEADINGS: dict[tuple[str, str], str] = {
    ("2021", "decisions"): "本年处理决定数量",
    ("2021", "amount_10k_yuan"): "本年收费金额（单位：万元）",
}
APPLICATIONS_BALANCE_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
APPLICANTS_HEADING = "申请人情况"
LEGAL_PERSONS_HEADING = "法人或其他组织"
LEGAL_PERSON_COLUMNS: tuple[str, ...] = ("commercial", "research", "social_org", "legal_service", "other_org")
OUTCOME_BLOCK_LABEL = "三、本年度办理结果"
APPEALS_REVIEW_HEADING = "行政复议"
APPEALS_LITIGATION_HEADING = "行政诉讼"
APPEAL_LITIGATION_GROUPS: dict[str, str] = {"litigation_direct": "未经复议直接起诉",
                                           "litigation_after_review": "复议后起诉"}


def column_heading(part: str, column: str, fmt: str) -> str:
    """A column's heading as format `fmt` prints it over the table ("本年收费金额（单位：万元）")."""
    if part == "proactive" and (fmt, column) in PRINTED_COLUMN_HEADINGS:
        return PRINTED_COLUMN_HEADINGS[(fmt, column)]
    table = {"proactive": PROACTIVE_COLUMN_LABELS, "applications": APPLICANT_COLUMN_LABELS,
             "appeals": APPEAL_COLUMN_LABELS}.get(part, {})
    return table.get(column, column)


def row_name(path: str) -> str:
    """A row of part 三 or 四 by its key path: "refused.state_secret" -> "（三）不予公开 1.属于国家秘密"."""
    if path in APPEAL_GROUP_LABELS:
        return APPEAL_GROUP_LABELS[path]
    if path in PROACTIVE_ROW_LABELS:
        return PROACTIVE_ROW_LABELS[path]
    group = path.split(".", 1)[0]
    # A whole group ("unable", as the claims of part 一 sum it) is named by its heading.
    name = APPLICATION_ROW_LABELS.get(path) or APPLICATION_GROUP_LABELS.get(path, path)
    if "." in path and group in APPLICATION_GROUP_LABELS:
        return f"{APPLICATION_GROUP_LABELS[group]} {name}"
    return name


def column_name(column: str) -> str:
    for table in (APPLICANT_COLUMN_LABELS, APPEAL_COLUMN_LABELS, PROACTIVE_COLUMN_LABELS):
        if column in table:
            return table[column]
    return column


def location_name(location: str, *, joiner: str = "·", with_part: bool = True) -> str:
    """A dotted location in words: "applications.granted.total" -> "第三部分（一）予以公开·总计".

    Findings print it whole; the digest prints a cell without its part and with " / " between row and
    column ("（七）总计 / 自然人"). A part, a field or a section is named the same way for both.
    """
    table, _, rest = location.partition(".")
    if table == "section" and rest.isdigit():
        return SECTION_NAMES.get(int(rest), location)
    if table not in TABLE_NAMES or not rest:
        return TABLE_NAMES.get(table) or FIELD_NAMES.get(location, location)
    part = TABLE_NAMES[table] if with_part else ""
    if rest in APPLICATION_GROUP_LABELS:
        return f"{part}{APPLICATION_GROUP_LABELS[rest]}"
    row, _, column = rest.rpartition(".")
    if not row:  # a whole row, no column
        return f"{part}{row_name(rest)}"
    if rest in APPLICATION_ROW_LABELS or rest in APPEAL_GROUP_LABELS or rest in PROACTIVE_ROW_LABELS:
        return f"{part}{row_name(rest)}"
    return f"{part}{row_name(row)}{joiner}{column_name(column)}"


# --- words of the monitor, the validator and the review, shown by the dashboard and the digest ------------
STATUS_LABELS: dict[str, str] = {
    "on_time": "按时发布",
    "late": "逾期发布",
    "missing": "未发布",
    "unreachable": "网站无法访问",
    "unchecked": "尚未检查",
    "not_due": "未到期",
    "not_owed": "不应报",
}
# Statuses in the order the overview shows them (worst last so that charts read left to right).
STATUS_ORDER: tuple[str, ...] = ("on_time", "late", "missing", "unreachable", "unchecked", "not_due", "not_owed")

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

# The monitor's event kinds (storage.events.EVENT_KINDS), as the demo and the CLI name them.
EVENT_LABELS: dict[str, str] = {
    "new_report": "新报告", "new_version": "新版本", "missing": "未发布", "late": "逾期发布",
    "new_errors": "新发现错误", "site_failing": "网站持续无法访问", "unreachable": "网站无法访问",
}

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
    "other_year": "年份与报告年度不符",
    "problems_empty": "问题及改进情况为空",
    "integer_count": "数量应为整数",
    "text_in_number": "数字格中填写了文字",
    "all_concluded": "正文称全部办结但有结转",
    "departments_sum": "与所属部门报告合计不符",
    "ocr_text_unread": "扫描正文未识读",
}

REVIEW_LABELS: dict[str, str] = {
    "open": "待处理",
    "acknowledged": "已确认",
    "false_positive": "误报",
}


# The format a stored original was read as (Version.source_format).
SOURCE_FORMAT_LABELS: dict[str, str] = {"pdf": "PDF", "html": "网页", "text": "纯文本", "txt": "纯文本",
                                        "docx": "Word 文档", "doc": "Word 文档", "wps": "WPS 文档"}


def label(table: dict[str, str], key: str | None) -> str:
    """The label for key, or the key itself so that an unknown value is still shown (never dropped)."""
    if key is None:
        return ""
    return table.get(key, key)
