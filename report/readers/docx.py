"""Word .docx: the body's paragraphs and tables in order, read straight from word/document.xml.

Reading the XML directly (instead of python-docx's object model) is several times faster and lets us
handle merged cells exactly: gridSpan (and the legacy hMerge) cells and vMerge continuations are emitted
once, at their origin. The tree is first rewritten into what Word shows (`normalise`: tracked changes
accepted, hidden text dropped, text boxes moved into the flow) and automatic list numbers are written into
their paragraphs (`number_paragraphs`). Content controls and custom XML around paragraphs, tables, rows or
cells are looked through. The zip directory is checked before anything is decompressed, so a zip bomb is
refused cheaply. Word's one-file XML (Flat OPC) is read the same way (`read_flat_docx`).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lxml import etree

from nianbao.report.cells import is_number_cell
from nianbao.report.readers import Document, UnreadableDocument
from nianbao.report.readers.grid import (
    SpanCell,
    clean_cell,
    clean_line,
    drop_invisible_utf8,
    grid_lines,
    to_grid,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_PKG = "{http://schemas.microsoft.com/office/2006/xmlPackage}"
_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"
_MAX_PICTURES = 20  # pictures read by OCR in one document (each takes seconds)
# Members smaller than this are never called bombs, whatever their ratio (tiny XML compresses well).
MIN_BOMB_CHECK_BYTES = 1024 * 1024
# Elements that only wrap content (their children are read in their place).
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_WRAPPERS = frozenset([f"{W}customXml", f"{W}smartTag", f"{W}ins", f"{W}moveTo", f"{W}sdtContent",
                       f"{_MC}AlternateContent", f"{_MC}Choice"])
# Elements `normalise` acts on.
_NORMALISED = (f"{W}del", f"{W}moveFrom", f"{W}vanish", _MC_FALLBACK, f"{W}txbxContent")
_LEVEL_REF = re.compile(r"%([1-9])")
_CHINESE_COUNTING = frozenset(["chineseCounting", "chineseCountingThousand", "japaneseCounting",
                               "taiwaneseCounting", "taiwaneseCountingThousand", "koreanCounting"])
_SERIES = {
    "ideographTraditional": "甲乙丙丁戊己庚辛壬癸",
    "ideographZodiac": "子丑寅卯辰巳午未申酉戌亥",
    "decimalEnclosedCircle": "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳",
    "decimalEnclosedCircleChinese": "①②③④⑤⑥⑦⑧⑨⑩",
    "decimalEnclosedParen": "⑴⑵⑶⑷⑸⑹⑺⑻⑼⑽⑾⑿⒀⒁⒂⒃⒄⒅⒆⒇",
    "decimalEnclosedFullstop": "⒈⒉⒊⒋⒌⒍⒎⒏⒐⒑⒒⒓⒔⒕⒖⒗⒘⒙⒚⒛",
}
_LEGAL = str.maketrans("一二三四五六七八九十百", "壹贰叁肆伍陆柒捌玖拾佰")
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


def read_docx(data: bytes, *, max_decompressed: int, max_ratio: int, source_format: str = "docx") -> Document:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise UnreadableDocument(f"Word 文档（.docx）已损坏（不是有效的 ZIP 文件：{exc}）") from exc
    with archive:
        check_zip_limits(archive, max_decompressed=max_decompressed, max_ratio=max_ratio)
        names = set(archive.namelist())

        def part(name: str) -> etree._Element | None:
            return _parse(_read_member(archive, name, max_decompressed), name) if name in names else None

        def picture(target: str) -> bytes | None:
            name = posixpath.normpath(posixpath.join("word", target)).lstrip("/")
            return _read_member(archive, name, max_decompressed) if name in names else None
        return _read_parts(part, source_format, picture)


def read_flat_docx(data: bytes, source_format: str = "xml") -> Document:
    """Word's one-file XML ("Word XML document", Flat OPC): the package's parts inside one XML file."""
    package = _parse(data, "the XML document")
    parts = {p.get(f"{_PKG}name", "").lstrip("/"): p for p in package.iter(f"{_PKG}part")}

    def part(name: str) -> etree._Element | None:
        found = parts.get(name)
        xml = found.find(f"{_PKG}xmlData") if found is not None else None
        return xml[0] if xml is not None and len(xml) else None
    return _read_parts(part, source_format)


def _read_parts(part: Callable[[str], etree._Element | None], source_format: str,
                picture: Callable[[str], bytes | None] | None = None) -> Document:
    root = part("word/document.xml")
    if root is None:
        raise UnreadableDocument("Word 文档（.docx）已损坏：缺少 word/document.xml")
    body = root.find(f"{W}body")
    if body is None:
        raise UnreadableDocument("Word 文档（.docx）已损坏：没有正文")
    normalise(body)
    number_paragraphs(body, part)
    if picture is None or body.find(f".//{_BLIP}") is None:
        return Document(text="\n".join(_block_lines(body)), source_format=source_format)
    return _with_pictures(body, part, picture, source_format)


def _with_pictures(body: etree._Element, part: Callable[[str], etree._Element | None],
                   picture: Callable[[str], bytes | None], source_format: str) -> Document:
    """The body's lines, a paragraph that is only a picture of a table read by OCR (report/readers/ocr.py):
    its tables' lines in its place, their cells' confidences kept. Other pictures are left out as before."""
    from nianbao.report.readers.pdf import picture_table_lines  # loads the OCR engine only when needed

    targets = _relationship_targets(part("word/_rels/document.xml.rels"))
    lines: list[str] = []
    confidences: dict[tuple[int, int], float] = {}
    read = 0
    for child in _content(body):
        if child.tag == f"{W}p" and not clean_line(paragraph_text(child)) and read < _MAX_PICTURES:
            for blip in child.iter(_BLIP):
                data = picture(targets.get(blip.get(_EMBED, ""), "")) if blip.get(_EMBED) in targets else None
                table = picture_table_lines(data) if data else None
                read += 1
                if table is not None:
                    confidences.update({(len(lines) + line, field): value
                                        for (line, field), value in table[1].items()})
                    lines.extend(table[0])
            continue
        lines.extend(_child_lines(child))
    return Document(text="\n".join(lines), source_format=source_format,
                    ocr_pages=list(range(1, read + 1)) if confidences else [], ocr_cells=confidences)


def _relationship_targets(rels: etree._Element | None) -> dict[str, str]:
    if rels is None:
        return {}
    return {r.get("Id", ""): r.get("Target", "") for r in rels if r.get("TargetMode") != "External"}


def _parse(xml: bytes, name: str) -> etree._Element:
    if not xml.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-8, as Word writes it
        xml = drop_invisible_utf8(xml)
    try:
        return etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise UnreadableDocument(f"Word 文档（.docx）已损坏：{name} 不是有效的 XML（{exc}）") from exc


def check_zip_limits(archive: zipfile.ZipFile, *, max_decompressed: int, max_ratio: int) -> None:
    """Refuse archives whose directory announces too much data or a bomb-like compression ratio."""
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MIN_BOMB_CHECK_BYTES and ratio > max_ratio:
            raise UnreadableDocument(
                f"拒绝读取 Word 文档（.docx）：{info.filename} 解压后将膨胀 {ratio:.0f} 倍（可能是压缩炸弹）"
            )
    if total > max_decompressed:
        raise UnreadableDocument(
            f"拒绝读取 Word 文档（.docx）：解压后 {total / 1024 / 1024:.0f} MB（上限 {max_decompressed // 1024 // 1024} MB）"
        )


def _read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        with archive.open(name) as member:
            # The directory may lie about sizes: read at most limit + 1 bytes whatever it says.
            data = member.read(limit + 1)
    except KeyError as exc:
        raise UnreadableDocument(f"Word 文档（.docx）已损坏：缺少 {name}") from exc
    if len(data) > limit:
        raise UnreadableDocument(f"拒绝读取 Word 文档（.docx）：{name} 解压后超过 {limit // 1024 // 1024} MB")
    return data


# --- what Word shows ----------------------------------------------------------------------------------

def normalise(body: etree._Element) -> None:
    """Rewrite the tree into what Word shows, so the readers below see one plain flow: tracked changes
    accepted (deleted runs, moved-away text and deleted rows dropped), hidden runs (w:vanish) dropped,
    the Fallback copy of drawings dropped (mc:AlternateContent holds the same content twice) and the
    content of text boxes moved into the flow after the paragraph that anchors them."""
    found: dict[str, list[etree._Element]] = {}
    for element in body.iter(*_NORMALISED):
        found.setdefault(element.tag, []).append(element)
    if not found:
        return
    for marker in found.get(f"{W}del", []):
        parent = marker.getparent()
        if parent is not None and parent.tag == f"{W}trPr":  # a deleted table row
            _remove(parent.getparent())
    for vanish in found.get(f"{W}vanish", []):
        rpr = vanish.getparent()
        if rpr is not None and rpr.getparent() is not None and rpr.getparent().tag == f"{W}r" and _on(vanish):
            _remove(rpr.getparent())
    for tag in (f"{W}del", f"{W}moveFrom", _MC_FALLBACK):
        for element in found.get(tag, []):
            _remove(element)
    for box in reversed(found.get(f"{W}txbxContent", [])):
        _unwrap_text_box(box)


def _remove(element: etree._Element | None) -> None:
    if element is not None and element.getparent() is not None:
        element.getparent().remove(element)


def _on(toggle: etree._Element) -> bool:
    return (toggle.get(f"{W}val") or "true").lower() not in ("0", "false", "off")


def _unwrap_text_box(box: etree._Element) -> None:
    """Move a text box's paragraphs and tables after the paragraph holding the drawing."""
    anchor = box.getparent()
    while anchor is not None and anchor.tag != f"{W}p":
        anchor = anchor.getparent()
    if anchor is None or anchor.getparent() is None:
        return
    for child in reversed(list(box)):
        anchor.addnext(child)
    _remove(box)


# --- automatic numbering ------------------------------------------------------------------------------
# Word's list numbers ("一、", "（一）", "1.") are not in a paragraph's text: numbering.xml draws them. Reports
# whose headings or row labels are numbered this way must read as if typed, so each number is written into
# its paragraph, counted in document order as Word counts them.

@dataclass
class _Level:
    start: int
    fmt: str
    text: str
    suffix: str
    style: str | None


def number_paragraphs(body: etree._Element, part: Callable[[str], etree._Element | None]) -> None:
    styles_used = {e.get(f"{W}val") for e in body.iter(f"{W}pStyle")}
    if body.find(f".//{W}numPr") is None and not styles_used:
        return  # (styles.xml is read only then: python-docx's is 350 kB)
    numbering = part("word/numbering.xml")
    if numbering is not None:
        _Numberer(numbering, part("word/styles.xml") if styles_used else None).apply(body)


class _Numberer:
    def __init__(self, numbering: etree._Element, styles: etree._Element | None) -> None:
        abstract = {a.get(f"{W}abstractNumId") or "": _levels(a) for a in numbering.iter(f"{W}abstractNum")}
        # A list style: an abstract with w:numStyleLink takes the levels of the one whose w:styleLink matches.
        defined = {_val(a, "styleLink"): a.get(f"{W}abstractNumId") for a in numbering.iter(f"{W}abstractNum")}
        alias = {a.get(f"{W}abstractNumId"): defined.get(_val(a, "numStyleLink"))
                 for a in numbering.iter(f"{W}abstractNum") if _val(a, "numStyleLink")}
        self.nums: dict[str, tuple[str, dict[int, _Level], dict[int, int]]] = {}
        for num in numbering.iter(f"{W}num"):
            ref = num.find(f"{W}abstractNumId")
            aid = ref.get(f"{W}val") or "" if ref is not None else ""
            aid = alias.get(aid) or aid
            if aid in abstract:
                overrides = {_int(o.get(f"{W}ilvl"), 0): _int(o.find(f"{W}startOverride").get(f"{W}val"), 1)
                             for o in num.iter(f"{W}lvlOverride") if o.find(f"{W}startOverride") is not None}
                self.nums[num.get(f"{W}numId") or ""] = (aid, abstract[aid], overrides)
        self.styles = _style_numbering(styles) if styles is not None else {}
        self.counters: dict[str, list[int | None]] = {}
        self.started: set[str] = set()

    def apply(self, body: etree._Element) -> None:
        for paragraph in body.iter(f"{W}p"):
            label = self.label(paragraph)
            if label:
                run = etree.Element(f"{W}r")
                etree.SubElement(run, f"{W}t").text = label
                ppr = paragraph.find(f"{W}pPr")
                paragraph.insert(0 if ppr is None else paragraph.index(ppr) + 1, run)

    def label(self, paragraph: etree._Element) -> str | None:
        num_id, ilvl = self._list_of(paragraph)
        if num_id is None or num_id not in self.nums:
            return None
        aid, levels, overrides = self.nums[num_id]
        if ilvl not in levels:
            return None
        counters = self.counters.setdefault(aid, [None] * 9)
        if num_id not in self.started:  # a list restarted by a num of its own
            self.started.add(num_id)
            for overridden, start in overrides.items():
                if 0 <= overridden < 9:
                    counters[overridden] = start - 1
        current = counters[ilvl]
        counters[ilvl] = levels[ilvl].start if current is None else current + 1
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = None
        level = levels[ilvl]
        if level.fmt in ("bullet", "none"):
            return None
        text = _LEVEL_REF.sub(lambda m: _format(levels, counters, int(m.group(1)) - 1), level.text)
        return text + _suffix(level, text) if text else None

    def _list_of(self, paragraph: etree._Element) -> tuple[str | None, int]:
        ppr = paragraph.find(f"{W}pPr")
        if ppr is None:
            return None, 0
        style = ppr.find(f"{W}pStyle")
        num_id, ilvl = self.styles.get(style.get(f"{W}val") or "", (None, None)) if style is not None else (None, None)
        numpr = ppr.find(f"{W}numPr")
        if numpr is not None:
            own_id, own_level = numpr.find(f"{W}numId"), numpr.find(f"{W}ilvl")
            num_id = own_id.get(f"{W}val") if own_id is not None else num_id
            ilvl = _int(own_level.get(f"{W}val"), 0) if own_level is not None else ilvl
        if ilvl is None and num_id in self.nums and style is not None:  # the level linked to the style
            levels = self.nums[num_id][1]
            ilvl = next((k for k, v in levels.items() if v.style == style.get(f"{W}val")), 0)
        return (None if num_id in (None, "0") else num_id), ilvl or 0


def _levels(abstract: etree._Element) -> dict[int, _Level]:
    levels = {}
    for lvl in abstract.iter(f"{W}lvl"):
        fmt = "decimal" if lvl.find(f"{W}isLgl") is not None else _val(lvl, "numFmt", "decimal")
        levels[_int(lvl.get(f"{W}ilvl"), 0)] = _Level(_int(_val(lvl, "start", "1"), 1), fmt, _val(lvl, "lvlText"),
                                                      _val(lvl, "suff", "tab"), _val(lvl, "pStyle") or None)
    return levels


def _val(parent: etree._Element, name: str, default: str = "") -> str:
    element = parent.find(f"{W}{name}")
    return default if element is None else element.get(f"{W}val") or default


def _style_numbering(styles: etree._Element) -> dict[str, tuple[str | None, int | None]]:
    """Style id -> (numId, ilvl) for paragraph styles that number their paragraphs (through basedOn)."""
    own: dict[str, tuple[str | None, int | None]] = {}
    based: dict[str, str] = {}
    for style in styles.iter(f"{W}style"):
        sid = style.get(f"{W}styleId") or ""
        parent = style.find(f"{W}basedOn")
        if parent is not None:
            based[sid] = parent.get(f"{W}val") or ""
        numpr = style.find(f"{W}pPr/{W}numPr")
        if numpr is not None:
            num_id, ilvl = numpr.find(f"{W}numId"), numpr.find(f"{W}ilvl")
            own[sid] = (None if num_id is None else num_id.get(f"{W}val"),
                        None if ilvl is None else _int(ilvl.get(f"{W}val"), 0))
    resolved = {}
    for sid in {*own, *based}:
        seen, current = set(), sid
        while current and current not in own and current not in seen:
            seen.add(current)
            current = based.get(current, "")
        if current in own:
            resolved[sid] = own[current]
    return resolved


def _format(levels: dict[int, _Level], counters: list[int | None], index: int) -> str:
    if index not in levels:
        return ""
    value = counters[index]
    return number_text(levels[index].start if value is None else value, levels[index].fmt)


def _suffix(level: _Level, text: str) -> str:
    # Word puts a tab (or a space) after the number; after "一、" or "（一）" it is no word break.
    if level.suffix == "nothing" or text[-1] in "、.．)）:：":
        return ""
    return " "


def number_text(n: int, fmt: str) -> str:
    """A list number in one of Word's formats (w:numFmt)."""
    if fmt in _CHINESE_COUNTING:
        return _chinese(n)
    if fmt in ("ideographDigital", "taiwaneseDigital", "japaneseDigitalTenThousand"):
        return "".join("〇一二三四五六七八九"[int(d)] for d in str(n))
    if fmt == "chineseLegalSimplified":
        return _chinese(n).translate(_LEGAL)
    if fmt in _SERIES and 1 <= n <= len(_SERIES[fmt]):
        return _SERIES[fmt][n - 1]
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return str(n).translate(_FULL_WIDTH)
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("lowerLetter", "upperLetter"):
        letters = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letters if fmt == "lowerLetter" else letters.upper()
    if fmt in ("lowerRoman", "upperRoman"):
        return _roman(n) if fmt == "upperRoman" else _roman(n).lower()
    return str(n)


def _chinese(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十, 105 -> 一百零五 (Word's chineseCounting)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = "" if rest == 0 else ("零" + digits[rest] if rest < 10 else _chinese(rest) if rest >= 20 else "一" + _chinese(rest))
        return digits[n // 100] + "百" + tail
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + letters, n - value
    return out


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


# --- paragraphs and tables ------------------------------------------------------------------------------

def _content(parent: etree._Element, *tags: str) -> Iterator[etree._Element]:
    """The children of a body, cell, table or row (those with one of `tags`, if given), looking through
    the elements that only wrap content: content controls (w:sdt), custom XML and smart tags may wrap
    paragraphs, tables, rows or cells."""
    if not any(True for _ in parent.iterchildren(*_WRAPPERS, f"{W}sdt")):  # most often: nothing wrapped
        yield from parent.iterchildren(*tags)
        return
    for child in parent:
        if child.tag in _WRAPPERS:
            yield from _content(child, *tags)
        elif child.tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                yield from _content(content, *tags)
        elif not tags or child.tag in tags:
            yield child


def _block_lines(container: etree._Element) -> list[str]:
    """Lines of a body or cell: paragraphs and tables in document order."""
    lines: list[str] = []
    for child in _content(container):
        lines.extend(_child_lines(child))
    return lines


def _child_lines(child: etree._Element) -> list[str]:
    if child.tag == f"{W}p":
        text = clean_line(paragraph_text(child))
        return [text] if text else []
    if child.tag == f"{W}tbl":
        return _table_lines(child)
    return []


def paragraph_text(paragraph: etree._Element) -> str:
    parts: list[str] = []
    for node in paragraph.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr"):
        parts.append(node.text or "" if node.tag == f"{W}t" else " ")
    return "".join(parts)


def _table_lines(table: etree._Element) -> list[str]:
    if _is_layout_table(table):
        # A table holding tables is layout: read its cells as ordinary content, in order.
        lines: list[str] = []
        for row in _content(table, f"{W}tr"):
            for cell in _content(row, f"{W}tc"):
                lines.extend(_block_lines(cell))
        return lines
    return grid_lines(to_grid(_span_rows(table)))


def _is_layout_table(table: etree._Element) -> bool:
    """A table holding tables lays out the page, unless rows of its own hold figures: then it is a report
    table with a table pasted into a cell (read as that cell's text)."""
    if table.find(f".//{W}tc//{W}tbl") is None:
        return False
    figures = 0
    for row in _content(table, f"{W}tr"):
        cells = [c for c in _content(row, f"{W}tc") if c.find(f".//{W}tbl") is None]
        if sum(1 for c in cells if is_number_cell(_cell_text(c))) >= 2:
            figures += 1
            if figures >= 2:
                return False
    return True


def _cell_text(tc: etree._Element) -> str:
    return clean_cell([paragraph_text(p) for p in tc.iter(f"{W}p")])


def _span_rows(table: etree._Element) -> list[list[SpanCell]]:
    raw: list[list[tuple[int, int, str, str | None]]] = []  # (column, colspan, text, vmerge)
    for tr in _content(table, f"{W}tr"):
        column = _grid_skip(tr, "gridBefore")
        row: list[tuple[int, int, str, str | None]] = []
        for tc in _content(tr, f"{W}tc"):
            span, vmerge, hmerge = _cell_merge(tc)
            if hmerge == "continue" and row:
                # the legacy horizontal merge: a continuation widens the cell before it
                start, width, text, first_vmerge = row[-1]
                row[-1] = (start, width + span, text, first_vmerge)
            else:
                row.append((column, span, _cell_text(tc), vmerge))
            column += span
        raw.append(row)
    return _resolve_vmerge(raw)


def _cell_merge(tc: etree._Element) -> tuple[int, str | None, str | None]:
    """A cell's gridSpan, vMerge and hMerge ("restart"/"continue", None when not merged)."""
    span, vmerge, hmerge = 1, None, None
    properties = tc.find(f"{W}tcPr")
    if properties is not None:
        for child in properties:
            if child.tag == f"{W}gridSpan":
                span = _int_val(child, 1)
            elif child.tag == f"{W}vMerge":
                vmerge = child.get(f"{W}val") or "continue"
            elif child.tag == f"{W}hMerge":
                hmerge = child.get(f"{W}val") or "continue"
    return span, vmerge, hmerge


def _resolve_vmerge(raw: list[list[tuple[int, int, str, str | None]]]) -> list[list[SpanCell]]:
    """Each Word row lists its vMerge continuation cells, so a merged cell is emitted at its
    restart cell only and every continuation becomes an empty field at the same position."""
    rows: list[list[SpanCell]] = []
    for row in raw:
        cells: list[SpanCell] = []
        position = 0
        for column, span, text, vmerge in row:
            if column > position:  # gridBefore: leading empty grid columns
                cells.append(SpanCell("", 1, column - position))
            position = column + span
            cells.append(SpanCell("" if vmerge == "continue" else text, 1, span))
        rows.append(cells)
    return rows


def _grid_skip(tr: etree._Element, name: str) -> int:
    return _int_val(tr.find(f"{W}trPr/{W}{name}"), 0)


def _int_val(element: etree._Element | None, default: int) -> int:
    if element is None:
        return default
    try:
        return max(0, min(int(element.get(f"{W}val") or default), 64))
    except ValueError:
        return default
