"""`nianbao check [--json] FILE...`: parse and validate report files, print tables and findings.

Exit status: 0 no error finding, 1 some error finding, 2 some file could not be read as a report.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from nianbao.report.check import CheckResult, check_bytes
from nianbao.report.model import APPEAL_COLUMNS, APPLICANT_COLUMNS, get_path, report_json
from nianbao.report.readers import UnreadableDocument
from nianbao.report.walk import application_shape, table_rows

MAX_FILE_BYTES = 50 * 1024 * 1024


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line: the model, file, findings.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def check(as_json: bool, files: tuple[str, ...]) -> None:
    """Parse and validate annual report FILES (HTML, PDF, DOC/DOCX/WPS, text)."""
    status = 0
    for name in files:
        try:
            result = _check_file(Path(name))
        except UnreadableDocument as exc:
            _print_unreadable(name, str(exc), as_json)
            status = 2
            continue
        if as_json:
            click.echo(json.dumps(report_json(result.report, result.findings, file=name), ensure_ascii=False))
        else:
            click.echo(render_text(name, result))
        if result.has_errors and status == 0:
            status = 1
    sys.exit(status)


def _check_file(path: Path) -> CheckResult:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableDocument(f"cannot open: {exc.strerror}") from exc
    if size > MAX_FILE_BYTES:
        raise UnreadableDocument(f"file too large ({size // (1024 * 1024)} MB > {MAX_FILE_BYTES // (1024 * 1024)} MB)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(f"cannot read: {exc.strerror}") from exc
    try:
        return check_bytes(data, path.name)
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


def _fmt(value: object) -> str:
    return "·" if value is None else str(value)


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
            cells = "  ".join(f"{c}={_fmt(row.get(c))}" for c in spec.columns) if row else "(not read)"
            out.append(f"     {spec.path:<22} {cells}")
    if report.applications:
        out.append("   三、申请 " + " ".join(f"{c[:8]:>8}" for c in APPLICANT_COLUMNS))
        for spec in table_rows("applications", application_shape(report.applications)):
            row = get_path(report.applications, spec.path)
            cells = " ".join(f"{_fmt(row.get(c)):>8}" for c in spec.columns) if row else "(not read)"
            out.append(f"     {spec.path:<31} {cells}")
    if report.appeals:
        out.append("   四、复议诉讼 " + " ".join(f"{c:>9}" for c in APPEAL_COLUMNS))
        for spec in table_rows("appeals", report.format_version or "2021"):
            row = report.appeals.get(spec.path, {})
            out.append(f"     {spec.path:<24} " + " ".join(f"{_fmt(row.get(c)):>9}" for c in spec.columns))
    if result.findings:
        out.append("   findings:")
        for f in result.findings:
            out.append(f"     {f.severity.upper():<7} {f.rule:<14} {f.message}")
    else:
        out.append("   findings: none")
    return "\n".join(out)
