"""Report titles and Chinese numerals: the one recogniser the parser and the crawler share.

Two questions are asked of a title. The crawler asks it of a link's text: is this one report (not a notice,
plan or commentary about reports), of which year, by which agency (`classify_title`). The parser asks it of a
document's head: where does the title phrase stand, so that its year and agency can be read (`TITLES`).
Both speak of the same subject (信息公开 / 政务公开) and read years written in Chinese numerals with the same
table (`CN_NUMERALS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

# --- Chinese numerals ----------------------------------------------------------------------------------
CN_NUMERALS: dict[str, int] = {"〇": 0, "○": 0, "零": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
                               "六": 6, "七": 7, "八": 8, "九": 9}
# The digits as a regex class: "[〇○零O一二三四五六七八九]".
CN_DIGIT = "[" + "".join(CN_NUMERALS) + "]"
_CN_ZERO = "[" + "".join(ch for ch, value in CN_NUMERALS.items() if value == 0) + "]"


def chinese_digits(word: str) -> str:
    """A number written digit by digit ("二〇二四") as Arabic digits ("2024"); other characters are skipped."""
    return "".join(str(CN_NUMERALS[ch]) for ch in word if ch in CN_NUMERALS)


def chinese_count(word: str) -> int:
    """A number written with 十 ("十五" -> 15, "二十一" -> 21, "三十" -> 30, "九" -> 9)."""
    if "十" not in word:
        return CN_NUMERALS.get(word, 0)
    tens, _, units = word.partition("十")
    return (CN_NUMERALS.get(tens, 0) if tens else 1) * 10 + CN_NUMERALS.get(units, 0)


# --- the subject of a report title ---------------------------------------------------------------------
# What a report's title calls the subject: 政府信息公开 mostly, also 信息公开 and 政务公开 alone
# ("…科学技术局2019年度信息公开报告", "…2020年政务公开工作年度报告").
_TITLE_SUBJECT = r"(?:(?:政\s*府\s*)?信\s*息|政\s*务)\s*公\s*开"

# --- title phrases in a document (the parser) ----------------------------------------------------------
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
# Words before a title that make it a notice about reports, not a report: "关于做好2020年…年度报告…的通知".
# "关于" right before the year opens a report's own title ("某镇人民政府关于2021年度…工作的年度报告").
NOTICE_TITLE = re.compile(r"关于(?!$)|转发|印发")
# …and words after it: "关于2020年政府信息公开工作年度报告有关事项的通知".
NOTICE_AFTER = re.compile(r"[^\n。《]{0,16}?通\s*知")
# The date a report is signed with, in Chinese numerals: "二〇二四年一月十五日".
CN_NUMERAL_DATE = re.compile(rf"(二\s*{_CN_ZERO}\s*{CN_DIGIT}\s*{CN_DIGIT})\s*年"
                             r"\s*([一二三四五六七八九十]{1,2})\s*月\s*([一二三四五六七八九十]{1,3})\s*日")

# --- a link's title (the crawler) ----------------------------------------------------------------------


class TitleKind(StrEnum):
    REPORT = "report"
    NOTICE = "notice"  # 关于做好…年度报告编制工作的通知
    PLAN = "plan"  # 工作要点, 工作计划
    COMMENTARY = "commentary"  # 解读, 图解: about a report, not the report
    OTHER = "other"


# A report title names open government information (信息公开 / 政务公开) and a report (报告 / 年报).
REPORT_SUBJECT = re.compile(_TITLE_SUBJECT)
REPORT_WORD = re.compile(r"年度报告|年报|工作报告|报告")

# Checked before the report pattern: these titles mention the report but are something else.
REJECT_RULES: tuple[tuple[TitleKind, re.Pattern[str]], ...] = (
    (TitleKind.NOTICE, re.compile(r"通知|通报|函$|公告|编制工作|报送|做好|征集|意见")),
    (TitleKind.PLAN, re.compile(r"工作要点|工作计划|实施方案|工作方案|任务分工")),
    (TitleKind.COMMENTARY, re.compile(r"解读|图解|一图读懂|问答|新闻发布")),
)

YEAR_ARABIC = re.compile(r"((?:19|20)\d{2})\s*年")
YEAR_CHINESE = re.compile(rf"([二]{CN_DIGIT}{{3}})\s*年")
# The agency is what precedes the year or the report words, e.g. 东莞市统计局2020年… or 2021年广州市统计局政府…
# (a year in Chinese numerals before the agency is written without the Latin O here, as it always was).
AGENCY_BEFORE_YEAR = re.compile(r"^\s*([\u4e00-\u9fff（）()]{2,30}?)\s*(?:(?:19|20)\d{2}|[二][〇○零一二三四五六七八九]{3})\s*年")
AGENCY_AFTER_YEAR = re.compile(r"年度?\s*([\u4e00-\u9fff（）()]{2,30}?)\s*(?:政府|政务)?信息公开")
AGENCY_SUFFIXES = ("局", "委", "委员会", "办", "办公室", "厅", "院", "政府", "区", "县", "市", "中心", "所", "署", "会")
# The head of 政府信息公开…/政务公开… read as if it named an agency: it names none.
NOT_AGENCIES = frozenset({"政府", "政务", "人民政府"})


@dataclass(frozen=True)
class TitleVerdict:
    kind: TitleKind
    year: int | None
    agency: str | None
    # A report title but for the year (政府信息公开工作年度报告): a column of reports, or one report whose
    # year only its text gives (lists that show the year in a date column only). Kind OTHER.
    undated: bool = False

    @property
    def is_report(self) -> bool:
        return self.kind is TitleKind.REPORT


def normalize_text(text: str | None) -> str:
    """Collapse whitespace (titles in lists are often wrapped or padded with full-width spaces)."""
    return re.sub(r"[\s\u3000\xa0]+", "", text or "")


def title_year(title: str) -> int | None:
    text = normalize_text(title)
    match = YEAR_ARABIC.search(text)
    if match:
        return int(match.group(1))
    match = YEAR_CHINESE.search(text)
    if match:
        return int(chinese_digits(match.group(1)))
    return None


def title_agency(title: str) -> str | None:
    """The agency named by a report title, if it names one (most do, list titles often do not)."""
    text = normalize_text(title)
    for pattern in (AGENCY_BEFORE_YEAR, AGENCY_AFTER_YEAR):
        match = pattern.search(text)
        if match and match.group(1).endswith(AGENCY_SUFFIXES) and match.group(1) not in NOT_AGENCIES:
            return match.group(1)
    return None


def classify_title(title: str | None) -> TitleVerdict:
    text = normalize_text(title)
    year = title_year(text) if text else None
    subject, word = bool(REPORT_SUBJECT.search(text)), bool(REPORT_WORD.search(text))
    if not (subject or word):
        return TitleVerdict(TitleKind.OTHER, year, None)
    for kind, pattern in REJECT_RULES:
        if pattern.search(text):
            return TitleVerdict(kind, year, None)
    if not (subject and word) or year is None:
        # Without a year it is a column (政府信息公开年报), not one report.
        return TitleVerdict(TitleKind.OTHER, year, None, undated=subject and word)
    return TitleVerdict(TitleKind.REPORT, year, title_agency(text))
