"""What the parser looks for, as data: headings, row labels and their variants, header keywords, claims.

Every pattern is written against NFKC-normalised text (full-width brackets and digits already folded to
ASCII). `keyword()` turns a plain keyword into a regex that tolerates stray whitespace between characters
("不 予 公 开", "总 计"), which PDF and Word conversions insert everywhere.
"""

from __future__ import annotations

import re

from nianbao.report import vocabulary as V
from nianbao.report.vocabulary import any_of, keyword

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
# Row key -> regex of its distinctive keyword(s); the patterns, like every row's label, group and order, are
# data of the vocabulary (report/vocabulary.py).
APPLICATION_LABELS: dict[str, str] = V.patterns(V.APPLICATION_ROWS)

# A label wrapped by a PDF text layer at its cell's width continues on the next line with a fragment of
# words and no numbering ("5.要求行政机关确认或重新出具已获取\n信息 0 0 0"): Chinese text that does not
# open a row of its own (no "1."/"（五）"/"四、" numbering), followed by the row's numbers or another break.
# The group label's own wrapped fragment may share that line ("他处理 机关不再处理其政府信息公开申请 1 1 0").
WRAPPED_LABEL_FRAGMENT = (r"(?![一二三四五六七八九十]+\s*、)[\u4e00-\u9fff][\u4e00-\u9fff、，,；“”\" ]*?"
                          r"(?=[ \t]*(?:\d|\n|$))")

# --- Part 二 row labels -----------------------------------------------------------------------------
PROACTIVE_LABELS: dict[str, str] = V.patterns(V.PROACTIVE_ROWS)

# Column headers of the part 四 table: without its heading, the table is looked for by these words only.
APPEALS_HEADER = any_of("结果维持", "结果纠正", "尚未审结", "未经复议直接起诉", "复议后起诉")

# Part 四 laid out as labelled rows: one row per group (5 cells) or, transposed, one row per result (3 cells).
APPEAL_GROUP_LABELS: dict[str, str] = V.patterns(V.APPEAL_GROUPS)
APPEAL_COLUMN_LABELS: dict[str, str] = V.patterns(V.APPEAL_COLUMNS)

# A group row may open with the cell of the header spanning the two litigation rows:
# "行政诉讼 | 未经复议直接起诉 | 0 | …" then "复议后起诉 | 0 | …".
APPEAL_ROW_PREFIX = keyword("行政诉讼")

# Header keywords that tell the two formats apart (national formats of 2019 and 2021).
FORMAT_2021_HEADERS = any_of("本年制发件数", "本年度制发件数", "本年废止件数", "本年度废止件数", "本年度止件数",
                             "现行有效件数", "本年处理决定数量", "本年度处理决定数量", "本年收费金额", "本年度收费金额")
FORMAT_2019_HEADERS = any_of("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量",
                             "采购项目数量", "其他对外管理服务事项", "政府集中采购")

# --- Year, dates, agency (title phrases and Chinese numerals: report/titles.py) --------------------
STATISTICS_PERIOD = re.compile(r"(?:统计期限|统计周期|统计时限)[^\n。]{0,6}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
CN_DATE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
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
