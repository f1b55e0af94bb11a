"""Document text -> Report: normalise, cut into the six parts, read metadata and the three tables."""

from __future__ import annotations

import functools
import heapq
import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from nianbao.report import labels, tables, titles
from nianbao.report.cells import is_value_cell
from nianbao.report.model import Report
from nianbao.report.readers import Document, UnreadableDocument
from nianbao.report.readers.text import page_date_in_text
from nianbao.report.titles import chinese_count, chinese_digits


class NotAReport(UnreadableDocument):
    """Readable, but not an annual report on open government information."""


# How the reasons of NotAReport start: report.check matches them to what the overseer is told.
PRE_NATIONAL_FORMAT = "不是全国统一格式的报告"
NOT_A_REPORT = "不是年度报告"


# Noise that conversions leave behind: Word bookmarks, page numbers ("- 3 -", "— 4 —", "第 2 页").
_NOISE = re.compile(r"\[bookmark:[^\]]*\]|\u200b|\ufeff")
# [ \t] at the ends, not \s: "^\s*" tried at every line start ran over all the blank lines after it
# (quadratic on a page of empty lines).
_PAGE_NUMBER_LINE = re.compile(
    r"^[ \t]*+(?:[-—–]\s*\d{1,3}\s*[-—–]|第\s*\d{1,3}\s*页(?:\s*共\s*\d+\s*页)?|\d{1,3}\s*/\s*\d{1,3})[ \t]*+$", re.M)
# Possessive quantifiers and no line-crossing \s: the first form backtracked quadratically on a long run of
# spaces or blank lines.
_MARKDOWN_RULE = re.compile(r"^[ \t]*+\|?(?:[ \t]*+:?-{3,}+:?[ \t]*+\|)++[ \t]*+:?-*+:?[ \t]*+$", re.M)
# "Cell per line" conversions of HTML tables: every cell on a line of its own closed by " |", a blank cell a
# bare "|", the positions covered by a merged cell a line of two or more pipes ("||", "|||").
# Read by hand, not by a regex: "[ \t]*(cell)*?[ \t]*\|" backtracked cubically on a line of spaces.
_PIPE_TAIL = frozenset(" \t|")
_COVERED_LINE = re.compile(r"^[ \t]*\|{2,}[ \t]*$")
_MIN_ONE_CELL_LINES = 8  # below this, a trailing pipe is punctuation, not a table shape


def normalise(text: str) -> str:
    """NFKC (full-width digits/brackets to ASCII), one newline style, conversion noise removed."""
    text = unicodedata.normalize("NFKC", text)
    text = fold_traditional(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _NOISE.sub("", text)
    text = _PAGE_NUMBER_LINE.sub("", text)
    text = join_cell_lines(text)
    text = _MARKDOWN_RULE.sub("", text)
    # Markdown rows: "| a | b |" -> "a\tb" so pipes and tabs are one kind of separator.
    text = re.sub(r"^[ \t]*\|(.*?)\|?[ \t]*$", lambda m: m.group(1).replace("|", "\t"), text, flags=re.M)
    return text


@functools.cache
def _to_simplified() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def fold_traditional(text: str) -> str:
    """Pages served in traditional characters (some sites offer a 繁體 version): convert them with OpenCC
    so that labels, agency and texts read as in the simplified original."""
    traditional = sum(text.count(ch) for ch in labels.TRADITIONAL_MARKERS)
    simplified = sum(text.count(ch) for ch in labels.SIMPLIFIED_MARKERS)
    if traditional >= 10 and traditional > simplified:
        return str(_to_simplified().convert(text))
    return text


def join_cell_lines(text: str) -> str:
    """Rebuild TAB rows from a cell-per-line table: a label cell starts a row, value cells join it.

    A bare "|" is a blank cell when more values follow it; before a label it may as well open the next
    row (conversions that break the line after each pipe), so it is dropped: a row short of a cell is
    reported unreadable later, while a wrongly kept blank would be a wrong value."""
    lines = text.split("\n")
    cells = [_one_cell(line) for line in lines]
    if sum(cell is not None for cell in cells) < _MIN_ONE_CELL_LINES:
        return text
    out: list[str] = []
    row: list[str] | None = None
    for i, (line, cell) in enumerate(zip(lines, cells, strict=True)):
        if _COVERED_LINE.match(line):
            continue  # positions covered by a merged cell: not cells of their own
        if cell is None:
            row = None
            out.append(line)
        elif is_value_cell(cell) and (cell or _value_follows(cells, lines, i + 1)):
            if row is None:
                row = [""]
                out.append("")
            row.append(cell)
            out[-1] = "\t".join(row)
        elif cell:
            row = [cell]
            out.append(cell)
    return "\n".join(out)


def _one_cell(line: str) -> str | None:
    """The cell of a line "  cell  |" (then only spaces, tabs and pipes); None for any other line."""
    pipe = line.find("|")
    if pipe < 0 or not _PIPE_TAIL.issuperset(line[pipe:]) or _COVERED_LINE.match(line):
        return None
    cell = line[:pipe].strip(" \t")
    return None if "\t" in cell or "\n" in cell else cell


def _value_follows(cells: list[str | None], lines: list[str], start: int) -> bool:
    """Whether the bare "|" before `start` is a cell: more values follow, or the row's covered pipes."""
    if start < len(lines) and _COVERED_LINE.match(lines[start]):
        return True
    cell = cells[start] if start < len(cells) else None
    return cell is not None and is_value_cell(cell)


@dataclass
class Sections:
    spans: dict[int, tuple[int, int]]  # part number -> (start of heading, end of part)
    heading_ends: dict[int, int]

    def body(self, text: str, part: int) -> str | None:
        if part not in self.spans:
            return None
        return text[self.heading_ends[part]: self.spans[part][1]]


_HEADINGS = {n: re.compile(labels.HEADING_MARKER + "(?:" + kw + ")") for n, kw in labels.SECTION_KEYWORDS.items()}
_CHINESE_HEADINGS = {n: re.compile(labels.HEADING_MARKER_CHINESE + "(?:" + kw + ")")
                     for n, kw in labels.SECTION_KEYWORDS.items()}


def find_sections(text: str) -> Sections:
    """Headings of parts 一…六 in order; a part's heading is searched only after the previous one's."""
    found: dict[int, re.Match[str]] = {}
    cursor = 0
    for part in range(1, 7):
        match = _CHINESE_HEADINGS[part].search(text, cursor) or _HEADINGS[part].search(text, cursor)
        if match:
            found[part] = match
            cursor = match.end()
    starts = sorted((m.start(), part) for part, m in found.items())
    spans = {}
    for i, (start, part) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        spans[part] = (start, end)
    return Sections(spans, {part: _heading_line_end(text, m) for part, m in found.items()})


def _heading_line_end(text: str, match: re.Match[str]) -> int:
    """End of the heading itself: the end of its line, or of the title phrase in run-on text."""
    end = match.end()
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if line_end - end <= 20:
        return line_end
    for closer in ("情况", "事项"):
        idx = text.find(closer, end - len(closer), end + 20)
        if idx >= 0:
            return idx + len(closer)
    return end


# --- metadata ----------------------------------------------------------------------------------------


def read_title(text: str, page_title: str | None) -> tuple[str | None, str | None, int | None]:
    """(title, agency, year) from the first title-like phrase near the top (or the page title); an agency
    missing from every title is taken from the signature at the end."""
    head = re.sub(r"[ \t\u3000]+", "", text[:3000])
    candidates = [head.replace("\n", "")[:600], re.sub(r"\s+", "", page_title or "")]
    found: tuple[str | None, str | None, int | None] = (None, None, None)
    notice_year = None
    listed = _listed_titles(head)
    for match in _title_matches((head, *candidates), listed):
        year = int(match.group("year")) if match.group("year") else None
        if _is_notice(match):
            # "关于做好2020年…年度报告…的通知" is a notice about reports: its year only, if nothing better
            notice_year = notice_year or year
            continue
        agency = _clean_agency(match.group("pre")) or _clean_agency(match.group("mid"))
        if found[0] is None:
            found = (re.sub(r"\s+", "", _clean_title(match.group(0))), agency, year)
        elif found[1] is None and agency:
            found = (found[0], agency, found[2] or year)  # a title split over lines: "机关\n2020年…报告"
        elif found[2] is None and year:
            found = (found[0], found[1], year)  # the title without a year, then a sentence with it
        if found[1] and found[2]:
            break
    title, agency, year = found
    agency = agency or signing_agency(text)
    if title and agency and agency not in title:
        title = agency + title  # the agency stood on the line above the title
    return title, agency, year or notice_year


def _title_matches(blocks: tuple[str, ...], listed: frozenset[str] = frozenset()) -> Iterator[re.Match[str]]:
    """Each block's first title phrase, then their next ones: a page may repeat the title, naming the
    agency only once. Titles of a list of reports (`listed`) are passed over."""
    padded = (itertools.chain((m for m in _block_titles(b) if not _is_listed(m, listed)), itertools.repeat(None, 3))
              for b in blocks)
    for round_ in itertools.islice(zip(*padded, strict=False), 3):
        yield from (match for match in round_ if match is not None)


def _block_titles(block: str) -> Iterator[re.Match[str]]:
    """A block's title phrases of every title shape, in reading order, found lazily (the first few count)."""
    shapes = (pattern.finditer(block) for pattern, quick in titles.TITLES if quick is None or quick.search(block))
    return heapq.merge(*shapes, key=lambda match: match.start())


def _listed_titles(head: str) -> frozenset[str]:
    """Lines of a list of reports: whole-line titles of one agency and different years next to each other
    (a page's "历年年报" sidebar or related links, printed into a PDF with the page). None of them is this
    report's title, which may stand right after the list but names its own agency."""
    listed: set[str] = set()
    run: list[tuple[str, str, int]] = []
    for line in [*head.split("\n"), ""]:
        match = titles.TITLE.fullmatch(line)
        if match:
            run.append((line, match.group("pre"), int(match.group("year"))))
            continue
        for line_, pre, year in run:
            if any(other_pre == pre and other_year != year for _, other_pre, other_year in run):
                listed.add(line_)
        run = []
    return frozenset(listed)


def _is_listed(match: re.Match[str], listed: frozenset[str]) -> bool:
    """Whether a title phrase is (or, in the joined head, holds) a line of a list of reports."""
    return bool(listed) and any(line in match.group(0) for line in listed)


def _is_notice(match: re.Match[str]) -> bool:
    """A title phrase inside a notice about reports ("关于做好2020年…年度报告…的通知"), not a report's own."""
    return bool(titles.NOTICE_TITLE.search(match.group("pre") + match.group("mid"))
                or titles.NOTICE_AFTER.match(match.string, match.end()))


def signing_agency(text: str) -> str | None:
    """The agency signing the report: the name on the line above the closing date."""
    tail = text[-400:]
    dates = _signed_dates(tail)
    if not dates:
        return None
    lines = [line.strip() for line in tail[:dates[-1].start()].split("\n") if line.strip()]
    if not lines:
        return None
    match = labels.SIGNATURE_AGENCY.fullmatch(re.sub(r"\s+", "", lines[-1]))
    return match.group(0) if match else None


def _clean_agency(raw: str | None) -> str | None:
    """The agency name that ends a title prefix: its trailing run of Chinese characters."""
    if not raw:
        return None
    name = labels.AGENCY_NOISE.sub("", raw)
    match = re.search(r"[\u4e00-\u9fff()（）·]+$", name.strip(" 　-—《》\"'“”"))
    if not match:
        return None
    name = labels.AGENCY_LEAD.sub("", labels.AGENCY_LEAD_INSIDE.sub("", match.group(0)))
    name = labels.AGENCY_TRAIL.sub("", name)
    return name if len(name) >= 2 and not labels.AGENCY_PRONOUN.match(name) else None


def _clean_title(raw: str) -> str:
    title = labels.AGENCY_NOISE.sub("", raw)
    match = re.search(r"[\u4e00-\u9fff()（）·]*(?:19|20)\d{2}.*$", title)
    return match.group(0) if match else title


def read_year(text: str, title_year: int | None) -> int | None:
    if title_year:
        return title_year
    match = labels.STATISTICS_PERIOD.search(text)
    return int(match.group(1)) if match else None


def _iso(year: str, month: str, day: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def read_published_date(text: str, sections: Sections, page_date: str | None) -> str | None:
    """The date signed at the end (after part 六, else the last lines), else the page's date."""
    tail_start = sections.spans.get(6, (max(0, len(text) - 400), 0))[0]
    signed = _signed_dates(text, tail_start)
    if signed:
        return _date_iso(signed[-1])
    if page_date:
        return page_date
    return page_date_in_text(text[:3000])


def _signed_dates(text: str, start: int = 0) -> list[re.Match[str]]:
    """Dates written "2024年1月15日" or "二〇二四年一月十五日", in order."""
    found = [*labels.CN_DATE.finditer(text, start), *titles.CN_NUMERAL_DATE.finditer(text, start)]
    return sorted(found, key=lambda match: match.start())


def _date_iso(match: re.Match[str]) -> str | None:
    if match.re is labels.CN_DATE:
        return _iso(*match.groups())
    year, month, day = match.groups()
    return _iso(chinese_digits(year), str(chinese_count(month)), str(chinese_count(day)))


def _clean_text(body: str | None) -> str | None:
    if body is None:
        return None
    lines = [re.sub(r"[ \t\u3000]+", " ", line).strip() for line in body.split("\n")]
    cleaned = "\n".join(line for line in lines if line)
    return cleaned or None


# --- the whole report ----------------------------------------------------------------------------------


def parse_document(document: Document) -> Report:
    text = normalise(document.text)
    sections = find_sections(text)
    title, agency, title_year = read_title(text, document.page_title)
    report = Report(title=title, agency=agency, year=read_year(text, title_year))
    report.published_date = read_published_date(text, sections, document.page_date)

    part_two = _part_text(text, sections, 2, fallback_until=3)
    part_three = _part_text(text, sections, 3, fallback_until=4)
    part_four = _appeals_text(text, sections)

    applications, app_unreadable, shape, app_texts = tables.read_applications(
        part_three, tables.headers_version(part_two) or "2021")
    version, mixed = tables.detect_format(part_two, shape)
    report.format_version = version
    report.applications = applications
    report.unreadable.update({f"applications.{k}": v for k, v in app_unreadable.items()})
    report.text_cells.update({f"applications.{k}": v for k, v in app_texts.items()})
    if version:
        proactive, pro_unreadable, pro_texts = tables.read_proactive(part_two, version)
        report.proactive = proactive
        report.unreadable.update({f"proactive.{k}": v for k, v in pro_unreadable.items()})
        report.text_cells.update({f"proactive.{k}": v for k, v in pro_texts.items()})
    if mixed:
        report.unreadable["format"] = "第二部分与第三部分的表格格式版本不一致"
    if 4 in sections.spans or part_four:
        appeals, problem, appeal_texts = tables.read_appeals(part_four)
        report.text_cells.update({f"appeals.{k}": v for k, v in appeal_texts.items()})
        if appeals:
            report.appeals = appeals
        elif problem:
            # Without the table's column headers there was no table to read (a picture, an attachment).
            no_table = re.search(labels.APPEALS_HEADER, part_four) is None
            report.unreadable["appeals"] = _TABLE_NOT_FOUND if no_table else problem

    report.summary_text = _clean_text(sections.body(text, 1))
    report.problems_text = _clean_text(sections.body(text, 5))
    report.other_text = _clean_text(sections.body(text, 6))
    report.sections_present = _sections_present(sections, report)
    if not (report.applications or report.proactive or report.appeals or _blank_tables(report, sections)
            or _tables_lost(report, sections)):
        raise NotAReport(_not_a_report_reason(report))
    _mark_tables_not_found(report, sections)
    return report


def _part_text(text: str, sections: Sections, part: int, fallback_until: int) -> str:
    """A part's body; without its heading, the text up to the next part found (labels are specific)."""
    body = sections.body(text, part)
    if body is not None:
        return body
    # From the heading of the part found before it: a missing heading leaves its table inside that part.
    start = max((sections.spans[p][0] for p in sections.spans if p < part), default=0)
    later = [sections.spans[p][0] for p in sections.spans if p >= fallback_until]
    end = min(later, default=len(text))
    if end <= start:
        start, end = 0, len(text)
    return text[start:end]


def _appeals_text(text: str, sections: Sections) -> str:
    """Part 四's body; without its heading, the text from the table's column headers to the next part.

    Never the whole document: numbers of parts 二 and 三 would be read as appeals."""
    body = sections.body(text, 4)
    if body is not None:
        return body
    start = sections.spans[3][0] if 3 in sections.spans else 0
    header = re.search(labels.APPEALS_HEADER, text[start:])
    if header is None:
        return ""
    begin = start + header.start()
    later = [sections.spans[p][0] for p in (5, 6) if p in sections.spans and sections.spans[p][0] > begin]
    return text[begin: min(later, default=len(text))]


def _sections_present(sections: Sections, report: Report) -> list[int]:
    present = set(sections.spans)
    if report.proactive:
        present.add(2)
    if report.applications:
        present.add(3)
    if report.appeals:
        present.add(4)
    return sorted(present)


def _blank_tables(report: Report, sections: Sections) -> bool:
    """A titled report whose parts 二 and 三 stand with their row labels but no number in any cell:
    a report (every row reported unreadable), not some other page."""
    return bool(report.title and {2, 3} <= set(sections.spans)
                and any(k.startswith("applications.") for k in report.unreadable))


FIRST_NATIONAL_FORMAT_YEAR = 2019  # reports on earlier years follow no national table format

# A part whose heading stands but whose table gave no row at all: an image, an attachment, or a layout the
# reader lost. Said per part, so that the overseer knows which table was not checked.
_TABLE_NOT_FOUND = "该部分标题下未找到可读取的表格（可能为图片或附件），未作校验"
_TABLE_PARTS = {2: "proactive", 3: "applications"}


def _tables_lost(report: Report, sections: Sections) -> bool:
    """A titled report of the national format whose parts 二 and 三 stand with their headings, but whose
    tables could not be read at all (images on the page): a report to flag, not some other page."""
    national = report.year is None or report.year >= FIRST_NATIONAL_FORMAT_YEAR
    return bool(report.title and national and {2, 3} <= set(sections.spans))


def _mark_tables_not_found(report: Report, sections: Sections) -> None:
    for part, key in _TABLE_PARTS.items():
        read = getattr(report, key) or any(k.startswith(key + ".") for k in report.unreadable)
        if part in sections.spans and not read:
            report.unreadable[key] = _TABLE_NOT_FOUND


def _not_a_report_reason(report: Report) -> str:
    if report.year and report.year < FIRST_NATIONAL_FORMAT_YEAR:
        return (f"{PRE_NATIONAL_FORMAT}：{report.year} 年的报告早于 2019 年起施行的统一表格格式"
                "（自由行文，没有可读取的表格）")
    if report.title:
        return f"{NOT_A_REPORT}：《{report.title}》中没有年度报告的任何表格"
    if any(key.startswith("applications.") for key in report.unreadable):
        # The template's row labels stand without a single number and nothing names a report: the blank
        # format itself (a notice's annex) looks the same, so this is not taken for a report.
        return f"{NOT_A_REPORT}：表格各行均为空白，也没有标题写明机关或年度"
    return f"{NOT_A_REPORT}：未找到政府信息公开工作年度报告的表格"
