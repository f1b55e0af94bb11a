"""Recognising annual reports and the links that lead to them. Pure functions, keyword tables as data.

The spider asks three questions of every link and page:
- is this title an annual report of open government information (and of which year / agency)?
- is this link a document attachment, a pagination link or a column worth entering?
- does this page need a real browser (an empty list filled by a script)?
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urljoin, urlsplit

# --- titles ----------------------------------------------------------------------------------------


class TitleKind(StrEnum):
    REPORT = "report"
    NOTICE = "notice"  # 关于做好…年度报告编制工作的通知
    PLAN = "plan"  # 工作要点, 工作计划
    COMMENTARY = "commentary"  # 解读, 图解: about a report, not the report
    OTHER = "other"


# A report title names open government information (信息公开 / 政务公开) and a report (报告 / 年报).
REPORT_SUBJECT = re.compile(r"(政府|政务)?信息公开|政务公开")
REPORT_WORD = re.compile(r"年度报告|年报|工作报告|报告")

# Checked before the report pattern: these titles mention the report but are something else.
REJECT_RULES: tuple[tuple[TitleKind, re.Pattern[str]], ...] = (
    (TitleKind.NOTICE, re.compile(r"通知|通报|函$|公告|编制工作|报送|做好|征集|意见")),
    (TitleKind.PLAN, re.compile(r"工作要点|工作计划|实施方案|工作方案|任务分工")),
    (TitleKind.COMMENTARY, re.compile(r"解读|图解|一图读懂|问答|新闻发布")),
)

_CN_DIGITS = {"〇": "0", "○": "0", "零": "0", "O": "0", "一": "1", "二": "2", "三": "3", "四": "4",
              "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
YEAR_ARABIC = re.compile(r"((?:19|20)\d{2})\s*年")
YEAR_CHINESE = re.compile(r"([二][〇○零O一二三四五六七八九]{3})\s*年")
# The agency is what precedes the year or the report words, e.g. 东莞市统计局2020年… or 2021年广州市统计局政府…
AGENCY_BEFORE_YEAR = re.compile(r"^\s*([\u4e00-\u9fff（）()]{2,30}?)\s*(?:(?:19|20)\d{2}|[二][〇○零一二三四五六七八九]{3})\s*年")
AGENCY_AFTER_YEAR = re.compile(r"年度?\s*([\u4e00-\u9fff（）()]{2,30}?)\s*(?:政府|政务)?信息公开")
AGENCY_SUFFIXES = ("局", "委", "委员会", "办", "办公室", "厅", "院", "政府", "区", "县", "市", "中心", "所", "署", "会")


@dataclass(frozen=True)
class TitleVerdict:
    kind: TitleKind
    year: int | None
    agency: str | None

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
        return int("".join(_CN_DIGITS[c] for c in match.group(1)))
    return None


def title_agency(title: str) -> str | None:
    """The agency named by a report title, if it names one (most do, list titles often do not)."""
    text = normalize_text(title)
    for pattern in (AGENCY_BEFORE_YEAR, AGENCY_AFTER_YEAR):
        match = pattern.search(text)
        if match and match.group(1).endswith(AGENCY_SUFFIXES) and match.group(1) not in ("政府", "政务"):
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
        return TitleVerdict(TitleKind.OTHER, year, None)
    return TitleVerdict(TitleKind.REPORT, year, title_agency(text))


def text_agency(text: str, max_lines: int = 15) -> str | None:
    """The agency named at the head of a document (its title may be split over two lines)."""
    lines = [normalize_text(line) for line in text.splitlines()]
    lines = [line for line in lines if line][:max_lines]
    for i in range(len(lines)):
        for candidate in (lines[i], "".join(lines[i:i + 2])):
            if classify_title(candidate).is_report and (agency := title_agency(candidate)):
                return agency
    return None


# --- agencies --------------------------------------------------------------------------------------

# Words that differ between the way an agency names itself and the way a registry names it.
AGENCY_NOISE = ("中共", "人民政府办公室", "人民政府办公厅", "人民政府")


def _agency_core(name: str) -> str:
    core = normalize_text(name).replace("（", "(").replace("）", ")")
    for noise in AGENCY_NOISE:
        core = core.replace(noise, "")
    return core


def agency_matches(found: str | None, configured: str) -> bool:
    """True when `found` (from a title or a parsed report) can be the configured agency.

    Fuzzy on purpose: 统计局 matches 广州市统计局 (documents often drop the region), but 东莞市统计局 does
    not match 广州市统计局 (two regions named). Unknown (None) matches: the content decides later.
    """
    if not found:
        return True
    a, b = _agency_core(found), _agency_core(configured)
    if not a or not b:
        return True
    # Suffix match: the shorter name drops the region (统计局 / 市统计局 vs 广州市统计局); two names with
    # different regions (东莞市统计局 vs 广州市统计局) never match.
    return a == b or a.endswith(b) or b.endswith(a)


# --- links -----------------------------------------------------------------------------------------

DOCUMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".wps", ".ofd", ".txt")
SKIP_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".svg", ".css", ".js", ".zip", ".rar", ".7z",
                   ".xls", ".xlsx", ".ppt", ".pptx", ".mp4", ".mp3", ".avi", ".flv", ".exe", ".apk", ".ico")
NEXT_PAGE_TEXTS = frozenset({"下一页", "下页", "后页", "尾页", "末页", "最后一页", ">", ">>", "»", "›"})
# Link texts of columns that may hold reports: entered from start pages (within the depth limit).
COLUMN_WORDS = ("年报", "年度报告", "信息公开", "政务公开", "政府信息公开")
CREATE_PAGE_HTML = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([\w-]+)['\"]\s*,\s*['\"](\w+)['\"]"
)


def url_extension(url: str) -> str:
    path = urlsplit(url).path.lower()
    dot = path.rfind(".")
    return path[dot:] if dot > path.rfind("/") else ""


def is_document_url(url: str, text: str = "") -> bool:
    """An attachment: by extension of the URL or, for download scripts, of the link text."""
    if url_extension(url) in DOCUMENT_EXTENSIONS:
        return True
    return normalize_text(text).lower().endswith(DOCUMENT_EXTENSIONS)


def is_skipped_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme not in ("http", "https") or url_extension(url) in SKIP_EXTENSIONS


def is_pagination_text(text: str) -> bool:
    norm = normalize_text(text)
    return norm in NEXT_PAGE_TEXTS or (norm.isdigit() and len(norm) <= 4) or bool(
        re.fullmatch(r"\[?第?\d{1,4}页?\]?", norm)
    )


def is_column_text(text: str) -> bool:
    norm = normalize_text(text)
    return 0 < len(norm) <= 20 and any(word in norm for word in COLUMN_WORDS)


def create_page_html_urls(html: str, page_url: str, limit: int = 200) -> list[str]:
    """Pages of the TRS-style pager: createPageHTML(total, current, "index", "html") -> index_N.html.

    Page 0 is index.html, page n is index_n.html (the convention of TRS WCM and its clones).
    """
    urls: list[str] = []
    for match in CREATE_PAGE_HTML.finditer(html):
        total, _current, stem, ext = int(match.group(1)), match.group(2), match.group(3), match.group(4)
        for n in range(min(total, limit)):
            name = f"{stem}.{ext}" if n == 0 else f"{stem}_{n}.{ext}"
            urls.append(urljoin(page_url, name))
    return urls


def same_site(url: str, domains: set[str]) -> bool:
    """Stays on the agency's own hosts (and their subdomains)."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in domains)


# --- pages -----------------------------------------------------------------------------------------

SCRIPT_FETCH = re.compile(r"\$\.(?:ajax|get|post|getJSON)|fetch\(|XMLHttpRequest|axios|\.json\b|/api/", re.I)
CAPTCHA_WORDS = ("验证码", "captcha", "安全验证", "滑动验证", "人机验证", "访问验证", "请开启JavaScript",
                 "请启用JavaScript", "challenge", "waf", "防火墙拦截", "访问被拒绝")


def page_needs_render(html: str, useful_links: int) -> bool:
    """`render: auto`: a page with no useful link whose scripts fetch data builds its list in the browser."""
    return useful_links == 0 and bool(SCRIPT_FETCH.search(html))


def looks_like_challenge(status: int, html: str) -> bool:
    """Anti-bot answers: 412/521 challenge pages, 202 'please wait' pages, captcha pages."""
    if status in (412, 521, 403, 429):
        return True
    lowered = html[:20000].lower()
    if status == 202 and ("<script" in lowered or len(lowered) < 2000):
        return True
    return any(word.lower() in lowered for word in CAPTCHA_WORDS) and lowered.count("<a ") < 5
