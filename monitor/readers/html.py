"""HTML pages: find the report inside the site's page template and flatten it to lines.

The report is usually an article inside a template (navigation, breadcrumbs, sidebars, footer). We drop
obvious noise, then descend from <body> into the child that still holds most of the non-link text and
every report table: what is left is the article. Paragraphs become lines; leaf tables become TAB rows
(rowspan/colspan laid out once); tables that contain tables are layout and are walked like <div>s.
"""

from __future__ import annotations

import re
from datetime import date

from lxml import etree

from monitor.readers import Document, UnreadableDocument
from monitor.readers.grid import SpanCell, clean_cell, clean_line, grid_lines, to_grid
from monitor.readers.text import decode_text

_NOISE_TAGS = ("script", "style", "noscript", "iframe", "nav", "header", "footer", "form", "select", "button",
               "svg", "object", "embed", "template")
_BLOCK_TAGS = frozenset(["p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "section", "article", "main", "aside", "blockquote", "pre", "center", "address", "figure", "figcaption", "caption", "tr", "tbody", "thead", "tfoot", "body", "html"])
# Words found in the report tables of both formats: a table holding one is part of the report.
TABLE_LABELS = ("本年新收", "信息内容", "行政复议", "予以公开", "申请人情况", "本年制发", "本年新制作",
                "处理决定数量", "结果维持")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_DATE_META = ("pubdate", "publishdate", "firstpublishedtime", "articlepubdate", "article:published_time",
              "dc.date", "dc.date.issued", "dcterms.issued", "createdate", "date")
_TITLE_META = ("articletitle", "og:title", "title", "dc.title")
_DATE_TEXT = re.compile(
    r"(?:发布|公开|成文|印发|生成)(?:时间|日期)\s*[:：]?\s*"
    r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})"
)
_ANY_DATE = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
# Share of the page's non-link text the chosen content element must keep.
_CONTENT_SHARE = 0.7
# Plain lxml elements: lxml.html's element classes cost a Python lookup per node visited.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True)
_WHITESPACE = re.compile(r"\s+")
_SPAN_NUMBER = re.compile(r"\s*(\d+)")


def text_content(element: etree._Element) -> str:
    return etree.tostring(element, method="text", encoding=str, with_tail=False)


def read_html(data: bytes) -> Document:
    text = decode_text(data, declared_charset(data))
    text = _XML_DECL.sub("", unescape_js_string(text), count=1)
    try:
        root = etree.fromstring(text, _PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise UnreadableDocument(f"cannot parse HTML: {exc}") from exc
    if root is None:
        raise UnreadableDocument("HTML page without text")
    page_date = find_page_date(root)
    page_title = find_page_title(root)
    for bad in list(root.iter(*_NOISE_TAGS)):
        if bad.getparent() is not None:
            drop_tree(bad)
    body = root.find("body")
    content, headings = find_content(body if body is not None else root)
    lines = headings + _flatten(content)
    if not any(lines):
        raise UnreadableDocument("HTML page without text")
    return Document(text="\n".join(lines), source_format="html", page_date=page_date, page_title=page_title)


def drop_tree(element: etree._Element) -> None:
    """Remove an element and its children, keeping the text that follows it (its tail)."""
    parent = element.getparent()
    assert parent is not None
    if element.tail:
        previous = element.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + element.tail
        else:
            previous.tail = (previous.tail or "") + element.tail
    parent.remove(element)


def declared_charset(data: bytes) -> str | None:
    head = data[:4096]
    match = _CHARSET.search(head) or _XML_ENCODING.search(head)
    return match.group(1).decode("ascii") if match else None


def unescape_js_string(text: str) -> str:
    """HTML copied out of a JS string literal has \\" for quotes (and \\/, \\n): undo that."""
    if text.count('\\"') < 4 or text.count('\\"') < text.count('"') // 2:
        return text
    return text.replace('\\"', '"').replace("\\/", "/").replace("\\n", "\n").replace("\\t", " ")


# --- main content ----------------------------------------------------------------------------------

def find_content(body: etree._Element) -> tuple[etree._Element, list[str]]:
    """The deepest element keeping most of the text and every report table, and the headings
    (h1-h3) met on the way down before it: the article's title usually sits just above its body."""
    report_tables = [t for t in body.iter("table") if _is_report_table(t)]
    total = _text_size(body)
    node, headings = body, []
    while True:
        sized = [(_text_size(child), child) for child in node if isinstance(child.tag, str)]
        size, best = max(sized, key=lambda pair: pair[0], default=(0, None))
        if best is None or size < _CONTENT_SHARE * total:
            return node, headings
        if any(not _contains(best, table) for table in report_tables):
            return node, headings
        for child in node:
            if child is best:
                break
            if child.tag in ("h1", "h2", "h3") and clean_line(text_content(child)):
                headings.append(clean_line(text_content(child)))
        node = best


def _text_size(element: etree._Element) -> int:
    """Non-space characters of the non-link text under an element: links are navigation."""
    size = _non_space(text_content(element))
    return size - sum(_non_space(text_content(link)) for link in element.iter("a"))


def _non_space(text: str) -> int:
    return len(_WHITESPACE.sub("", text))


def _is_report_table(table: etree._Element) -> bool:
    if table.find(".//table") is not None:
        return False
    text = text_content(table)
    return any(label in text for label in TABLE_LABELS)


def _contains(ancestor: etree._Element, element: etree._Element) -> bool:
    node: etree._Element | None = element
    while node is not None:
        if node is ancestor:
            return True
        node = node.getparent()
    return False


# --- flattening ------------------------------------------------------------------------------------

def _flatten(content: etree._Element) -> list[str]:
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = clean_line("".join(current))
        if line:
            lines.append(line)
        current.clear()

    def walk(element: etree._Element) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag == "table" and element.find(".//table") is None:
            flush()
            lines.extend(grid_lines(to_grid(table_rows(element))))
        elif tag == "br":
            flush()
        else:
            block = tag in _BLOCK_TAGS or tag in ("table", "td", "th")
            if block:
                flush()
            current.append(element.text or "")
            for child in element:
                walk(child)
                current.append(child.tail or "")
            if block:
                flush()

    walk(content)
    flush()
    return lines


def table_rows(table: etree._Element) -> list[list[SpanCell]]:
    rows: list[list[SpanCell]] = []
    for tr in table.iter("tr"):
        cells = [
            SpanCell(_cell_text(td), _span(td.get("rowspan")), _span(td.get("colspan")))
            for td in tr
            if td.tag in ("td", "th")
        ]
        rows.append(cells)
    return rows


def _cell_text(td: etree._Element) -> str:
    single = _single_piece(td)
    if single is not None:
        return clean_cell([single])
    pieces: list[str] = []
    current: list[str] = []

    def walk(element: etree._Element) -> None:
        if element.tag == "br" or element.tag in _BLOCK_TAGS:
            pieces.append("".join(current))
            current.clear()
        if element.tag != "br":
            current.append(element.text or "")
        for child in element:
            walk(child)
            current.append(child.tail or "")

    walk(td)
    pieces.append("".join(current))
    return clean_cell(pieces)


def _single_piece(td: etree._Element) -> str | None:
    """The cell's text when it is one piece (no line break inside): most cells, read without a walk."""
    if len(td) == 0:
        return td.text or ""
    block = None
    for element in td.iterdescendants():
        if element.tag == "br" or block is not None and element.tag in _BLOCK_TAGS:
            return None
        if element.tag in _BLOCK_TAGS:
            block = element
    whole = text_content(td)
    if block is None:
        return whole
    # one block (Word's <td><p><span>): one piece if nothing but spaces lies outside it
    inner = text_content(block)
    return inner if whole.strip() == inner.strip() else None


def _span(value: str | None) -> int:
    if value is None:
        return 1
    match = _SPAN_NUMBER.match(value)
    return int(match.group(1)) if match else 1


# --- page metadata ---------------------------------------------------------------------------------

def find_page_date(root: etree._Element) -> str | None:
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").lower()
        if name in _DATE_META:
            found = _iso(_ANY_DATE.search(meta.get("content") or ""))
            if found:
                return found
    body = root.find("body")
    text = text_content(body if body is not None else root)
    return _iso(_DATE_TEXT.search(text))


def find_page_title(root: etree._Element) -> str | None:
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").lower()
        if name in _TITLE_META and clean_line(meta.get("content") or ""):
            return clean_line(meta.get("content") or "")
    for tag in ("h1", "title", "h2"):
        element = root.find(f".//{tag}")
        if element is not None and clean_line(text_content(element)):
            return clean_line(text_content(element))
    return None


def _iso(match: re.Match[str] | None) -> str | None:
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3))).isoformat()
    except ValueError:
        return None
