"""What the parser looks for, as data: headings, row labels and their variants, header keywords, claims.

Every pattern is written against NFKC-normalised text (full-width brackets and digits already folded to
ASCII). `keyword()` turns a plain keyword into a regex that tolerates stray whitespace between characters
("不 予 公 开", "总 计"), which PDF and Word conversions insert everywhere.
"""

from __future__ import annotations

import re


def keyword(word: str) -> str:
    """Regex for `word` with optional whitespace between its characters (regex metachars escaped)."""
    return r"\s*".join(re.escape(ch) for ch in word)


def any_of(*words: str) -> str:
    return "(?:" + "|".join(keyword(w) for w in words) + ")"


# --- Traditional characters ---------------------------------------------------------------------------
# Some sites serve their pages in traditional characters (a 繁體 switch). Folding the characters used by
# the report's headings, labels and column headers lets the same patterns read them; other text is left.
TRADITIONAL_MARKERS = "開報請處國為"  # frequent in any report; their simplified forms tell which script a page uses
SIMPLIFIED_MARKERS = "开报请处国为"

# --- Section headings (parts 一 … 六) --------------------------------------------------------------
# A heading is a numeral marker ("三、", "3、", "（三）" is not used for parts) followed by its keywords.
# Matching the numeral but not its value copes with mis-numbered parts ("二、收到和处理…" as part three).
# Run-on text glues a heading to the cell before it ("…0000000四、政府信息公开…", "…元三、收到…"), so a
# Chinese numeral may follow anything; an Arabic one must not follow a digit.
HEADING_MARKER = (r"(?:(?:[一二三四五六七八九十]|(?<!\d)[1-9])\s*[、.．]\s*"
                  r"|第\s*[一二三四五六1-6]\s*部\s*分\s*[、:：.]?\s*)")
# Arabic numbering also numbers the points of part 一 ("2. 主动公开政府信息情况。本年度…",
# "4. 因政府信息公开申请行政复议…"): a heading numbered in Chinese is looked for first, an Arabic one only
# when there is none.
HEADING_MARKER_CHINESE = r"(?:[一二三四五六七八九十]\s*[、.．]\s*|第\s*[一二三四五六1-6]\s*部\s*分\s*[、:：.]?\s*)"
SECTION_KEYWORDS: dict[int, str] = {
    1: any_of("总体情况", "概述", "基本情况"),
    2: keyword("主动公开政府信息") + r"[^\n。]{0,3}?" + keyword("情况"),
    3: keyword("收到和处理") + r"[^\n。]{0,16}?" + keyword("申请") + r"[^\n。]{0,4}?" + keyword("情况"),
    4: r"(?:[^\n。]{0,20}?)" + keyword("行政复议"),
    5: r"(?:[^\n。]{0,12}?)" + any_of("存在的主要问题", "存在主要问题", "主要问题及改进", "存在的问题", "存在问题",
                                     "存在的不足", "问题及改进", "不足及改进"),
    6: any_of("其他需要报告的事项", "其它需要报告的事项", "其他需要报告事项", "其他需要说明的事项",
              "需要报告的其他事项", "其他事项"),
}

# --- Part 三 row labels -----------------------------------------------------------------------------
# row key -> regex of the distinctive keyword(s). The matched span is later widened to the whole label
# cell (numbering before, explanation after), so keywords only need to be unambiguous.
APPLICATION_LABELS: dict[str, str] = {
    "new_received": any_of("本年新收", "本年度新收", "新收政府信息公开申请"),
    "carried_over": any_of("上年结转", "上年度结转"),
    "granted": any_of("予以公开"),
    "partially_granted": any_of("部分公开"),
    "refused.state_secret": any_of("国家秘密"),
    "refused.prohibited_by_law": any_of("其他法律", "行政法规禁止", "法规禁止公开"),
    "refused.safety_stability": any_of("三安全一稳定", "危及"),
    "refused.third_party": any_of("第三方"),
    "refused.internal_affairs": any_of("内部事务"),
    "refused.process_info": any_of("过程性信息", "四类过程"),
    "refused.enforcement_files": any_of("执法案卷"),
    "refused.admin_query": any_of("行政查询"),
    "unable.not_held": any_of("不掌握"),
    "unable.needs_creation": any_of("另行制作", "没有现成"),
    "unable.unclear": any_of("仍不明确", "补正后申请"),
    "not_processed.petition": any_of("信访举报", "举报投诉", "信访"),
    "not_processed.duplicate": any_of("重复申请"),
    "not_processed.publication": any_of("公开出版物"),
    "not_processed.excessive": any_of("大量反复", "无正当理由大量"),
    "not_processed.confirm_reissue": any_of("重新出具", "确认或重新"),
    "other.no_correction": any_of("逾期不补正", "不补正"),
    "other.unpaid_fee": any_of("缴纳费用", "收费通知"),
    # "3.其他" only counts when it stands alone as a label (not 其他处理/其他法律/其他结果/其他 column).
    "other.other": r"(?<![\u4e00-\u9fff])3\s*[.、]\s*" + keyword("其他") + r"(?![\u4e00-\u9fff])",
    "other": r"\(\s*六\s*\)\s*" + keyword("其他处理") + r"|(?<![\u4e00-\u9fff])" + keyword("其他处理"),
    "total_handled": r"\(\s*七\s*\)\s*" + keyword("总计") + r"|七\s*[)、]\s*" + keyword("总计"),
    "carried_forward": any_of("结转下年度", "转下年度继续", "结转下一年度"),
}

# A label wrapped by a PDF text layer at its cell's width continues on the next line with a fragment of
# words and no numbering ("5.要求行政机关确认或重新出具已获取\n信息 0 0 0"): Chinese text that does not
# open a row of its own (no "1."/"（五）"/"四、" numbering), followed by the row's numbers or another break.
# The group label's own wrapped fragment may share that line ("他处理 机关不再处理其政府信息公开申请 1 1 0").
WRAPPED_LABEL_FRAGMENT = (r"(?![一二三四五六七八九十]+\s*、)[\u4e00-\u9fff][\u4e00-\u9fff、，,；“”\" ]*?"
                          r"(?=[ \t]*(?:\d|\n|$))")

# --- Part 二 row labels -----------------------------------------------------------------------------
PROACTIVE_LABELS: dict[str, str] = {
    "regulations": r"(?<!政府)(?<!部门)" + keyword("规章") + r"(?!制度)",
    "normative_documents": any_of("行政规范性文件", "规范性文件"),
    "licensing": any_of("行政许可"),
    "other_services": any_of("其他对外管理服务事项", "对外管理服务"),
    "punishment": any_of("行政处罚"),
    "coercion": any_of("行政强制"),
    "fees": any_of("行政事业性收费"),
    "procurement": any_of("政府集中采购"),
}

# Column headers of the part 四 table: without its heading, the table is looked for by these words only.
APPEALS_HEADER = any_of("结果维持", "结果纠正", "尚未审结", "未经复议直接起诉", "复议后起诉")

# Part 四 laid out as labelled rows: one row per group (5 cells) or, transposed, one row per result (3 cells).
APPEAL_GROUP_LABELS: dict[str, str] = {
    "review": any_of("行政复议"),
    "litigation_direct": any_of("未经复议直接起诉", "直接起诉"),
    "litigation_after_review": any_of("复议后起诉"),
}
APPEAL_COLUMN_LABELS: dict[str, str] = {
    "upheld": any_of("结果维持", "维持"),
    "corrected": any_of("结果纠正", "纠正"),
    # "其他" alone only as the whole label cell: a row per result headed "维持/纠正/其他/尚未审结/总计"
    "other": any_of("其他结果") + "|" + keyword("其他") + r"(?![\u4e00-\u9fff])",
    "pending": any_of("尚未审结"),
    "total": any_of("总计", "合计"),
}

# A group row may open with the cell of the header spanning the two litigation rows:
# "行政诉讼 | 未经复议直接起诉 | 0 | …" then "复议后起诉 | 0 | …".
APPEAL_ROW_PREFIX = keyword("行政诉讼")

# Header keywords that tell the two formats apart (national formats of 2019 and 2021).
FORMAT_2021_HEADERS = any_of("本年制发件数", "本年度制发件数", "本年废止件数", "本年度废止件数", "本年度止件数",
                             "现行有效件数", "本年处理决定数量", "本年度处理决定数量", "本年收费金额", "本年度收费金额")
FORMAT_2019_HEADERS = any_of("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量",
                             "采购项目数量", "其他对外管理服务事项", "政府集中采购")

# --- Title, year, dates ------------------------------------------------------------------------------
# What a report's title calls the subject: 政府信息公开 mostly, also 信息公开 and 政务公开 alone
# ("…科学技术局2019年度信息公开报告", "…2020年政务公开工作年度报告").
_TITLE_SUBJECT = r"(?:(?:政\s*府\s*)?信\s*息|政\s*务)\s*公\s*开"
TITLE = re.compile(
    r"(?P<pre>[^\n。]{0,60}?)(?P<year>(?:19|20)\d{2})\s*年\s*度?\s*(?P<mid>[^\n。\d]{0,40}?)"
    + _TITLE_SUBJECT
    # "…工作的年度报告": "盐边县某镇人民政府关于2021年度政府信息公开工作的年度报告"
    + r"(?:\s*工\s*作)?\s*(?:的\s*)?(?:年\s*度\s*)?(?:工\s*作\s*)?(?:报\s*告|年\s*报)"
)
# The year after the subject: "重庆市某区外事办公室政府信息公开工作2022年度报告" (same groups, `mid` empty).
TITLE_YEAR_AFTER = re.compile(
    r"(?P<pre>[^\n。]{0,60}?)" + _TITLE_SUBJECT
    + r"\s*工\s*作\s*(?P<year>(?:19|20)\d{2})\s*年\s*度?\s*(?P<mid>)(?:报\s*告|年\s*报)"
)
# No year at all, the title alone on its line: "湘桥区教育局政府信息公开工作年度报告" (the year is then read elsewhere).
TITLE_NO_YEAR = re.compile(
    r"^(?P<pre>[^\n。，,:：;；]{2,40}?)(?P<year>)(?P<mid>)" + _TITLE_SUBJECT
    + r"\s*工\s*作\s*(?:年\s*度\s*)?(?:报\s*告|年\s*报)$", re.M
)
# Each title shape with, for the rare ones, a quick test of whether the block can hold it at all: a scan
# with the 60-character `pre` tried at every position costs milliseconds per page.
TITLES: tuple[tuple[re.Pattern[str], re.Pattern[str] | None], ...] = (
    (TITLE, None),
    (TITLE_YEAR_AFTER, re.compile(r"作\s*(?:19|20)\d{2}\s*年")),  # a literal first character: a fast scan
    (TITLE_NO_YEAR, None),
)
STATISTICS_PERIOD = re.compile(r"(?:统计期限|统计周期|统计时限)[^\n。]{0,6}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
CN_DATE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
# The same date in Chinese numerals, as some agencies sign: "二〇二四年一月十五日".
CN_NUMERAL_DATE = re.compile(r"(二\s*[〇○零O]\s*[〇○零O一二三四五六七八九]\s*[〇○零O一二三四五六七八九])\s*年"
                             r"\s*([一二三四五六七八九十]{1,2})\s*月\s*([一二三四五六七八九十]{1,3})\s*日")
CN_NUMERALS = {"〇": 0, "○": 0, "零": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
               "八": 8, "九": 9}
# The date a page shows for itself. Each pattern's three groups are year, month and day.
_YMD = r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)"
_NOT_PERIOD = r"(?!\s*日?\s*(?:至|到|起|—|~|～|－))"  # "时间：2021年1月1日至12月31日" is a period
_CLOCK = r"(?:\s*日)?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?"
PAGE_DATE = re.compile(r"(?:发布|公开|成文|印发|生成|发文)(?:时间|日期)\s*[:：]?\s*" + _YMD + _NOT_PERIOD)
# Shorter forms, trusted only in the page's head (before the report's first heading): a bare "时间：" or
# "日期：" (not 统计时间, 截止日期, 办理时间, 当前日期…), or the date beside the source ("2024-01-31 来源：",
# "来源：某局 2024-01-31").
PAGE_DATE_NEAR: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?<![计止理复请议动放前])(?:时间|日期)\s*[:：]\s*" + _YMD + _NOT_PERIOD),
    re.compile(_YMD + _CLOCK + r"\s*(?:信息来源|来源|发布机构|作者|浏览|点击|阅读|字号)"),
    re.compile(r"(?:信息来源|来源|发布机构)\s*[:：][^\d\n]{1,40}?" + _YMD),
)
# Where a page's head ends: the report's first heading.
REPORT_START = re.compile(r"[一1]\s*[、.．]\s*(?:总体|概述|基本情况|工作概述)")
# Words that lead into a title without being part of the agency ("现将北坡镇2022年…", "特编制湛江市…").
AGENCY_LEAD = re.compile(r"^(?:现公开|现将|现向社会公布|现予公布|现公布|特编制|编制|制定|关于|转发|印发|公布|发布)+")
# The joined head glues a heading before the lead-in ("一、总体情况现将我镇…"): what the lead-in words that
# never occur inside a name (现…/特编制) follow is not the agency.
# An earlier title glued before it in the joined head ("政府信息公开工作年度报告广州市统计局2023年…", a
# breadcrumb or column name above the title): no agency name holds 报告 or 年报.
AGENCY_LEAD_INSIDE = re.compile(r"^.*(?:现公开|现将|现向社会公布|现予公布|现公布|特编制|报告|年报)")
# …and the word that joins it to the title ("某镇人民政府关于2021年度…").
AGENCY_TRAIL = re.compile(r"关于$")
# "现将我镇2023年度…报告如下": the report speaking of itself names no agency.
# …nor does the head of the subject itself, left over when a title without agency or year
# ("政府信息公开工作年度报告") is split into `pre` + subject.
AGENCY_PRONOUN = re.compile(r"^(?:[我本](?:镇|乡|局|委|办|区|县|市|街道|单位|机关|部门|中心|院|厅|署|所|站|会)"
                            r"|(?:人民)?政[府务])$")
# Words before a title that make it a notice about reports, not a report: "关于做好2020年…年度报告…的通知".
# "关于" right before the year opens a report's own title ("某镇人民政府关于2021年度…工作的年度报告").
NOTICE_TITLE = re.compile(r"关于(?!$)|转发|印发")
# …and words after it: "关于2020年政府信息公开工作年度报告有关事项的通知".
NOTICE_AFTER = re.compile(r"[^\n。《]{0,16}?通\s*知")
# A signature line: an agency name alone on the line above the closing date ("桃江县松木塘镇人民政府").
SIGNATURE_AGENCY = re.compile(
    r"[\u4e00-\u9fff()（）]{2,40}?(?:人民政府|办公室|办公厅|委员会|局|委|办|厅|署|院|中心|街道办事处|管理处|管委会|镇|乡|街道)"
)
# Words that end an agency name; used to trim noise before the name in a title.
AGENCY_NOISE = re.compile(r"^(?:.*?(?:标题|题目|当前位置|首页|正文|_GoBack\]|\]))\s*[:：>»]?\s*")

# --- Claims in part 一 checked against table three (text_vs_table) ----------------------------------
# Each claim: a regex whose group "n" is a count (件) and optional group "pct" a percentage, and the
# table rows (summed, total column) it states. Ordered: longer phrases first, their spans are consumed.
NUM = r"(?P<n>\d[\d,]*)\s*(?:件|个|条)"
PCT = r"(?:[^\d。；;]{0,8}?(?P<pct>\d+(?:\.\d+)?)\s*%)?"
CLAIMS: list[tuple[str, tuple[str, ...]]] = [
    (keyword("予以公开") + r"(?:和|及|与|、)" + keyword("部分公开") + r"[^\d。；;]{0,12}?" + NUM + PCT,
     ("granted", "partially_granted")),
    (r"(?:共|累计|全年|总计)?\s*(?:受理|收到|新收)[^\d。；;]{0,16}?" + keyword("申请") + r"[^\d。；;]{0,4}?" + NUM,
     ("new_received",)),
    (r"(?:上年度?|上一年度?)\s*结转[^\d。；;]{0,6}?" + NUM, ("carried_over",)),
    (r"(?:答复|办结|办理完成)[^\d。；;]{0,12}?" + keyword("申请") + r"[^\d。；;]{0,4}?" + NUM, ("total_handled",)),
    (r"(?<!不)" + keyword("予以公开") + r"[^\d。；;]{0,10}?" + NUM + PCT, ("granted",)),
    (keyword("部分公开") + r"[^\d。；;]{0,10}?" + NUM + PCT, ("partially_granted",)),
    (keyword("不予公开") + r"[^\d。；;]{0,10}?" + NUM + PCT, ("refused",)),
    (keyword("无法提供") + r"[^\d。；;]{0,10}?" + NUM + PCT, ("unable",)),
    (keyword("不予处理") + r"[^\d。；;]{0,10}?" + NUM + PCT, ("not_processed",)),
]
# A claim about a wider scope than the agency's own table ("全年全区共受理申请公开800件，区政府本级共受理206件"):
# a district's report often sums up every office of the district in part 一, so it is not compared.
CLAIM_SCOPE = re.compile(r"全(?:区|县|市|州|盟|旗|省|镇|乡|街道|系统)|各(?:级|部门|单位|乡镇|镇街|街道|县|区)|镇街")
CLAIM_SCOPE_LOOKBACK = 16  # characters before a claim, within its clause, that may name its scope
APPEAL_CLAIMS: list[tuple[str, tuple[str, ...]]] = [
    (keyword("行政复议") + r"[^\d。；;，,]{0,6}?" + NUM, ("review",)),
    (keyword("行政诉讼") + r"[^\d。；;，,]{0,6}?" + NUM, ("litigation_direct", "litigation_after_review")),
]
