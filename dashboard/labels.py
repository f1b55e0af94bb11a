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


def label(table: dict[str, str], key: str | None) -> str:
    """The label for key, or the key itself so that an unknown value is still shown (never dropped)."""
    if key is None:
        return ""
    return table.get(key, key)
