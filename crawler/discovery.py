"""Recognising annual reports and the links that lead to them. Pure functions, keyword tables as data.

The spider asks three questions of every link and page:
- is this title an annual report of open government information (and of which year / agency)?
- is this link a document attachment, a pagination link or a column worth entering?
- does this page need a real browser (an empty list filled by a script)?
and two of the shapes real CMSs give them: where a link really leads (a URL in onclick, a data attribute or a
viewer's query; entries in a Hanweb data island; script pagers) and whether a response is a document.
"""

from __future__ import annotations

import html as html_entities
import re
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl, unquote, unquote_to_bytes, urlencode, urljoin, urlsplit

import lxml.etree
import lxml.html

# Re-exported: the spider and its tests ask `discovery` about titles.
from nianbao.report.titles import TitleKind as TitleKind
from nianbao.report.titles import TitleVerdict as TitleVerdict
from nianbao.report.titles import classify_title as classify_title
from nianbao.report.titles import normalize_text as normalize_text
from nianbao.report.titles import title_agency as title_agency
from nianbao.report.titles import title_year as title_year

# --- titles ----------------------------------------------------------------------------------------
# The title recogniser (report-title patterns, year extraction, Chinese numerals) is the report library's,
# shared with the parser; the crawler asks it of link texts and page titles.


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
# Pager controls that lead one page on (not 尾页: the last page), in the order a browser tries them.
FORWARD_TEXTS = ("下一页", "下页", "后页", ">", ">>", "»", "›")
# Arrows and brackets around pager words: 下一页>, [下一页], 尾页>>, 【末页】.
PAGER_DECORATIONS = "[]【】<>《》«»‹›()（）|"
# Link texts of columns that may hold reports: entered from start pages (within the depth limit).
COLUMN_WORDS = ("年报", "年度报告", "信息公开", "政务公开", "政府信息公开")
# Hanweb (大汉) jpage lists: the entries are CDATA records of an XML data island inside a <script>, which an
# HTML parser does not read; the next group of entries is behind the <nextgroup> link (dataproxy.jsp?page=N).
DATASTORE_MARK = "<recordset"
DATASTORE_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
DATASTORE_NEXT = re.compile(r"<nextgroup>\s*<!\[CDATA\[\s*<a\s[^>]*?href\s*=\s*['\"]([^'\"]+)['\"]", re.S | re.I)
# Static pages: a link to one is never an attachment, whatever its text says.
PAGE_EXTENSIONS = (".html", ".htm", ".shtml", ".xhtml", ".jhtml")
# Link texts that name an attachment without naming its file: 附件 / 附件1 / 附件：… / 下载附件 / 点击下载.
ATTACHMENT_TEXT = re.compile(r"^(?:附件\d*(?:[：:、.．\-]|$)|(?:点击)?下载(?:附件|原文|全文|文件)?$|(?:附件|原文|全文)下载$)")
# Download scripts (/attach/download?fileId=123, getFile.do?id=…): with a query and a report title as text.
DOWNLOAD_PATH = re.compile(r"down|attach|fujian|getfile|showfile|readfile|filestream", re.I)


def url_extension(url: str) -> str:
    path = urlsplit(url).path.lower()
    dot = path.rfind(".")
    return path[dot:] if dot > path.rfind("/") else ""


def query_document_name(url: str) -> str | None:
    """A document named in the query of a download script (downfile.jsp?classid=0&filename=1a2b.pdf)."""
    query = urlsplit(url).query
    if not query:
        return None
    for _key, value in parse_qsl(query):
        if value.lower().endswith(DOCUMENT_EXTENSIONS):
            return value.rsplit("/", 1)[-1]
    return None


def is_document_url(url: str, text: str = "") -> bool:
    """An attachment: by the extension of the URL, of the link text or of a file named in the query; or,
    for a URL that is no static page, by an attachment text (附件1) or a download path named by a report title."""
    extension = url_extension(url)
    if extension in DOCUMENT_EXTENSIONS:
        return True
    norm = normalize_text(text)
    if norm.lower().endswith(DOCUMENT_EXTENSIONS):
        return True
    if extension in PAGE_EXTENSIONS:
        return False
    if query_document_name(url) is not None or ATTACHMENT_TEXT.match(norm):
        return True
    parts = urlsplit(url)
    if not (parts.query and DOWNLOAD_PATH.search(parts.path)):
        return False
    verdict = classify_title(norm)
    return verdict.is_report or verdict.undated


# --- links: where an <a> really leads --------------------------------------------------------------

# hrefs that lead nowhere by themselves: the target is in a script (onclick, javascript:) or an attribute.
PLACEHOLDER_HREFS = ("javascript:", "#")
TARGET_ATTRIBUTES = ("data-href", "data-url", "data-link", "data-src", "data-file", "_href")
# A quoted URL in a script: window.open('./202301/t1.html'), location.href='…', openWin('…'),
# downloadFile('/xx/2023.pdf'), javascript:openDoc('…'). Paths and page/document names only: ids, window
# names ('_blank') and page numbers (goPage(2)) are no URL.
SCRIPT_URL = re.compile(
    r"""['"]((?:https?://|\.{0,2}/)[^'"\s<>]+"""
    r"""|[\w\-.%/]+\.(?:s?html?|jsp|aspx?|php|do|action|pdf|docx?|wps|ofd|txt)(?:\?[^'"\s<>]*)?)['"]""",
    re.I,
)


def placeholder_target(href: str, attribute: Callable[[str], str | None]) -> str | None:
    """Where a link whose href is a script or a placeholder (javascript:void(0), #) leads: a URL in a data
    attribute, in the javascript: href or in onclick. `attribute` reads the link's attributes."""
    for name in TARGET_ATTRIBUTES:
        value = (attribute(name) or "").strip()
        if value and not value.startswith(PLACEHOLDER_HREFS):
            return value
    for script in (href, attribute("onclick") or ""):
        match = SCRIPT_URL.search(script)
        if match:
            return match.group(1)
    return None


# Embedded viewers (pdf.js and its copies) take the document in a query parameter, which pdf.js resolves
# against the viewer's own URL: /pdfjs/web/viewer.html?file=/upload/2023nb.pdf shows /upload/2023nb.pdf.
VIEWER_PATH = re.compile(r"(?:^|/)(?:pdfjs[\w.-]*|pdf\.js)/|viewer\.(?:s?html?|jsp|php|aspx?)$", re.I)
VIEWER_PARAMS = ("file", "url", "src", "pdf", "path", "filepath", "fileurl")


def viewer_document(url: str) -> str:
    """The document a viewer URL shows; any other URL as it is."""
    if "?" not in url:
        return url
    parts = urlsplit(url)
    if not VIEWER_PATH.search(parts.path):
        return url
    for key, value in parse_qsl(parts.query):
        if key.lower() in VIEWER_PARAMS and value.strip():
            return urljoin(url, value.strip())
    return url


# List titles cut short by the template (东莞市统计局2023年政府信息公开...): the whole title is often in a
# title attribute of a child, the parent or a sibling of the link.
TRUNCATION = re.compile(r"\.{2,}|…+|．{2,}|。{3}")
MIN_TRUNCATED_STEM = 4


def untruncated(text: str, titles: Iterable[str | None]) -> str:
    """The whole title of a link text cut short: the first of `titles` that continues the visible part
    (never an unrelated title nearby); else the text as it is."""
    match = TRUNCATION.search(text)
    if match is None or match.start() < MIN_TRUNCATED_STEM:
        return text
    stem = text[:match.start()]
    for title in titles:
        full = normalize_text(title)
        if len(full) > len(stem) and full.startswith(stem) and not TRUNCATION.search(full):
            return full
    return text


# --- responses that are documents ------------------------------------------------------------------

# Content types of report documents -> the suffix their file name gets when the URL names none.
DOCUMENT_TYPES = {
    "application/pdf": ".pdf",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-works": ".wps",
    "application/kswps": ".wps",
    "application/wps-office.wps": ".wps",
    "application/ofd": ".ofd",
    "text/plain": ".txt",
}
FILENAME_STAR = re.compile(r"filename\*\s*=\s*([\w-]+)'[^']*'([^;]+)", re.I)
FILENAME_PLAIN = re.compile(rb"filename\s*=\s*\"?([^\";]+)\"?", re.I)
RAW_NAME_ENCODINGS = ("utf-8", "gb18030")  # what servers put in filename="…" unencoded


def _basename(name: str) -> str | None:
    name = name.strip().strip("\"'").replace("\\", "/").rsplit("/", 1)[-1]
    return name or None


def disposition_filename(header: bytes | None) -> str | None:
    """The file name of a Content-Disposition: filename*=UTF-8''%E5… (RFC 6266) first, else filename="…"
    as servers really send it: percent-encoded, raw UTF-8 or raw GBK bytes."""
    if not header:
        return None
    star = FILENAME_STAR.search(header.decode("latin-1"))
    if star:
        try:
            return _basename(unquote(star.group(2).strip().strip('"'), encoding=star.group(1), errors="strict"))
        except (LookupError, UnicodeDecodeError):
            pass  # a charset Python does not know, or bytes that are not in it: try the plain name
    plain = FILENAME_PLAIN.search(header)
    if plain is None:
        return None
    raw = plain.group(1).strip()
    if re.search(rb"%[0-9A-Fa-f]{2}", raw):
        raw = unquote_to_bytes(raw.replace(b"+", b" "))
    for encoding in RAW_NAME_ENCODINGS:
        try:
            return _basename(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    return _basename(raw.decode("latin-1"))


def _mime(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_document_response(content_type: str | None, disposition: bytes | None) -> bool:
    """A response that is a document, not a page: sent as an attachment, or typed as a binary report
    format. Not text/plain alone: servers send pages as text/plain too (the page path reads either). An
    inline disposition naming an .html file is still a page."""
    if disposition:
        lowered = disposition.lower()
        name = (disposition_filename(disposition) or "").lower()
        if lowered.startswith(b"attachment") or name.endswith(DOCUMENT_EXTENSIONS):
            return True
    mime = _mime(content_type)
    return mime in DOCUMENT_TYPES and not mime.startswith("text/")


def document_filename(url: str, disposition: bytes | None = None, content_type: str | None = None,
                      default_ext: str = "") -> str:
    """The file name a fetched document is read under (the readers tell formats apart by their bytes; the
    name breaks ties, e.g. .wps or .txt): the server's, else the one in a download script's query, else the
    URL's last segment, with the suffix of its content type when it has none."""
    name = disposition_filename(disposition) or query_document_name(url)
    if not name:
        name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or "index"
    if "." in name:
        return name
    return name + (DOCUMENT_TYPES.get(_mime(content_type)) or default_ext)


def is_skipped_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme not in ("http", "https") or url_extension(url) in SKIP_EXTENSIONS


def is_pagination_text(text: str) -> bool:
    norm = normalize_text(text)
    return norm in NEXT_PAGE_TEXTS or norm.strip(PAGER_DECORATIONS) in NEXT_PAGE_TEXTS or (
        norm.isdigit() and len(norm) <= 4) or bool(re.fullmatch(r"\[?第?\d{1,4}页?\]?", norm))


def is_column_text(text: str) -> bool:
    norm = normalize_text(text)
    return 0 < len(norm) <= 20 and any(word in norm for word in COLUMN_WORDS)


CREATE_PAGE_HTML = re.compile(r"createPageHTML\(([^()]*)\)")
# Script variables a pager call may name instead of numbers: var countPage = 5//共多少页
SCRIPT_NUMBER_VAR = re.compile(r"\b(?:var|let|const)?\s*([A-Za-z_$][\w$]*)\s*=\s*['\"]?(\d{1,6})['\"]?\s*[;,\n/]")
SCRIPT_STRING_VAR = re.compile(r"\b(?:var|let|const)\s+([A-Za-z_$][\w$]*)\s*=\s*['\"]([\w-]+)['\"]")


def create_page_html_urls(html: str, page_url: str, limit: int = 200) -> list[str]:
    """Pages of the TRS pagers: createPageHTML(3, 0, "index", "html") -> index.html, index_1.html,
    index_2.html; createPageHTML('page_div', 10, 1, 'index', 'shtml', 149) -> index.shtml, index_2.shtml …;
    either with script variables for its arguments (createPageHTML(countPage, currentPage, "index", "html")
    after `var countPage = 5`)."""
    urls: list[str] = []
    if "createPageHTML" not in html:
        return urls
    variables = {name: value for name, value in SCRIPT_STRING_VAR.findall(html)}
    variables.update(SCRIPT_NUMBER_VAR.findall(html))
    for match in CREATE_PAGE_HTML.finditer(html):
        args = [_script_value(arg, variables) for arg in match.group(1).split(",")]
        if len(args) >= 5 and not args[0].isdigit() and args[1].isdigit():  # ('div', total, current, stem, ext)
            total, stem, ext, first = int(args[1]), args[3], args[4], 1
        elif len(args) >= 4 and args[0].isdigit():  # (total, current, stem, ext)
            total, stem, ext, first = int(args[0]), args[2], args[3], 0
        else:
            continue
        if not re.fullmatch(r"[\w-]+", stem) or not re.fullmatch(r"\w+", ext):
            continue
        for n in range(first, first + min(total, limit)):
            urls.append(urljoin(page_url, f"{stem}.{ext}" if n == first else f"{stem}_{n}.{ext}"))
    return list(dict.fromkeys(urls))


def _script_value(argument: str, variables: dict[str, str]) -> str:
    """An argument of a script call as text: a literal without its quotes, or the value of a variable."""
    text = argument.strip().strip("'\"").strip()
    return variables.get(text, text)


# Hanweb (大汉) lists that load their entries by POST: jpage({proxyUrl: '…/dataproxy.jsp', ajaxParam: {col:1,
# appid:1, webid:…, columnid:…, unitid:…, webname:…, …}}). The proxy answers XML records (DATASTORE_RECORD).
DATAPROXY_PATH = "/module/web/jpage/dataproxy.jsp"
DATAPROXY_PARAMS = ("col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid", "webname",
                    "permissiontype")
DATAPROXY_RECORDS = 300  # entries asked in one go (startrecord=1&endrecord=300): years of a report column


def dataproxy_urls(html: str, page_url: str) -> list[str]:
    """The Hanweb proxy query of a list page whose entries come by POST, as a URL whose query holds the
    form (the spider sends it as the POST body); [] when the page has none."""
    if "dataproxy.jsp" not in html or "columnid" not in html or DATASTORE_MARK in html:
        return []  # a data island holds the entries itself; its next group is a plain GET link
    params: dict[str, str] = {}
    for name in DATAPROXY_PARAMS:
        match = re.search(rf"['\"]?\b{name}['\"]?\s*:\s*['\"]?([^'\",}}&\s]*)['\"]?", html)
        if match:
            params[name] = html_entities.unescape(match.group(1))
    if not params.get("columnid"):
        return []
    query = urlencode({"startrecord": 1, "endrecord": DATAPROXY_RECORDS, "perpage": DATAPROXY_RECORDS, **params})
    return [urljoin(page_url, f"{DATAPROXY_PATH}?{query}")]


def is_dataproxy_post(url: str) -> bool:
    """A Hanweb proxy query made by dataproxy_urls: sent as POST (the proxy answers nothing to GET)."""
    parts = urlsplit(url)
    return parts.path.endswith(DATAPROXY_PATH) and parts.query.startswith("startrecord=") and "columnid=" in parts.query


def datastore_records(html: str) -> str:
    """The entries of a Hanweb data island as one HTML fragment ("" when the page has none)."""
    if DATASTORE_MARK not in html:
        return ""
    return "\n".join(DATASTORE_RECORD.findall(html))


def datastore_next_urls(html: str, page_url: str) -> list[str]:
    """The next group of a Hanweb data island (its <nextgroup> link), as an absolute URL."""
    if DATASTORE_MARK not in html:
        return []
    return [urljoin(page_url, html_entities.unescape(href.strip())) for href in DATASTORE_NEXT.findall(html)]


def script_pager_urls(html: str, page_url: str, limit: int = 200) -> list[str]:
    """List pages that only scripts link to: TRS createPageHTML pagers, Hanweb next groups and proxy queries."""
    return (create_page_html_urls(html, page_url, limit) + datastore_next_urls(html, page_url)[:limit]
            + dataproxy_urls(html, page_url))


# Script pagers that name no URL: <a href="javascript:goPage(2)">2</a>, onclick="turnPage(3)" on a 下一页 button.
# Only a browser can tell where they lead (an XHR that rewrites the list, a URL computed from variables).
SCRIPT_CALL = re.compile(r"[A-Za-z_$][\w$.]*\s*\(")
PAGER_CONTROLS = "//a | //*[@onclick] | //button | //input[@type='button' or @type='submit']"


def is_script_pager_control(text: str, href: str, onclick: str) -> bool:
    """A pager control (下一页, a page number) whose target is a script call naming no URL."""
    norm = normalize_text(text)
    if not is_pagination_text(norm) or (norm.isdigit() and len(norm) > 3):
        return False  # 2023: a year tab (changeYear(2023)), not a page number
    href = href.strip()
    if href and not href.startswith(PLACEHOLDER_HREFS):
        return False  # a real link: the static reading follows it
    scripts = (href.removeprefix("javascript:"), onclick)
    return any(SCRIPT_CALL.search(s) for s in scripts) and not any(SCRIPT_URL.search(s) for s in scripts)


def has_script_pager(root: lxml.html.HtmlElement) -> bool:
    """The page has a pager only a script can follow (asked only when the static reading found no next page)."""
    for element in root.xpath(PAGER_CONTROLS):
        text = element.get("value") if element.tag == "input" else element.text_content()
        if is_script_pager_control(text or "", element.get("href") or "", element.get("onclick") or ""):
            return True
    return False


# --- pages -----------------------------------------------------------------------------------------

SCRIPT_FETCH = re.compile(r"\$\.(?:ajax|get|post|getJSON)|fetch\(|XMLHttpRequest|axios|\.json\b|/api/", re.I)
CAPTCHA_WORDS = ("验证码", "captcha", "安全验证", "滑动验证", "人机验证", "访问验证", "请开启JavaScript",
                 "请启用JavaScript", "challenge", "waf", "防火墙拦截", "访问被拒绝")


def page_needs_render(html: str, useful_links: int) -> bool:
    """`render: auto`: a page with no useful link whose scripts fetch data builds its list in the browser."""
    return useful_links == 0 and bool(SCRIPT_FETCH.search(html))


# A challenge page says little: a line or two around a form or a script. A report page says thousands of
# characters; a captcha field in its comment form (留言 验证码) does not make it a challenge.
CHALLENGE_MAX_TEXT = 600


def visible_text_length(html: str) -> int:
    """Characters a reader sees (no tags, scripts, styles, comments, spaces)."""
    try:
        root = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return 0  # nothing an HTML parser can read: nothing a reader sees either
    lxml.etree.strip_elements(root, "script", "style", lxml.etree.Comment, with_tail=False)
    return len(normalize_text(root.text_content()))


def challenge_kind(status: int, html: str) -> str:
    """What kind of anti-bot answer a blocked page is, for the site error an overseer reads."""
    lowered = html[:20000].lower()
    if any(word.lower() in lowered for word in ("验证码", "captcha", "滑动验证", "人机验证")):
        return "验证码页面 (captcha)"
    if status in (412, 521):
        return f"Cookie/JS 质询 (HTTP {status} cookie challenge)"
    if status == 202:
        return "JS 等待页 (HTTP 202 challenge)"
    return f"访问被拒绝 (HTTP {status})"


def looks_like_challenge(status: int, html: str) -> bool:
    """Anti-bot answers: 412/521 challenge pages, 202 'please wait' pages, and short captcha pages with
    no report content. Never a long page (a report) because a captcha word appears somewhere in it."""
    if status in (412, 521, 403, 429):
        return True
    lowered = html[:20000].lower()
    if status == 202 and ("<script" in lowered or len(lowered) < 2000):
        return True
    if not any(word.lower() in lowered for word in CAPTCHA_WORDS) or lowered.count("<a ") >= 5:
        return False
    return visible_text_length(html[:100000]) <= CHALLENGE_MAX_TEXT  # the head is enough to tell
