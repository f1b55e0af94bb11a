"""HTML pages: find the report inside the site's page template and flatten it to lines.

The report is usually an article inside a template (navigation, breadcrumbs, sidebars, footer). We drop
obvious noise (and text no reader sees: <del>, hidden spans and cells), then descend from <body> into the
child that still holds most of the non-link text and every report table: what is left is the article.
Paragraphs become lines; leaf tables become TAB rows (rowspan/colspan laid out once, the caption first);
tables that contain tables are layout and are walked like <div>s, unless rows of their own hold figures.
Tables drawn with <div>s or lists (a row element per row, an element per cell, blank ones too) and CSS
grids are read as tables. Web archives (.mht) are read through their HTML part.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Mapping

from lxml import etree

from nianbao.report.cells import is_number_cell
from nianbao.report.limits import MAX_PICTURES, MIN_PICTURE_SIDE
from nianbao.report.readers import Document, UnreadableDocument
from nianbao.report.readers.grid import (
    SpanCell,
    clean_cell,
    clean_line,
    drop_invisible,
    flow_rows,
    grid_lines,
    to_grid,
)
from nianbao.report.readers.pictures import look, picture_bytes, picture_key, resolve
from nianbao.report.readers.text import decode_text, iso_date, page_date_in_text

# (<del> is text a tracked change removed: Word's "save as HTML" keeps it beside the <ins> that replaced it.)
_NOISE_TAGS = ("script", "style", "noscript", "iframe", "nav", "header", "footer", "form", "select", "button",
               "svg", "object", "embed", "template", "del")
# Text styled display:none that no reader sees: Word's hidden text, a hidden cell or row. Only such small
# elements: a page may hide a whole article until a script shows it.
_HIDDEN = etree.XPath("//*[contains(translate(@style, ' ', ''), 'display:none')]")
_HIDDEN_TAGS = frozenset(["span", "font", "b", "i", "u", "em", "strong", "sup", "sub", "small", "ins", "s",
                          "strike", "td", "th", "tr", "o:p"])
_BLOCK_TAGS = frozenset(["p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "section", "article", "main", "aside", "blockquote", "pre", "center", "address", "figure", "figcaption", "caption", "tr", "tbody", "thead", "tfoot", "body", "html"])
# Words found in the report tables of both formats: a table holding one is part of the report.
TABLE_LABELS = ("本年新收", "信息内容", "行政复议", "予以公开", "申请人情况", "本年制发", "本年新制作",
                "处理决定数量", "结果维持")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
# <meta> names CMSs give the publication date (TRS, Hanweb, Founder/VIEWS, Dayu, schema.org, Open Graph).
_DATE_META = frozenset(["pubdate", "publishdate", "publish_date", "publish-date", "publishtime", "publish_time",
                        "pubtime", "firstpublishedtime", "firstpublishtime", "articlepubdate", "articledate",
                        "releasedate", "release_date", "datepublished", "article:published_time",
                        "og:release_date", "dc.date", "dc.date.issued", "dcterms.issued", "createdate", "date"])
_TITLE_META = ("articletitle", "og:title", "title", "dc.title")
_ANY_DATE = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
# Share of the page's non-link text the chosen content element must keep.
_CONTENT_SHARE = 0.7
# Plain lxml elements: lxml.html's element classes cost a Python lookup per node visited.
# huge_tree: without it libxml2 stops at 256 levels of nesting and the page reads empty (generated pages nest
# <div>s 300 deep); the size of what it parses is bounded by the input limit and the per-document budget.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True)
_WHITESPACE = re.compile(r"\s+")
_OWN_ROWS = etree.XPath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")
_SPAN_NUMBER = re.compile(r"\s*(\d+)")
# Div grids: tags that may be a cell without saying so, words and display styles that say so.
# (<p> is left out: a <div> of <p>s is a block of paragraphs unless it says it is a row.)
_CELL_TAGS = frozenset(["div", "li", "dd", "dt", "section"])
_NOT_ROWS = frozenset(["table", "tr", "td", "th", "thead", "tbody", "tfoot", "p", "span", "a", "font", "b",
                       "strong", "em", "i", "u", "h1", "h2", "h3", "h4", "h5", "h6"])
_ROW_WORDS = frozenset(["tr", "row", "table-row"])
_CELL_WORDS = frozenset(["td", "th", "cell", "col", "gridcell", "columnheader", "rowheader", "table-cell"])
_ROW_DISPLAY = re.compile(r"display\s*:\s*(?:table-row|flex)")
_CELL_DISPLAY = re.compile(r"display\s*:\s*table-cell")
_CLASS_WORDS = re.compile(r"[\s_\-]+")
_GRID_DISPLAY = re.compile(r"display\s*:\s*(?:inline-)?grid")
_GRID_TEMPLATE = re.compile(r"grid-template-columns\s*:\s*([^;]+)")
_GRID_REPEAT = re.compile(r"repeat\(\s*(\d+)\s*,")
_GRID_REPEAT_CALL = re.compile(r"repeat\((?:[^()]|\([^()]*\))*\)")
_GRID_TRACK = re.compile(r"(?:minmax|fit-content)\([^()]*\)|[^\s()]+")
_MAX_CELL_CHARS = 100
_MAX_FIGURE_CHARS = 15  # longer "numbers" are the digits of several cells run together


def text_content(element: etree._Element) -> str:
    text: str = etree.tostring(element, method="text", encoding=str, with_tail=False)
    return text


def read_html(data: bytes, charset: str | None = None, *, pictures: Mapping[str, bytes] | None = None,
              base_url: str | None = None) -> Document:
    """`pictures`: the page's pictures by URL (report/readers/pictures.py), `base_url` the page's own URL:
    when the page's text lacks the report tables, its pictures are read by OCR in their place."""
    root, text = _page_tree(data, charset)
    page_date = find_page_date(root)
    page_title = find_page_title(root)
    _drop_noise(root, text)
    body = root.find("body")
    top = body if body is not None else root
    content, headings = find_content(top)
    lines = headings + _flatten(content)
    joined = "\n".join(lines)
    if top.find(".//img") is not None and lacks_tables(joined):
        document = _read_pictures(top, content, headings, pictures or {}, base_url)
        if document.ocr_pages or not any(lines):
            document.page_date, document.page_title = page_date, page_title
            return document
        notes = document.notes  # nothing read from the pictures: the page as it reads without them
    else:
        notes = []
    if not any(lines):
        raise UnreadableDocument("网页中没有正文文字")
    return Document(text=joined, source_format="html", page_date=page_date, page_title=page_title, notes=notes)


def _page_tree(data: bytes, charset: str | None) -> tuple[etree._Element, str]:
    text = decode_text(data, charset or declared_charset(data))
    text = drop_invisible(_XML_DECL.sub("", unescape_js_string(text), count=1))
    try:
        root = etree.fromstring(text, _PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise UnreadableDocument(f"无法解析网页（{exc}）") from exc
    if root is None:
        raise UnreadableDocument("网页中没有正文文字")
    return root, text


def _drop_noise(root: etree._Element, text: str) -> None:
    # (a substring test first: the XPath, and a regex over the whole page, cost more than the rest)
    hidden = _HIDDEN(root) if "display:none" in text or "display: none" in text else []
    for bad in [*root.iter(*_NOISE_TAGS), *(e for e in hidden if e.tag in _HIDDEN_TAGS)]:
        if bad.getparent() is not None:
            drop_tree(bad)


def read_mht(data: bytes) -> Document:
    """A web archive (.mht, .mhtml; Word's "single file web page", often published as .doc; a page crawled
    with its pictures): a MIME message whose HTML part, quoted-printable or base64 encoded, is the document,
    and whose other parts, named by their Content-Location, are its pictures."""
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    page: tuple[bytes, str | None, str | None] | None = None
    pictures: dict[str, bytes] = {}
    base = message.get("Content-Location")
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload.strip():
            continue
        location = part.get("Content-Location")
        if part.get_content_type() == "text/html" and page is None:
            page = payload, part.get_content_charset(), location or base
        elif location and len(pictures) < 4 * MAX_PICTURES:
            pictures[picture_key(resolve(location, base))] = payload
    if page is None:
        raise UnreadableDocument("网页归档文件（.mht）中没有网页部分")
    return read_html(page[0], page[1], pictures=pictures, base_url=page[2])


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
    node = body
    headings: list[str] = []
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

Picture = tuple[list[str], dict[tuple[int, int], float]]  # a picture's lines, its cells' OCR confidences


def _flatten(content: etree._Element, pictures: Mapping[etree._Element, Picture] | None = None,
             confidences: dict[tuple[int, int], float] | None = None) -> list[str]:
    """The lines of the content. `pictures`: <img> elements read by OCR, whose lines stand in their place
    (the confidences of their cells go into `confidences`, by line of the result)."""
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = clean_line("".join(current))
        if line:
            lines.append(line)
        current.clear()

    def walk(element: etree._Element) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if pictures and tag == "img" and element in pictures:
            flush()
            picture_lines, picture_confidences = pictures[element]
            if confidences is not None:
                confidences.update({(len(lines) + line, field): value
                                    for (line, field), value in picture_confidences.items()})
            lines.extend(picture_lines)
        elif tag == "table" and not is_layout_table(element) and not (
                pictures and any(img in pictures for img in element.iter("img"))):
            flush()
            lines.extend(clean_line(text_content(caption)) for caption in element.iterchildren("caption"))
            lines.extend(grid_lines(to_grid(table_rows(element))))
        elif tag == "br":
            flush()
        elif (columns := css_grid_columns(element)) is not None:
            flush()
            lines.extend(grid_lines(to_grid(flow_rows([_span_cell(cell) for cell in element], columns))))
        else:
            block = tag in _BLOCK_TAGS or tag in ("table", "td", "th")
            if block:
                flush()
            current.append(element.text or "")
            grids = div_grids(element) if len(element) > 1 else {}
            end = 0
            for index, child in enumerate(element):
                if index in grids:
                    flush()
                    rows, end = grids[index]
                    lines.extend(grid_lines(to_grid(rows)))
                if index >= end:
                    walk(child)
                current.append(child.tail or "")
            if block:
                flush()

    walk(content)
    flush()
    return lines


# --- tables drawn without <table> ---------------------------------------------------------------------
# Sites draw tables with <div>s (display:table-row/-cell, flex rows, div.tr > div.td) or lists (a <ul> per
# row, an <li> per cell). Each cell is an element of its own, blank ones too, so a run of sibling "rows" is
# a grid whose positions are clear: read it like a <table> instead of a line per non-blank cell.

def div_grids(parent: etree._Element) -> dict[int, tuple[list[list[SpanCell]], int]]:
    """Runs of sibling elements drawn as table rows: {index of the first: (rows, index after the last)}.
    Empty spacers between rows (<br>, a float-clearing <div>) do not end a run."""
    grids: dict[int, tuple[list[list[SpanCell]], int]] = {}
    run: list[list[etree._Element]] = []
    start = end = 0
    for index, child in enumerate([*parent, None]):
        cells = _grid_row(child) if child is not None else None
        if cells is not None:
            if not run:
                start = index
            run.append(cells)
            end = index + 1
            continue
        if not run:
            continue
        if child is not None and _is_spacer(child):
            continue
        if _is_grid(run):
            grids[start] = ([[_span_cell(cell) for cell in row] for row in run], end)
        run = []
    return grids


def _grid_row(element: etree._Element) -> list[etree._Element] | None:
    """The cells of a row of a grid: short text each (table cells, not layout columns), no tables, and
    mostly leaves. A row whose cells are rows themselves is a stack of tables (or a group of rows beside
    its label): it is walked into, and its own rows read."""
    cells = _row_cells(element)
    if cells is None:
        return None
    row_like = 0
    for cell in cells:
        if len(clean_line(text_content(cell))) > _MAX_CELL_CHARS or cell.find(".//table") is not None:
            return None
        if any(len(child) > 1 and _row_cells(child) is not None for child in cell):
            return None  # a group of rows beside its label
        if len(cell) > 1 and _row_cells(cell) is not None:
            row_like += 1
    return None if 2 * row_like > len(cells) else cells


def _is_spacer(element: etree._Element) -> bool:
    return (len(element) == 0 and not (element.text or "").strip() and not (element.tail or "").strip()
            and element.tag in ("br", "div", "span", "p", "hr"))


def _is_clearing(element: etree._Element) -> bool:
    """An empty <div class="clear"> (or style="clear:both") that ends a row of floated cells: no cell."""
    if len(element) or (element.text or "").strip():
        return False
    names = (element.get("class") or "").lower()
    return "clear" in names or "clear:" in (element.get("style") or "").replace(" ", "")


def _row_cells(element: etree._Element) -> list[etree._Element] | None:
    """The cells of an element drawn as a table row: element children only (no text of its own), each a
    block (div, li, dd…) or styled or named as a cell."""
    if not isinstance(element.tag, str) or len(element) == 0 or (element.tail or "").strip():
        return None
    if (element.text or "").strip() or element.tag in _NOT_ROWS:
        return None
    explicit = _signal(element, _ROW_WORDS, _ROW_DISPLAY)
    cells = []
    for child in element:
        if not isinstance(child.tag, str) or (child.tail or "").strip():
            return None
        if _is_clearing(child):
            continue
        if child.tag not in _CELL_TAGS and not _signal(child, _CELL_WORDS, _CELL_DISPLAY):
            return None
        cells.append(child)
    return cells if len(cells) >= 2 or explicit else None


def _is_grid(run: list[list[etree._Element]]) -> bool:
    """Rows of two cells or more with a figure among them, or rows and cells that say they are a table."""
    if not any(len(cells) >= 2 for cells in run):
        return False
    cells = [cell for row in run for cell in row]
    return any(_is_figure(cell) for cell in cells) or any(_signal(cell, _CELL_WORDS, _CELL_DISPLAY) for cell in cells)


def _is_figure(cell: etree._Element) -> bool:
    text = clean_line(text_content(cell))
    return len(text) <= _MAX_FIGURE_CHARS and is_number_cell(text)


def _signal(element: etree._Element, words: frozenset[str], display: re.Pattern[str]) -> bool:
    """Class names (tr, td, table-row…), role or inline display style that mark a row or a cell."""
    role = element.get("role")
    if role in words:
        return True
    style = element.get("style")
    if style and display.search(style):
        return True
    names = element.get("class")
    return bool(names) and not words.isdisjoint(_CLASS_WORDS.split(names.lower()))


def _span_cell(cell: etree._Element) -> SpanCell:
    """A div cell's text and its span: colspan/rowspan attributes or a grid-column/grid-row span."""
    style = cell.get("style") or ""
    rowspan = _span(cell.get("rowspan")) if cell.get("rowspan") else _style_span(style, "row")
    colspan = _span(cell.get("colspan")) if cell.get("colspan") else _style_span(style, "column")
    return SpanCell(_cell_text(cell), rowspan, colspan)


def css_grid_columns(element: etree._Element) -> int | None:
    """The column count of a CSS grid of table cells (display:grid with grid-template-columns), else None."""
    style = element.get("style")
    if not style or "grid-template-columns" not in style or not _GRID_DISPLAY.search(style):
        return None
    match = _GRID_TEMPLATE.search(style)
    if match is None or len(element) < 4:
        return None
    template = match.group(1)
    columns = sum(int(n) for n in _GRID_REPEAT.findall(template))
    columns += len(_GRID_TRACK.findall(_GRID_REPEAT_CALL.sub(" ", template)))
    cells = [child for child in element if isinstance(child.tag, str)]
    if columns < 2 or len(cells) != len(element) or not _is_grid([cells[i: i + columns] for i in range(0, len(cells), columns)]):
        return None
    return columns


def _style_span(style: str, axis: str) -> int:
    match = re.search(rf"grid-{axis}\s*:\s*(?:auto\s*/\s*)?span\s+(\d+)", style)
    return int(match.group(1)) if match else 1


def is_layout_table(table: etree._Element) -> bool:
    """A table holding tables lays out the page, unless rows of its own hold figures: then it is a
    report table with a table pasted into a cell (read as that cell's text)."""
    if table.find(".//table") is None:
        return False
    figures = 0
    for tr in _own_rows(table):
        cells = [td for td in tr if td.tag in ("td", "th") and td.find(".//table") is None]
        if sum(1 for td in cells if _is_figure(td)) >= 2:
            figures += 1
            if figures >= 2:
                return False
    return True


def _own_rows(table: etree._Element) -> list[etree._Element]:
    """The table's rows, not those of tables nested in its cells (wherever the HTML put them, when none)."""
    return _OWN_ROWS(table) if table.find(".//table") is not None else list(table.iter("tr"))


def table_rows(table: etree._Element) -> list[list[SpanCell]]:
    rows: list[list[SpanCell]] = []
    for tr in _own_rows(table):
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
    """The CMS's date of the page: a <meta> tag (PubDate, firstpublishedtime…), a <publishtime> or
    <time pubdate> element, else the date written in the page's head (发布时间：…, 时间：…, "… 来源：")."""
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or meta.get("itemprop") or "").lower()
        if name in _DATE_META:
            found = iso_date(_ANY_DATE.search(meta.get("content") or ""))
            if found:
                return found
    for element in root.iter("publishtime", "time"):
        if element.tag == "publishtime" or element.get("pubdate") is not None or (
                element.get("itemprop") or "").lower() == "datepublished":
            found = iso_date(_ANY_DATE.search(element.get("datetime") or text_content(element)))
            if found:
                return found
    body = root.find("body")
    return page_date_in_text(text_content(body if body is not None else root))


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




# --- tables that are pictures ------------------------------------------------------------------------
# County sites often paste a screenshot of each Word table into the article. When the page's text lacks
# the tables, the article's pictures are read by OCR (report/readers/ocr.py, through the PDF reader's
# picture reader) and their tables stand where the <img> stood, their cells' confidences kept.

# Words of the three tables' cells (both formats), not of the parts' headings: a page whose text holds a
# word of each table has its tables as text, and its pictures are not looked at.
_TABLE_MARKS = (("本年制发", "本年新制作", "现行有效", "对外公开总数"), ("本年新收",), ("结果维持", "尚未审结"))
_MAX_NOTES = 8
_MAX_LOOKED = 10 * MAX_PICTURES  # <img>s looked at on one page (icons among them)
_LAZY_SOURCES = ("data-original", "data-src", "src")  # lazy-loading pages keep the picture in data-*


def lacks_tables(text: str) -> bool:
    if all(any(word in text for word in group) for group in _TABLE_MARKS):
        return False
    squeezed = _WHITESPACE.sub("", text)  # letter-spaced labels (本 年 新 收)
    return not all(any(word in squeezed for word in group) for group in _TABLE_MARKS)


def picture_urls(data: bytes, base_url: str, charset: str | None = None) -> list[str]:
    """The URLs of the pictures a reader of this page would look at, in page order: the article's, when the
    page's text lacks the report tables (else none). Inline data: pictures and those declared icon-sized
    are left out. For the crawler, which fetches them."""
    root, text = _page_tree(data, charset)
    _drop_noise(root, text)
    body = root.find("body")
    top = body if body is not None else root
    if top.find(".//img") is None:
        return []
    content, headings = find_content(top)
    if not lacks_tables("\n".join(headings + _flatten(content))):
        return []
    urls: dict[str, None] = {}
    for img in _picture_scope(content, top).iter("img"):
        src = image_source(img)
        if src and src[:5].lower() != "data:" and not _declared_small(img):
            url = resolve(src, base_url)
            if url.startswith(("http://", "https://", "file:")):
                urls[url] = None
    return list(urls)


def image_source(img: etree._Element) -> str:
    for name in _LAZY_SOURCES:
        value = (img.get(name) or "").strip()
        if value:
            return value
    return ""


def _picture_scope(content: etree._Element, top: etree._Element) -> etree._Element:
    """Where the article's pictures are: the content element, or, when it holds none (the text in a <div>
    of its own, the pictures beside it), its parent or grandparent."""
    scope = content
    for _ in range(2):
        if scope.find(".//img") is not None or scope is top or scope.getparent() is None:
            break
        scope = scope.getparent()
    return scope if scope.find(".//img") is not None else content


def _declared_small(img: etree._Element) -> bool:
    for name in ("width", "height"):
        match = _SPAN_NUMBER.match(img.get(name) or "")
        if match and int(match.group(1)) < MIN_PICTURE_SIDE:
            return True
    return False


def _picture_name(src: str) -> str:
    if src[:5].lower() == "data:":
        return "内嵌图片"
    return picture_key(src).rsplit("/", 1)[-1][:60] or src[:60]


def _read_pictures(top: etree._Element, content: etree._Element, headings: list[str],
                   pictures: Mapping[str, bytes], base_url: str | None) -> Document:
    """The page with the article's pictures read by OCR in their places. Icon-sized pictures are skipped;
    one that cannot be had, decoded or is too large is said in the notes and the rest goes on. A page
    handed no pictures at all (a page saved alone) says once that its pictures were not at hand."""
    scope = _picture_scope(content, top)
    notes: list[str] = []
    read: dict[etree._Element, Picture] = {}
    taken = looked = 0
    for img in scope.iter("img"):
        src = image_source(img)
        if not src:
            continue
        looked += 1
        if looked > _MAX_LOOKED:
            notes.append(f"图片超过{_MAX_LOOKED}张，其余未识读")
            break
        data = picture_bytes(src, base_url, pictures)
        if data is None:
            if not _declared_small(img):
                notes.append(f"图片未取得，未识读：{_picture_name(src)}" if pictures
                             else "正文中的图片（可能是表格）未随网页取得，未识读")
            continue
        seen = look(data)
        if seen.kind == "small":
            continue
        if seen.kind == "bad":
            notes.append(f"{seen.reason}：{_picture_name(src)}")
            continue
        if taken >= MAX_PICTURES:
            notes.append(f"图片超过{MAX_PICTURES}张，其余未识读")
            break
        taken += 1
        try:
            table = _picture_table(data)
        except Exception as exc:  # noqa: BLE001 - one picture the OCR engine fails on: the rest goes on
            notes.append(f"图片无法识读（{type(exc).__name__}）：{_picture_name(src)}")
            continue
        if table is not None:
            read[img] = table
    confidences: dict[tuple[int, int], float] = {}
    lines = headings + _flatten(scope, read, confidences)
    if not any(lines):
        raise UnreadableDocument("网页中没有正文文字" + (f"（{notes[0]}）" if notes else ""))
    shift = len(headings)
    return Document(text="\n".join(lines), source_format="html",
                    notes=list(dict.fromkeys(notes))[:_MAX_NOTES],
                    ocr_pages=list(range(1, taken + 1)) if confidences else [],
                    ocr_cells={(line + shift, field): value for (line, field), value in confidences.items()})


def _picture_table(data: bytes) -> Picture | None:
    from nianbao.report.readers.pdf import picture_table_lines  # loads the OCR engine only when needed

    return picture_table_lines(data)
