"""`nianbao check [--json] FILE...`: parse and validate report files, print tables and findings.

Exit status, for scripts (the worst over all FILES): 0 every report read in full and consistent; 1 some
report inconsistent (an error finding); 3 some report not fully read (a table without figures, digits
replaced by "x", unreadable rows: "checked and fine" cannot be said); 2 some file could not be read as a
report at all (including over the per-document budget: too large, too slow).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from nianbao.report.budget import check_in_budget
from nianbao.report.check import CheckResult
from nianbao.report.limits import Limits
from nianbao.report.model import APPEAL_COLUMNS, APPLICANT_COLUMNS, Report, get_path, report_json
from nianbao.report.ocr_marks import LOW_CONFIDENCE
from nianbao.report.readers import UnreadableDocument
from nianbao.report.walk import application_shape, table_rows
from nianbao.settings.load import settings_from_context

OK, INCONSISTENT, UNREADABLE, NOT_FULLY_READ = 0, 1, 2, 3
# Over several files the worst wins: unreadable, then not fully read (its errors may be misreadings),
# then inconsistent.
_WORST_FIRST = (UNREADABLE, NOT_FULLY_READ, INCONSISTENT, OK)


@click.command(epilog="""\b
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
    """Parse and validate annual report FILES (HTML, PDF, DOC/DOCX/WPS, text)."""
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
            line = report_json(result.report, result.findings, file=name) | {"fully_read": result.fully_read}
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
    except OSError as exc:
        raise UnreadableDocument(f"cannot open: {exc.strerror}") from exc
    if size > limits.max_bytes:
        raise UnreadableDocument(f"文件过大：{size // 2**20} MB，上限 {limits.max_bytes // 2**20} MB")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(f"cannot read: {exc.strerror}") from exc
    try:
        return check_in_budget(data, path.name, limits)
    except UnreadableDocument:
        raise
    except Exception as exc:  # a reader bug must still give one line, not a traceback
        raise UnreadableDocument(f"unexpected {type(exc).__name__}: {exc}") from exc


def _print_unreadable(name: str, reason: str, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"file": name, "error": reason}, ensure_ascii=False))
    else:
        click.echo(f"{name}: cannot read as a report: {reason}", err=True)


# --- human-readable rendering --------------------------------------------------------------------------


def _fmt(value: object, report: Report | None = None, path: str = "") -> str:
    """A cell: "·" blank; read by OCR, "*" after it, "?" when the reading is doubtful (low confidence)."""
    text = "·" if value is None else str(value)
    confidence = report.ocr_cells.get(path) if report is not None else None
    if confidence is None:
        return text
    return text + ("?" if confidence < LOW_CONFIDENCE else "*")


def render_text(name: str, result: CheckResult) -> str:
    report = result.report
    out = [
        f"== {name}",
        f"   {report.agency or '?'} · {report.year or '?'}年 · format {report.format_version or '?'} · "
        f"published {report.published_date or '?'} · parts {','.join(map(str, report.sections_present))}",
    ]
    if report.proactive and report.format_version:
        out.append("   二、主动公开")
        for spec in table_rows("proactive", report.format_version):
            row = report.proactive.get(spec.path)
            cells = "  ".join(f"{c}={_fmt(row.get(c), report, f'proactive.{spec.path}.{c}')}"
                              for c in spec.columns) if row else "(not read)"
            out.append(f"     {spec.path:<22} {cells}")
    if report.applications:
        out.append("   三、申请 " + " ".join(f"{c[:8]:>8}" for c in APPLICANT_COLUMNS))
        for spec in table_rows("applications", application_shape(report.applications)):
            row = get_path(report.applications, spec.path)
            cells = " ".join(f"{_fmt(row.get(c), report, f'applications.{spec.path}.{c}'):>8}"
                             for c in spec.columns) if row else "(not read)"
            out.append(f"     {spec.path:<31} {cells}")
    if report.appeals:
        out.append("   四、复议诉讼 " + " ".join(f"{c:>9}" for c in APPEAL_COLUMNS))
        for spec in table_rows("appeals", report.format_version or "2021"):
            row = report.appeals.get(spec.path, {})
            out.append(f"     {spec.path:<24} " + " ".join(
                f"{_fmt(row.get(c), report, f'appeals.{spec.path}.{c}'):>9}" for c in spec.columns))
    if report.ocr_pages:
        out.append(f"   OCR识读：第{'、'.join(map(str, report.ocr_pages))}页为扫描图像；"
                   f"* 经OCR识读，? 置信度低于{LOW_CONFIDENCE:.0%}，识读可能有误")
    if not result.fully_read:
        out.append("   未能读全（not fully read）: " + "；".join(result.gaps[:5]))
    if result.findings:
        out.append("   findings:")
        for f in result.findings:
            severity = "DOUBT" if f.doubtful else f.severity.upper()  # a misreading may explain it
            out.append(f"     {severity:<7} {f.rule:<14} {f.message}")
    else:
        out.append("   findings: none")
    return "\n".join(out)
