"""The printed Chinese names of the model's keys, as in the national report format.

Kept as data beside the key tables of monitor.model. Findings use them to speak the overseer's language
("（三）不予公开 1.属于国家秘密", not "refused.state_secret"); the dashboard and the digest show them as labels.
"""

from __future__ import annotations

APPLICANT_COLUMN_LABELS: dict[str, str] = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "social_org": "社会公益组织",
    "legal_service": "法律服务机构",
    "other_org": "其他",
    "total": "总计",
}

APPLICATION_ROW_LABELS: dict[str, str] = {
    "new_received": "一、本年新收政府信息公开申请数量",
    "carried_over": "二、上年结转政府信息公开申请数量",
    "granted": "（一）予以公开",
    "partially_granted": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "refused.state_secret": "1.属于国家秘密",
    "refused.prohibited_by_law": "2.其他法律行政法规禁止公开",
    "refused.safety_stability": "3.危及“三安全一稳定”",
    "refused.third_party": "4.保护第三方合法权益",
    "refused.internal_affairs": "5.属于三类内部事务信息",
    "refused.process_info": "6.属于四类过程性信息",
    "refused.enforcement_files": "7.属于行政执法案卷",
    "refused.admin_query": "8.属于行政查询事项",
    "unable.not_held": "1.本机关不掌握相关政府信息",
    "unable.needs_creation": "2.没有现成信息需要另行制作",
    "unable.unclear": "3.补正后申请内容仍不明确",
    "not_processed.petition": "1.信访举报投诉类申请",
    "not_processed.duplicate": "2.重复申请",
    "not_processed.publication": "3.要求提供公开出版物",
    "not_processed.excessive": "4.无正当理由大量反复申请",
    "not_processed.confirm_reissue": "5.要求行政机关确认或重新出具已获取信息",
    "other": "（六）其他处理",
    "other.no_correction": "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other.unpaid_fee": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other.other": "3.其他",
    "total_handled": "（七）总计",
    "carried_forward": "四、结转下年度继续办理",
}
# Group headings printed in the first column of part 三, keyed by the first segment of a row path.
APPLICATION_GROUP_LABELS: dict[str, str] = {
    "refused": "（三）不予公开",
    "unable": "（四）无法提供",
    "not_processed": "（五）不予处理",
    "other": "（六）其他处理",
}

APPEAL_GROUP_LABELS: dict[str, str] = {
    "review": "行政复议",
    "litigation_direct": "行政诉讼：未经复议直接起诉",
    "litigation_after_review": "行政诉讼：复议后起诉",
}
APPEAL_COLUMN_LABELS: dict[str, str] = {
    "upheld": "结果维持",
    "corrected": "结果纠正",
    "other": "其他结果",
    "pending": "尚未审结",
    "total": "总计",
}

PROACTIVE_ROW_LABELS: dict[str, str] = {
    "regulations": "规章",
    "normative_documents": "行政规范性文件",
    "licensing": "行政许可",
    "other_services": "其他对外管理服务事项",
    "punishment": "行政处罚",
    "coercion": "行政强制",
    "fees": "行政事业性收费",
    "procurement": "政府集中采购",
}
PROACTIVE_COLUMN_LABELS: dict[str, str] = {
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
    "decisions": "处理决定数量",
    "amount_10k_yuan": "本年收费金额（万元）",
    "new_made": "本年新制作数量",
    "new_published": "本年新公开数量",
    "total_published": "对外公开总数量",
    "prev_items": "上一年项目数量",
    "change": "本年增/减",
    "items": "采购项目数量",
    "total_amount": "采购总金额",
}

TEXT_PART_LABELS: dict[str, str] = {
    "summary_text": "一、总体情况",
    "problems_text": "五、存在的主要问题及改进情况",
    "other_text": "六、其他需要报告的事项",
}

SECTION_NAMES: dict[int, str] = {
    1: "一、总体情况",
    2: "二、主动公开政府信息情况",
    3: "三、收到和处理政府信息公开申请情况",
    4: "四、政府信息公开行政复议、行政诉讼情况",
    5: "五、存在的主要问题及改进情况",
    6: "六、其他需要报告的事项",
}
TABLE_NAMES: dict[str, str] = {"proactive": "第二部分", "applications": "第三部分", "appeals": "第四部分"}
FIELD_NAMES: dict[str, str] = {"published_date": "发布日期", "year": "报告年度", "format": "表格格式"}


def row_name(path: str) -> str:
    """A row of part 三 or 四 by its key path: "refused.state_secret" -> "（三）不予公开 1.属于国家秘密"."""
    if path in APPEAL_GROUP_LABELS:
        return APPEAL_GROUP_LABELS[path]
    if path in PROACTIVE_ROW_LABELS:
        return PROACTIVE_ROW_LABELS[path]
    group = path.split(".", 1)[0]
    name = APPLICATION_ROW_LABELS.get(path, path)
    if "." in path and group in APPLICATION_GROUP_LABELS:
        return f"{APPLICATION_GROUP_LABELS[group]} {name}"
    return name


def column_name(column: str) -> str:
    for table in (APPLICANT_COLUMN_LABELS, APPEAL_COLUMN_LABELS, PROACTIVE_COLUMN_LABELS):
        if column in table:
            return table[column]
    return column


def location_name(location: str) -> str:
    """A finding's dotted location in words: "applications.granted.total" -> "第三部分（一）予以公开·总计"."""
    table, _, rest = location.partition(".")
    if table == "section" and rest.isdigit():
        return SECTION_NAMES.get(int(rest), location)
    if table not in TABLE_NAMES or not rest:
        return TABLE_NAMES.get(table) or FIELD_NAMES.get(location, location)
    if rest in APPLICATION_GROUP_LABELS:
        return f"{TABLE_NAMES[table]}{APPLICATION_GROUP_LABELS[rest]}"
    row, _, column = rest.rpartition(".")
    if not row:  # a whole row, no column
        return f"{TABLE_NAMES[table]}{row_name(rest)}"
    if rest in APPLICATION_ROW_LABELS or rest in APPEAL_GROUP_LABELS or rest in PROACTIVE_ROW_LABELS:
        return f"{TABLE_NAMES[table]}{row_name(rest)}"
    return f"{TABLE_NAMES[table]}{row_name(row)}·{column_name(column)}"
