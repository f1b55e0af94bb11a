"""OFD (GB/T 33190-2016, China's fixed-layout format): a zip of XML files with positioned text.

OFD.xml names the document's root (DocBody/DocRoot → Document.xml); Document.xml lists the pages
(Pages/Page/@BaseLoc → Content.xml) and the templates they may draw on (CommonData/TemplatePage). A page's
Content holds layers of TextObject (Boundary, CTM, Size; TextCode elements with X, Y and the advances
DeltaX/DeltaY between glyphs, where "g N d" repeats d N times) and PathObject (AbbreviatedData: M/S move,
L line, Q B A curves, C close), nested in PageBlocks. Coordinates are millimetres from the page's top-left
corner, y growing downwards, in an object's own space: CTM applies first, then the Boundary's origin.

Each glyph becomes a character of the PDF reader's layout module (report/readers/pdf_layout.py) in points,
each straight path segment an edge: the tables go through the same ruled-table finder, and the page
blocks through the same joining of pages, as a PDF's. Written here from the standard (easyofd depends on
AGPL PyMuPDF).

Hostile input: the zip directory is checked before anything is decompressed (as for .docx), every member
is read with a size cap, the XML parser resolves no entities, pages are counted against the page limit,
and a page's glyphs and path segments are bounded.
"""

from __future__ import annotations

import io
import math
import posixpath
import re
import zipfile
from collections.abc import Iterator

from lxml import etree

from nianbao.report.limits import Limits
from nianbao.report.readers import Document, UnreadableDocument
from nianbao.report.readers.grid import clean_line
from nianbao.report.readers.pdf import (  # the PDF reader's page blocks, reused as they are
    _TABLE_PAGE,
    Block,
    _clean_cells,
    _join_pages,
    _layout_rows,
    _table_block,
)
from nianbao.report.readers.pdf_layout import MAX_SEGMENTS, Char, Edge, tables_and_rest, text_lines

OFD_NS = "http://www.ofdspec.org/2016"
_MM_TO_PT = 72 / 25.4
MAX_MEMBERS = 10_000  # zip entries; a real OFD report has a few dozen
MAX_GLYPHS_PER_PAGE = 200_000  # a dense page has ~5,000
MAX_OBJECTS_PER_PAGE = 200_000
MAX_BLOCK_DEPTH = 16  # nested PageBlocks
MIN_BOMB_CHECK_BYTES = 1024 * 1024  # smaller members are never called bombs (tiny XML compresses well)
# A glyph's box around its baseline, as fractions of the font size (a CJK font's ascent and descent).
_ASCENT, _DESCENT = 0.88, 0.12
_AXIS_EPSILON = 0.01
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True,
                          remove_pis=True)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_PATH_TOKEN = re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_PATH_ARGUMENTS = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}
Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def is_ofd(archive: zipfile.ZipFile) -> bool:
    return "OFD.xml" in archive.namelist()


def read_ofd(data: bytes, limits: Limits) -> Document:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise UnreadableDocument(f"OFD 文件已损坏（不是有效的 ZIP 文件：{exc}）") from exc
    with archive:
        _check_zip_limits(archive, limits)
        package = _Package(archive, limits.max_decompressed)
        pages = package.pages()
        if not pages:
            raise UnreadableDocument("OFD 文件没有页面")
        if len(pages) > limits.max_pages:
            raise UnreadableDocument(f"OFD 文件页数过多：{len(pages)} 页（上限 {limits.max_pages} 页）")
        read = [_page_blocks(*package.page_layout(page)) for page in pages]
    if not any(blocks for blocks in read):
        raise UnreadableDocument("OFD 文件中没有文字（可能是扫描图片）")
    lines, _confidences = _join_pages(read)  # OFD text is exact: no OCR confidence
    return Document(text="\n".join(lines), source_format="ofd")


def _check_zip_limits(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse archives whose directory announces too much data or a bomb-like compression ratio."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UnreadableDocument(f"拒绝读取 OFD 文件：包内有 {len(infos)} 个文件（上限 {MAX_MEMBERS} 个）")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MIN_BOMB_CHECK_BYTES and ratio > limits.max_ratio:
            raise UnreadableDocument(f"拒绝读取 OFD 文件：{info.filename} 解压后将膨胀 {ratio:.0f} 倍（可能是压缩炸弹）")
    if total > limits.max_decompressed:
        raise UnreadableDocument(f"拒绝读取 OFD 文件：解压后 {total / 1024 / 1024:.0f} MB"
                                 f"（上限 {limits.max_decompressed // 1024 // 1024} MB）")


# --- the package: OFD.xml -> Document.xml -> pages -------------------------------------------------------

class _Package:
    def __init__(self, archive: zipfile.ZipFile, budget: int) -> None:
        self.archive = archive
        self.names = {name.lstrip("/"): name for name in archive.namelist()}
        self.budget = budget  # bytes still allowed to decompress, over all members
        self.templates: dict[str, str] = {}
        self.document_dir = ""

    def xml(self, path: str) -> etree._Element:
        name = self.names.get(path) or self.names.get(_case_insensitive(self.names, path) or "")
        if name is None:
            raise UnreadableDocument(f"OFD 文件已损坏：缺少 {path}")
        with self.archive.open(name) as member:
            # The directory may lie about sizes: read at most what the budget still allows.
            data = member.read(self.budget + 1)
        if len(data) > self.budget:
            raise UnreadableDocument("拒绝读取 OFD 文件：其中的 XML 解压后超过上限")
        self.budget -= len(data)
        try:
            return etree.fromstring(data, _PARSER)
        except etree.XMLSyntaxError as exc:
            raise UnreadableDocument(f"OFD 文件已损坏：{path} 不是有效的 XML（{exc}）") from exc

    def pages(self) -> list[str]:
        """Content.xml paths of the first document's pages, in order; templates are noted on the way."""
        root = self.xml("OFD.xml")
        doc_root = _first_text(root, "DocBody/DocRoot")
        if not doc_root:
            raise UnreadableDocument("OFD 文件已损坏：OFD.xml 中没有文档入口（DocRoot）")
        document_path = _resolve("", doc_root)
        self.document_dir = posixpath.dirname(document_path)
        document = self.xml(document_path)
        for template in _children(document, "CommonData/TemplatePage"):
            if template.get("ID") and template.get("BaseLoc"):
                self.templates[template.get("ID", "")] = _resolve(self.document_dir, template.get("BaseLoc", ""))
        return [_resolve(self.document_dir, page.get("BaseLoc", "")) for page in _children(document, "Pages/Page")
                if page.get("BaseLoc")]

    def page_layout(self, path: str) -> tuple[list[Char], list[Edge] | None]:
        """The page's characters (templates first, drawn beneath) and its ruling-line segments."""
        page = self.xml(path)
        drawing = _Drawing()
        for template in _children(page, "Template"):
            template_path = self.templates.get(template.get("TemplateID", ""))
            if template_path:
                drawing.content(self.xml(template_path))
        drawing.content(page)
        return drawing.chars, drawing.edges()


def _case_insensitive(names: dict[str, str], path: str) -> str | None:
    """Producers differ in the case of names ("Doc_0/document.xml"); Windows viewers do not mind."""
    lowered = path.lower()
    return next((name for name in names if name.lower() == lowered), None)


def _resolve(base: str, location: str) -> str:
    """A member's path: absolute ("/Doc_0/...") from the package root, else relative to `base`."""
    location = location.strip().replace("\\", "/")
    joined = location.lstrip("/") if location.startswith("/") else posixpath.join(base, location)
    return posixpath.normpath(joined).lstrip("/")


def _local(tag: object) -> str:
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: etree._Element, path: str) -> Iterator[etree._Element]:
    """Elements along a path of local names, whatever namespace (or none) a producer used."""
    current = [element]
    for step in path.split("/"):
        current = [child for parent in current for child in parent if _local(child.tag) == step]
    yield from current


def _first_text(element: etree._Element, path: str) -> str | None:
    found = next(_children(element, path), None)
    return found.text.strip() if found is not None and found.text else None


# --- a page's drawing ------------------------------------------------------------------------------------

class _Drawing:
    """Walks a page's layers and blocks, collecting glyphs as layout characters and path segments."""

    def __init__(self) -> None:
        self.chars: list[Char] = []
        self.segments: list[tuple[float, float, float, float]] = []  # x0 y0 x1 y1 in points
        self.objects = 0
        self.too_many_segments = False

    def content(self, page: etree._Element) -> None:
        for layer in _children(page, "Content/Layer"):
            self._block(layer, 0)

    def _block(self, block: etree._Element, depth: int) -> None:
        for element in block:
            self.objects += 1
            if self.objects > MAX_OBJECTS_PER_PAGE:
                raise UnreadableDocument(f"拒绝读取 OFD 文件：一页中的对象超过 {MAX_OBJECTS_PER_PAGE} 个")
            kind = _local(element.tag)
            if kind == "PageBlock" and depth < MAX_BLOCK_DEPTH:
                self._block(element, depth + 1)
            elif element.get("Visible", "true") == "false":
                continue
            elif kind == "TextObject":
                self._text(element)
            elif kind == "PathObject":
                self._path(element)

    def _text(self, text_object: etree._Element) -> None:
        x0, y0 = _boundary_origin(text_object)
        matrix = _matrix(text_object.get("CTM"))
        object_size = _float(text_object.get("Size"), 3.5)  # in the object's space, which CTM scales
        size_pt = object_size * math.sqrt(abs(matrix[0] * matrix[3] - matrix[1] * matrix[2])) * _MM_TO_PT
        x = y = 0.0
        for code in _children(text_object, "TextCode"):
            text = code.text or ""
            x = _float(code.get("X"), x)  # an absent X or Y continues where the last TextCode stopped
            y = _float(code.get("Y"), y)
            dx = _deltas(code.get("DeltaX"), len(text) - 1)
            dy = _deltas(code.get("DeltaY"), len(text) - 1)
            for i, char in enumerate(text):
                if len(self.chars) >= MAX_GLYPHS_PER_PAGE:
                    raise UnreadableDocument(f"拒绝读取 OFD 文件：一页中的文字超过 {MAX_GLYPHS_PER_PAGE} 个")
                advance = dx[i] if i < len(dx) else _advance(char, object_size)
                page_x, page_y = _apply(matrix, x, y)
                left, baseline = (x0 + page_x) * _MM_TO_PT, (y0 + page_y) * _MM_TO_PT
                # The glyph's width: its advance, but no wider than the glyph (a wide advance is a gap).
                width = min(abs(advance * matrix[0]), _advance(char, object_size) * abs(matrix[0]))
                self._add_char(char, left, width * _MM_TO_PT, baseline, size_pt)
                x += advance
                y += dy[i] if i < len(dy) else 0.0

    def _add_char(self, char: str, left: float, width: float, baseline: float, size: float) -> None:
        glyph = "" if char.isspace() else char  # a blank only parts words, as in the PDF reader
        top, bottom = baseline - _ASCENT * size, baseline + _DESCENT * size
        right = left + width
        self.chars.append((glyph, left, right, top, bottom, (left + right) / 2, (top + bottom) / 2))

    def _path(self, path_object: etree._Element) -> None:
        if path_object.get("Stroke", "true") == "false" and path_object.get("Fill", "false") == "false":
            return  # draws nothing
        data = _first_text(path_object, "AbbreviatedData")
        if not data or self.too_many_segments:
            return
        x0, y0 = _boundary_origin(path_object)
        matrix = _matrix(path_object.get("CTM"))
        for (ax, ay), (bx, by) in _path_segments(data):
            if len(self.segments) >= MAX_SEGMENTS:
                self.too_many_segments = True  # like the PDF reader: past the bound, no rulings at all
                return
            (pax, pay), (pbx, pby) = _apply(matrix, ax, ay), _apply(matrix, bx, by)
            self.segments.append(((x0 + pax) * _MM_TO_PT, (y0 + pay) * _MM_TO_PT,
                                  (x0 + pbx) * _MM_TO_PT, (y0 + pby) * _MM_TO_PT))

    def edges(self) -> list[Edge] | None:
        if self.too_many_segments:
            return None
        edges = []
        for ax, ay, bx, by in self.segments:
            if abs(ax - bx) < _AXIS_EPSILON and abs(ay - by) >= 1:
                edges.append(Edge(True, (ax + bx) / 2, min(ay, by), max(ay, by)))
            elif abs(ay - by) < _AXIS_EPSILON and abs(ax - bx) >= 1:
                edges.append(Edge(False, (ay + by) / 2, min(ax, bx), max(ax, bx)))
        return edges


def _boundary_origin(element: etree._Element) -> tuple[float, float]:
    numbers = _numbers(element.get("Boundary", ""))
    return (numbers[0], numbers[1]) if len(numbers) >= 2 else (0.0, 0.0)


def _matrix(value: str | None) -> Matrix:
    numbers = _numbers(value or "")
    if len(numbers) != 6 or not all(map(math.isfinite, numbers)):
        return _IDENTITY
    a, b, c, d, e, f = numbers
    return (a, b, c, d, e, f)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _numbers(value: str) -> list[float]:
    return [float(n) for n in _NUMBER.findall(value)]


def _float(value: str | None, default: float) -> float:
    numbers = _numbers(value or "")
    return numbers[0] if numbers and math.isfinite(numbers[0]) else default


def _deltas(value: str | None, wanted: int) -> list[float]:
    """DeltaX/DeltaY: advances between glyphs, "g N d" standing for N times d. At most `wanted` are
    expanded (one fewer than the glyphs): a hostile "g 1000000000 1" costs nothing."""
    out: list[float] = []
    tokens = (value or "").split()
    i = 0
    while i < len(tokens) and len(out) < wanted:
        if tokens[i] == "g" and i + 2 < len(tokens):
            count, delta = _float(tokens[i + 1], 0), _float(tokens[i + 2], 0.0)
            out.extend([delta] * max(0, min(int(count), wanted - len(out))))
            i += 3
            continue
        out.append(_float(tokens[i], 0.0))
        i += 1
    return out


def _advance(char: str, size: float) -> float:
    """A glyph's width when the producer gave no advance: full width for CJK, half for the rest."""
    return size if ord(char) >= 0x2E80 else size / 2


def _path_segments(data: str) -> Iterator[tuple[tuple[float, float], tuple[float, float]]]:
    """Straight segments of an AbbreviatedData path (curves only move the current point)."""
    tokens = _PATH_TOKEN.findall(data)
    current = start = (0.0, 0.0)
    i = 0
    while i < len(tokens):
        command = tokens[i].upper()
        count = _PATH_ARGUMENTS.get(command)
        if count is None:
            i += 1  # a stray number or unknown command: skipped
            continue
        args = [float(t) for t in tokens[i + 1: i + 1 + count] if not t.isalpha()]
        i += 1 + count
        if len(args) < count:
            return
        if command == "C":
            if current != start:
                yield current, start
            current = start
            continue
        point = (args[-2], args[-1])
        if command in "SM":
            start = point
        elif command == "L":
            yield current, point
        current = point


# --- page blocks, as the PDF reader makes them ----------------------------------------------------------

def _page_blocks(chars: list[Char], edges: list[Edge] | None) -> list[Block]:
    if not _TABLE_PAGE.search("".join(char[0] for char in chars)):
        lines = [clean_line(text) for _, text in text_lines(chars)] if chars else []
        return [Block(0.0, [line for line in lines if line])] if any(lines) else []
    tables, rest = tables_and_rest(edges, chars) if edges else ([], chars)
    blocks: list[Block] = [_table_block(t.bbox[1], [_clean_cells(row) for row in t.rows]) for t in tables]
    if not tables:
        blocks.extend(_layout_rows(rest))  # labels but no ruling lines: rows from word positions
    else:
        for top, line in text_lines(rest) if rest else []:
            text = clean_line(line)
            if text:
                blocks.append(Block(top, [text]))
    blocks.sort(key=lambda block: block.top)
    return blocks
