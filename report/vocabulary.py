"""The words of the three tables, as data: every row and column key of the national report format with
its printed label, the patterns the parser matches it by, its group and part, in document order.

One vocabulary for every consumer: model.py derives its key tables from it, labels.py its row regexes,
printed.py its display names and the cell namer (`printed.location_name`); the walk over a model's rows
and cells (report/walk.py) reads it too. Patterns are written against NFKC-normalised text (see labels.keyword); labels are printed as the
national format prints them (国务院办公厅 2019 and 2021 formats).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def keyword(word: str) -> str:
    """Regex for `word` with optional whitespace between its characters (regex metachars escaped)."""
    return r"\s*".join(re.escape(ch) for ch in word)


def any_of(*words: str) -> str:
    return "(?:" + "|".join(keyword(w) for w in words) + ")"


FORMATS: tuple[str, ...] = ("2021", "2019")


@dataclass(frozen=True)
class Term:
    """A row or column of a table. `group` is the first segment of a grouped row path ("refused" for
    "refused.state_secret"); `formats` are the national formats that print it; `columns` (rows of part 二
    only) the columns the row has in each format."""

    key: str
    label: str
    pattern: str = ""
    formats: tuple[str, ...] = FORMATS
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def group(self) -> str | None:
        return self.key.split(".", 1)[0] if "." in self.key else None


@dataclass(frozen=True)
class Part:
    """A table of the report: its key in the model, its part number and how findings name it."""

    key: str
    number: int
    name: str  # "第三部分"
    title: str  # the part's heading


# --- the parts ---------------------------------------------------------------------------------------------
SECTION_NAMES: dict[int, str] = {
    1: "一、总体情况",
    2: "二、主动公开政府信息情况",
    3: "三、收到和处理政府信息公开申请情况",
    4: "四、政府信息公开行政复议、行政诉讼情况",
    5: "五、存在的主要问题及改进情况",
    6: "六、其他需要报告的事项",
}
PARTS: tuple[Part, ...] = (
    Part("proactive", 2, "第二部分", SECTION_NAMES[2]),
    Part("applications", 3, "第三部分", SECTION_NAMES[3]),
    Part("appeals", 4, "第四部分", SECTION_NAMES[4]),
)

# --- Part 二: proactive disclosure -------------------------------------------------------------------------
_LAWS_2021 = ("issued", "repealed", "in_force")
_LAWS_2019 = ("new_made", "new_published", "total_published")
_ITEMS_2019 = ("prev_items", "change", "decisions")
PROACTIVE_ROWS: tuple[Term, ...] = (
    Term("regulations", "规章", r"(?<!政府)(?<!部门)" + keyword("规章") + r"(?!制度)",
         columns={"2021": _LAWS_2021, "2019": _LAWS_2019}),
    Term("normative_documents", "行政规范性文件", any_of("行政规范性文件", "规范性文件"),
         columns={"2021": _LAWS_2021, "2019": _LAWS_2019}),
    Term("licensing", "行政许可", any_of("行政许可"), columns={"2021": ("decisions",), "2019": _ITEMS_2019}),
    Term("other_services", "其他对外管理服务事项", any_of("其他对外管理服务事项", "对外管理服务"),
         columns={"2019": _ITEMS_2019}),
    Term("punishment", "行政处罚", any_of("行政处罚"), columns={"2021": ("decisions",), "2019": _ITEMS_2019}),
    Term("coercion", "行政强制", any_of("行政强制"), columns={"2021": ("decisions",), "2019": _ITEMS_2019}),
    Term("fees", "行政事业性收费", any_of("行政事业性收费"),
         columns={"2021": ("amount_10k_yuan",), "2019": ("prev_items", "change")}),
    Term("procurement", "政府集中采购", any_of("政府集中采购"), columns={"2019": ("items", "total_amount")}),
)
PROACTIVE_COLUMNS: tuple[Term, ...] = (
    Term("issued", "本年制发件数"),
    Term("repealed", "本年废止件数"),
    Term("in_force", "现行有效件数"),
    Term("decisions", "处理决定数量"),
    Term("amount_10k_yuan", "本年收费金额（万元）"),
    Term("new_made", "本年新制作数量"),
    Term("new_published", "本年新公开数量"),
    Term("total_published", "对外公开总数量"),
    Term("prev_items", "上一年项目数量"),
    Term("change", "本年增/减"),
    Term("items", "采购项目数量"),
    Term("total_amount", "采购总金额"),
)

# --- Part 三: applications ---------------------------------------------------------------------------------
APPLICANT_COLUMNS: tuple[Term, ...] = (
    Term("natural_person", "自然人"),
    Term("commercial", "商业企业"),
    Term("research", "科研机构"),
    Term("social_org", "社会公益组织"),
    Term("legal_service", "法律服务机构"),
    Term("other_org", "其他"),
    Term("total", "总计"),
)
# Group headings printed in the first column of part 三, keyed by the first segment of a row path.
APPLICATION_GROUPS: tuple[Term, ...] = (
    Term("refused", "（三）不予公开"),
    Term("unable", "（四）无法提供"),
    Term("not_processed", "（五）不予处理"),
    Term("other", "（六）其他处理"),
)
# Rows in document order; "other" is one row in the 2019 format and three rows in 2021. Each pattern matches
# the row's distinctive keyword(s): the parser widens the matched span to the whole label cell (numbering
# before, explanation after), so keywords only need to be unambiguous. The patterns are tried in this order.
APPLICATION_ROWS: tuple[Term, ...] = (
    Term("new_received", "一、本年新收政府信息公开申请数量", any_of("本年新收", "本年度新收", "新收政府信息公开申请")),
    Term("carried_over", "二、上年结转政府信息公开申请数量", any_of("上年结转", "上年度结转")),
    Term("granted", "（一）予以公开", any_of("予以公开")),
    Term("partially_granted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", any_of("部分公开")),
    Term("refused.state_secret", "1.属于国家秘密", any_of("国家秘密")),
    Term("refused.prohibited_by_law", "2.其他法律行政法规禁止公开", any_of("其他法律", "行政法规禁止", "法规禁止公开")),
    Term("refused.safety_stability", "3.危及“三安全一稳定”", any_of("三安全一稳定", "危及")),
    Term("refused.third_party", "4.保护第三方合法权益", any_of("第三方")),
    Term("refused.internal_affairs", "5.属于三类内部事务信息", any_of("内部事务")),
    Term("refused.process_info", "6.属于四类过程性信息", any_of("过程性信息", "四类过程")),
    Term("refused.enforcement_files", "7.属于行政执法案卷", any_of("执法案卷")),
    Term("refused.admin_query", "8.属于行政查询事项", any_of("行政查询")),
    Term("unable.not_held", "1.本机关不掌握相关政府信息", any_of("不掌握")),
    Term("unable.needs_creation", "2.没有现成信息需要另行制作", any_of("另行制作", "没有现成")),
    Term("unable.unclear", "3.补正后申请内容仍不明确", any_of("仍不明确", "补正后申请")),
    Term("not_processed.petition", "1.信访举报投诉类申请", any_of("信访举报", "举报投诉", "信访")),
    Term("not_processed.duplicate", "2.重复申请", any_of("重复申请")),
    Term("not_processed.publication", "3.要求提供公开出版物", any_of("公开出版物")),
    Term("not_processed.excessive", "4.无正当理由大量反复申请", any_of("大量反复", "无正当理由大量")),
    Term("not_processed.confirm_reissue", "5.要求行政机关确认或重新出具已获取信息", any_of("重新出具", "确认或重新")),
    Term("other.no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
         any_of("逾期不补正", "不补正"), formats=("2021",)),
    Term("other.unpaid_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
         any_of("缴纳费用", "收费通知"), formats=("2021",)),
    # "3.其他" only counts when it stands alone as a label (not 其他处理/其他法律/其他结果/其他 column).
    Term("other.other", "3.其他", r"(?<![\u4e00-\u9fff])3\s*[.、]\s*" + keyword("其他") + r"(?![\u4e00-\u9fff])",
         formats=("2021",)),
    Term("other", "（六）其他处理",
         r"\(\s*六\s*\)\s*" + keyword("其他处理") + r"|(?<![\u4e00-\u9fff])" + keyword("其他处理"), formats=("2019",)),
    Term("total_handled", "（七）总计", r"\(\s*七\s*\)\s*" + keyword("总计") + r"|七\s*[)、]\s*" + keyword("总计")),
    Term("carried_forward", "四、结转下年度继续办理", any_of("结转下年度", "转下年度继续", "结转下一年度")),
)
# Rows that are not outcomes: the intake (一、二) and the totals (（七）, 四、); the outcomes sum to （七）总计.
INTAKE_ROWS: tuple[str, ...] = ("new_received", "carried_over")
TOTAL_ROWS: tuple[str, ...] = ("total_handled", "carried_forward")

# --- Part 四: appeals --------------------------------------------------------------------------------------
# Laid out as labelled rows: one row per group (5 cells) or, transposed, one row per result (3 cells).
APPEAL_GROUPS: tuple[Term, ...] = (
    Term("review", "行政复议", any_of("行政复议")),
    Term("litigation_direct", "行政诉讼：未经复议直接起诉", any_of("未经复议直接起诉", "直接起诉")),
    Term("litigation_after_review", "行政诉讼：复议后起诉", any_of("复议后起诉")),
)
APPEAL_COLUMNS: tuple[Term, ...] = (
    Term("upheld", "结果维持", any_of("结果维持", "维持")),
    Term("corrected", "结果纠正", any_of("结果纠正", "纠正")),
    # "其他" alone only as the whole label cell: a row per result headed "维持/纠正/其他/尚未审结/总计"
    Term("other", "其他结果", any_of("其他结果") + "|" + keyword("其他") + r"(?![\u4e00-\u9fff])"),
    Term("pending", "尚未审结", any_of("尚未审结")),
    Term("total", "总计", any_of("总计", "合计")),
)


def keys(terms: tuple[Term, ...]) -> tuple[str, ...]:
    return tuple(term.key for term in terms)


def printed(terms: tuple[Term, ...]) -> dict[str, str]:
    """key -> printed label."""
    return {term.key: term.label for term in terms}


def patterns(terms: tuple[Term, ...]) -> dict[str, str]:
    """key -> the regex the parser matches the label by, in the order the parser tries them."""
    return {term.key: term.pattern for term in terms}


def application_rows(fmt: str) -> tuple[str, ...]:
    """Row paths of part 三 in document order for a format: the 2019 format has one "other" row."""
    return tuple(t.key for t in APPLICATION_ROWS if fmt in t.formats)


def proactive_rows(fmt: str) -> dict[str, tuple[str, ...]]:
    """Rows of part 二 in a format and the columns each has."""
    return {t.key: t.columns[fmt] for t in PROACTIVE_ROWS if fmt in t.columns}
