"""`nianbao check [--json] FILE...`: parse and validate report files, print tables and findings.

Exit status, for scripts (the worst over all FILES): 0 every report read in full and consistent; 1 some
report inconsistent (an error finding); 3 some report not fully read (a table without figures, digits
replaced by "x", unreadable rows: "checked and fine" cannot be said); 2 some file could not be read as a
report at all (including over the per-document budget: too large, too slow).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import click
from rich.cells import cell_len, chop_cells, set_cell_size

from nianbao.report.budget import check_in_budget
from nianbao.report.check import CheckResult
from nianbao.report.grouping import group_findings
from nianbao.report.limits import Limits
from nianbao.report.model import APPEAL_COLUMNS, APPLICANT_COLUMNS, Report, get_path, report_json
from nianbao.report.ocr_marks import LOW_CONFIDENCE
from nianbao.report.parser import NOT_A_REPORT, PRE_NATIONAL_FORMAT
from nianbao.report.printed import RULE_LABELS, SEVERITY_LABELS, column_name, row_name
from nianbao.report.readers import UnreadableDocument
from nianbao.report.readers.dispatch import sniff_format
from nianbao.report.readers.pictures import saved_page
from nianbao.report.walk import application_shape, table_rows
from nianbao.settings.load import settings_from_context

OK, INCONSISTENT, UNREADABLE, NOT_FULLY_READ = 0, 1, 2, 3
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
# Over several files the worst wins: unreadable, then not fully read (its errors may be misreadings),
# then inconsistent.
_WORST_FIRST = (UNREADABLE, NOT_FULLY_READ, INCONSISTENT, OK)


@click.command(short_help="Is this report file consistent? Its tables checked, by file.", epilog="""\b
Exit status (the worst over all FILES):
  0  every report read in full and consistent
  1  inconsistent: some report has an error finding
  2  some file cannot be read as a report (also: over the per-document
     budget, settings `documents`: too large, too slow)
  3  not fully read: a table without figures, digits replaced by "x",
     rows or parts that could not be read""")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per line: the model, file, findings, fully_read.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.pass_context
def check(ctx: click.Context, as_json: bool, files: tuple[str, ...]) -> None:
    """Check annual report files you have at hand (HTML, PDF, DOC/DOCX/WPS, text): read their three
    tables and say which figures do not add up or could not be read."""
    urls = [name for name in files if _URL.match(name)]
    if urls:
        raise click.BadParameter(
            f"{urls[0]} 是网址：nianbao check 只检查本地文件。请先下载该文件再检查；"
            "若要持续监测这个网站，把机关加入机关清单后运行 nianbao crawl。", param_hint="FILES")
    limits = settings_from_context(ctx).documents.limits()
    statuses = {OK}
    for name in files:
        try:
            result = _check_file(Path(name), limits)
        except UnreadableDocument as exc:
            _print_unreadable(name, str(exc), as_json)
            statuses.add(UNREADABLE)
            continue
        if as_json:
            line = report_json(result.report, result.findings, file=name) | {
                "fully_read": result.fully_read,
                "finding_groups": [g.to_dict() for g in group_findings(result.findings)]}
            click.echo(json.dumps(line, ensure_ascii=False))
        else:
            click.echo(render_text(name, result))
        statuses.add(exit_status(result))
    sys.exit(next(code for code in _WORST_FIRST if code in statuses))


def exit_status(result: CheckResult) -> int:
    if not result.fully_read:
        return NOT_FULLY_READ
    return INCONSISTENT if result.has_errors else OK


def _check_file(path: Path, limits: Limits) -> CheckResult:
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise UnreadableDocument(f"找不到文件 {path}") from exc
    except OSError as exc:
        raise UnreadableDocument(f"无法打开：{exc.strerror}") from exc
    if size > limits.max_bytes:
        raise UnreadableDocument(f"文件过大：{size // 2**20} MB，上限 {limits.max_bytes // 2**20} MB")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(f"无法读取：{exc.strerror}") from exc
    if sniff_format(data, path.name) == "html":  # a page saved with its pictures: they are read too
        data = saved_page(path, data, limits.max_bytes)
    try:
        return check_in_budget(data, path.name, limits)
    except UnreadableDocument:
        raise
    except Exception as exc:  # a reader bug must still give one line, not a traceback
        raise UnreadableDocument(f"读取时出现意外错误 {type(exc).__name__}: {exc}") from exc


def _print_unreadable(name: str, reason: str, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"file": name, "error": reason}, ensure_ascii=False))
    else:
        # A reason that says what the file is instead ("不是年度报告：…") needs no heading of its own.
        heading = "" if reason.startswith((NOT_A_REPORT, PRE_NATIONAL_FORMAT)) else "无法作为年度报告读取："
        click.echo(f"{name}：{heading}{reason}", err=True)


# --- human-readable rendering: Chinese labels, within 80 columns --------------------------------------

WIDTH = 80
LABEL = 24  # terminal cells for a row's printed name (12 Chinese characters)
# Short column heads of part 三 (the printed ones do not fit 80 columns seven times).
APPLICANT_HEADS = {"natural_person": "自然人", "commercial": "商业", "research": "科研", "social_org": "公益",
                   "legal_service": "法律", "other_org": "其他", "total": "总计"}
APPEAL_HEADS = {"upheld": "维持", "corrected": "纠正", "other": "其他", "pending": "未结", "total": "总计"}


def _fmt(value: object, report: Report | None = None, path: str = "") -> str:
    """A cell: "·" blank; read by OCR, "*" after it, "?" when the reading is doubtful (low confidence)."""
    text = "·" if value is None else str(value)
    confidence = report.ocr_cells.get(path) if report is not None else None
    if confidence is None:
        return text
    return text + ("?" if confidence < LOW_CONFIDENCE else "*")


def _fit(text: str, width: int) -> str:
    """Cut to `width` terminal cells (a Chinese character takes two) with "…", padded to exactly `width`."""
    if cell_len(text) > width:
        text = set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


def _cells(values: list[Any], width: int = 7) -> str:
    """Right-aligned in `width` terminal cells each (Chinese heads take two cells a character)."""
    return "".join(" " * max(0, width - cell_len(text)) + text for text in map(_fmt, values))


def _wrap(prefix: str, parts: list[str], indent: str = "       ") -> list[str]:
    """`prefix` then the parts joined by two spaces, wrapped at 80 columns."""
    lines, line = [], prefix
    for part in parts:
        room = WIDTH - cell_len(line) - (2 if line.strip() else 0)
        if cell_len(part) <= room:
            line = f"{line}  {part}" if line.strip() else line + part
        elif cell_len(part) <= WIDTH - len(indent):  # fits on a line of its own
            lines.append(line)
            line = indent + part
        else:  # longer than any line: cut it, starting where we are
            first, *rest = chop_cells(part, room)
            lines.append((f"{line}  " if line.strip() else line) + first)
            *full, last = chop_cells("".join(rest), WIDTH - len(indent)) or [""]
            lines += [indent + piece for piece in full]
            line = indent + last
    return lines + [line]


def render_text(name: str, result: CheckResult) -> str:
    report = result.report
    out = [f"== {name}"]
    out += _wrap("   ", [f"{report.agency or '机关不详'}", f"{report.year or '?'} 年度", f"{report.format_version or '?'} 年版格式",
                        f"落款日期 {report.published_date or '未读到'}",
                        "已读部分 " + ("、".join(map(str, report.sections_present)) or "无")])
    if report.proactive and report.format_version:
        out.append("   二、主动公开政府信息情况")
        for spec in table_rows("proactive", report.format_version):
            row = report.proactive.get(spec.path)
            cells = ([f"{column_name(c)} {_fmt(row.get(c), report, f'proactive.{spec.path}.{c}')}"
                      for c in spec.columns] if row else ["（未读到）"])
            out += _wrap("     " + _fit(row_name(spec.path), 14), cells)
    if report.applications:
        out.append("   三、收到和处理政府信息公开申请情况")
        out.append("     " + " " * LABEL + _cells([APPLICANT_HEADS.get(c, c) for c in APPLICANT_COLUMNS]))
        for spec in table_rows("applications", application_shape(report.applications)):
            row = get_path(report.applications, spec.path)
            numbers = _cells([_fmt(row.get(c), report, f"applications.{spec.path}.{c}")
                              for c in spec.columns]) if row else "（未读到）"
            out.append("     " + _fit(row_name(spec.path), LABEL) + numbers)
    if report.appeals:
        out.append("   四、政府信息公开行政复议、行政诉讼情况")
        out.append("     " + " " * LABEL + _cells([APPEAL_HEADS.get(c, c) for c in APPEAL_COLUMNS]))
        for spec in table_rows("appeals", report.format_version or "2021"):
            row = report.appeals.get(spec.path, {})
            out.append("     " + _fit(row_name(spec.path), LABEL)
                       + _cells([_fmt(row.get(c), report, f"appeals.{spec.path}.{c}") for c in spec.columns]))
    if report.ocr_pages:
        out += _wrap("   OCR识读：", [f"第{'、'.join(map(str, report.ocr_pages))}页为扫描图像；"
                                   f"* 经OCR识读，? 置信度低于{LOW_CONFIDENCE:.0%}，识读可能有误"])
    if not result.fully_read:
        out += _wrap("   未能读全：", result.gaps[:5])
    groups = group_findings(result.findings)
    if groups:
        out.append(f"   发现的问题（{len(groups)} 项）：")
        for g in groups:
            # A finding on OCR'd figures that a misreading may explain is not a proven error of the agency.
            doubtful = any(getattr(m, "doubtful", False) for m in g.members)
            severity = "存疑" if doubtful else SEVERITY_LABELS.get(g.severity, g.severity)
            head = f"     {severity} [{RULE_LABELS.get(g.rule, g.rule)}] "
            out += _wrap(head, [g.message])
    else:
        out.append("   发现的问题：无")
    return "\n".join(out)
