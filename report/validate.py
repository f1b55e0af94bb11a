"""Rules that a parsed report must satisfy (docs/report-model.md, "What the validator checks").

`validate(report)` runs every rule that needs only the report. `year_chain` and `deadline` need context
(last year's report, the publication date and today) and are called by the monitor with it.

Blank cells: a blank summand counts as 0 (that is what a blank means in these tables); a blank *stated
total* is not compared (there is nothing to compare) and is reported by `missing_value` instead. Rows the
parser could not read are never compared: they are reported by `unreadable`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from nianbao.report import labels
from nianbao.report.cells import MAX_CELL_DIGITS
from nianbao.report.deadlines import due_date
from nianbao.report.model import (
    APPEAL_COLUMNS,
    APPEAL_GROUPS,
    APPLICANT_COLUMNS,
    APPLICANT_PARTS,
    APPLICATION_ROWS,
    INTAKE_ROWS,
    PROACTIVE_ROWS,
    TOTAL_ROWS,
    Finding,
    Number,
    Report,
    Row,
    get_path,
)
from nianbao.report.printed import SECTION_NAMES, column_name, location_name, row_name
from nianbao.report.walk import application_shape

PERCENT_TOLERANCE = 0.1  # percentage points: covers rounding and truncation of one decimal


def validate(report: Report) -> list[Finding]:
    findings: list[Finding] = []
    for rule in (
        check_balance,
        check_outcome_total,
        check_column_total,
        check_appeals_total,
        check_non_negative,
        check_missing_values,
        check_format_version,
        check_text_vs_table,
        check_sections,
        check_unreadable,
        check_other_year,
        check_problems_empty,
        check_integer_counts,
        check_text_in_number,
        check_all_concluded,
    ):
        findings.extend(rule(report))
    return findings


# --- helpers -------------------------------------------------------------------------------------------


def _outcome_rows(report: Report) -> list[str]:
    """Paths of the outcome rows （一）…（六） in this report's shape (（六） is one row in 2019, three in 2021)."""
    return [r for r in APPLICATION_ROWS[application_shape(report.applications)] if r not in INTAKE_ROWS + TOTAL_ROWS]


def _row(report: Report, path: str) -> Row | None:
    row = get_path(report.applications, path)
    return row if isinstance(row, dict) and "total" in row else None


def _sum(values: Iterable[Number | None]) -> Number:
    total = sum(v or 0 for v in values)
    return round(total, 4) if isinstance(total, float) else total


def _all_blank(values: Iterable[Number | None]) -> bool:
    return all(v is None for v in values)


def row_total(row: Row) -> Number | None:
    """A row's 总计, or the sum of its applicant cells when the 总计 cell was left blank."""
    if row.get("total") is not None:
        return row["total"]
    parts = [row.get(c) for c in APPLICANT_PARTS]
    return None if _all_blank(parts) else _sum(parts)


def _sum_mismatch(stated: Number | None, summands: list[Number | None]) -> Number | None:
    """The sum of `summands` when it differs from `stated`; None when equal or there is nothing to compare
    (no stated figure, or every summand left blank)."""
    if stated is None or _all_blank(summands):
        return None
    expected = _sum(summands)
    return expected if expected != stated else None


def _all_rows_present(report: Report, paths: list[str]) -> list[Row] | None:
    rows = [_row(report, p) for p in paths]
    present = [r for r in rows if r is not None]
    return present if len(present) == len(rows) else None


# --- table three -------------------------------------------------------------------------------------


def check_balance(report: Report) -> list[Finding]:
    """一 + 二 = （七）总计 + 四, for every column (the 勾稽关系 printed above the table)."""
    rows = _all_rows_present(report, ["new_received", "carried_over", "total_handled", "carried_forward"])
    if rows is None:
        return []
    new, carried, handled, forward = rows
    findings = []
    for col in APPLICANT_COLUMNS:
        cells = [new[col], carried[col], handled[col], forward[col]]
        if all(c is None for c in cells) or (col == "total" and None in cells):
            continue  # a blank applicant cell means 0; a blank total is not a figure to check
        left, right = _sum(cells[:2]), _sum(cells[2:])
        if left != right:
            findings.append(Finding(
                "balance", "error",
                f"{column_name(col)}列：一、本年新收+二、上年结转={left}，"
                f"但（七）总计+四、结转下年度继续办理={right}",
                f"applications.total_handled.{col}", expected=left, actual=right,
            ))
    return findings


def check_outcome_total(report: Report) -> list[Finding]:
    """（七）总计 = the sum of the outcome rows （一）…（六）."""
    handled = _row(report, "total_handled")
    outcomes = _all_rows_present(report, _outcome_rows(report))
    if handled is None or outcomes is None:
        return []
    findings = []
    for col in APPLICANT_COLUMNS:
        stated = handled[col]
        expected = _sum_mismatch(stated, [row[col] for row in outcomes])
        if expected is not None:
            findings.append(Finding(
                "outcome_total", "error",
                f"{column_name(col)}列：（七）总计为{stated}，但（一）至（六）各项处理结果相加为{expected}",
                f"applications.total_handled.{col}", expected=expected, actual=stated,
            ))
    return findings


def _application_rows(report: Report) -> Iterable[tuple[str, Row]]:
    for path in dict.fromkeys(APPLICATION_ROWS["2019"] + APPLICATION_ROWS["2021"]):
        row = _row(report, path)
        if row is not None:
            yield path, row


def check_column_total(report: Report) -> list[Finding]:
    findings = []
    for path, row in _application_rows(report):
        stated = row["total"]
        expected = _sum_mismatch(stated, [row[c] for c in APPLICANT_PARTS])
        if expected is not None:
            findings.append(Finding(
                "column_total", "error",
                f"{row_name(path)}：总计为{stated}，但六类申请人相加为{expected}",
                f"applications.{path}.total", expected=expected, actual=stated,
            ))
    return findings


# --- part four -------------------------------------------------------------------------------------


def check_appeals_total(report: Report) -> list[Finding]:
    findings = []
    for group in APPEAL_GROUPS:
        row = report.appeals.get(group)
        if not row:
            continue
        expected = _sum_mismatch(row.get("total"), [row.get(c) for c in APPEAL_COLUMNS[:-1]])
        if expected is not None:
            findings.append(Finding(
                "appeals_total", "error",
                f"{row_name(group)}：总计为{row['total']}，但结果维持+结果纠正+其他结果+尚未审结={expected}",
                f"appeals.{group}.total", expected=expected, actual=row["total"],
            ))
    return findings


# --- cells ---------------------------------------------------------------------------------------------


def _all_cells(report: Report) -> Iterable[tuple[str, str, Number | None]]:
    """(row location, column, value) of every table cell present."""
    for key, row in report.proactive.items():
        for col, value in row.items():
            yield f"proactive.{key}", col, value
    for path, row in _application_rows(report):
        for col in APPLICANT_COLUMNS:
            yield f"applications.{path}", col, row[col]
    for group, row in report.appeals.items():
        for col in APPEAL_COLUMNS:
            yield f"appeals.{group}", col, row.get(col)


def check_non_negative(report: Report) -> list[Finding]:
    return [
        Finding("non_negative", "error", f"{location_name(f'{loc}.{col}')}为负数（{value}）", f"{loc}.{col}",
                expected=">= 0", actual=value)
        for loc, col, value in _all_cells(report)
        if value is not None and value < 0 and col != "change"  # 本年增/减 may be negative
    ]


def check_missing_values(report: Report) -> list[Finding]:
    blanks: dict[str, list[str]] = {}
    for loc, col, value in _all_cells(report):
        if value is None:
            blanks.setdefault(loc, []).append(col)
    return [
        Finding("missing_value", "warning",
                f"{location_name(loc)}：空白单元格（{'、'.join(column_name(c) for c in cols)}）", loc,
                expected="a number", actual=None)
        for loc, cols in blanks.items()
    ]


# --- shape, text, sections -------------------------------------------------------------------------


def check_format_version(report: Report) -> list[Finding]:
    if report.format_version is None:
        if report.applications or report.proactive:
            return [Finding("format_version", "warning", "表格形式与2019年版、2021年版全国统一格式均不相符",
                            "proactive")]
        return []
    findings = []
    if report.year and report.year >= 2021 and report.format_version == "2019":
        findings.append(Finding(
            "format_version", "error",
            f"{report.year}年度报告仍使用2019年版旧格式（2021年度起应使用2021年版格式）",
            "proactive", expected="2021", actual="2019",
        ))
    if "format" in report.unreadable:
        findings.append(Finding("format_version", "warning", report.unreadable["format"], "applications"))
    expected_keys = set(PROACTIVE_ROWS[report.format_version])
    if report.proactive and not set(report.proactive) <= expected_keys:
        findings.append(Finding("format_version", "warning", "第二部分混用了两版格式的行", "proactive"))
    return findings


def check_sections(report: Report) -> list[Finding]:
    return [
        Finding("sections", "warning", f"缺少“{SECTION_NAMES[n]}”部分", f"section.{n}", expected="present",
                actual="absent")
        for n in range(1, 7) if n not in report.sections_present
    ]


def check_unreadable(report: Report) -> list[Finding]:
    by_part: dict[str, list[str]] = {}
    findings: list[Finding] = []
    for location, reason in report.unreadable.items():
        if location == "format":
            continue
        part, _, row = location.partition(".")
        if not row:  # the whole part's table: no row to name
            findings.append(Finding("unreadable", "warning", f"{location_name(part)}无法读取：{reason}", part))
            continue
        by_part.setdefault(part, []).append(f"{row_name(row)}（{reason}）")
    return findings + [
        Finding("unreadable", "warning",
                f"{location_name(part)}有{len(rows)}行无法读取，未作校验：" + "；".join(rows),
                part, expected=None, actual=None)
        for part, rows in by_part.items()
    ]


def _claim_value(report: Report, keys: tuple[str, ...], tree: dict[str, Any], column: str = "total") -> Number | None:
    """The table figure a claim is about: the total column summed over rows or row groups."""
    total: Number = 0
    for key in keys:
        node = get_path(tree, key)
        if not isinstance(node, dict):
            return None
        rows = [node] if column in node else [r for r in node.values() if isinstance(r, dict)]
        values = [row_total(r) if tree is report.applications else r.get(column) for r in rows]
        if not rows or any(v is None for v in values):
            return None
        total += _sum(values)
    return total


def check_text_vs_table(report: Report) -> list[Finding]:
    """Counts and percentages stated in part 一 against table three (and part 四's totals)."""
    text = report.summary_text or ""
    if not text or not report.applications:
        return []
    text = re.sub(r"\s+", "", text)
    findings: list[Finding] = []
    consumed: list[tuple[int, int]] = []
    denominators = [d for d in (_claim_value(report, ("new_received",), report.applications),
                                _claim_value(report, ("total_handled",), report.applications)) if d]
    claims = [(p, k, report.applications) for p, k in labels.CLAIMS]
    claims += [(p, k, report.appeals) for p, k in labels.APPEAL_CLAIMS]
    for pattern, keys, tree in claims:
        for match in re.finditer(pattern, text):
            if any(s < match.end() and match.start() < e for s, e in consumed):
                continue
            consumed.append(match.span())
            if not _wider_scope(text, match.start()):
                findings.extend(_check_claim(match, keys, tree, report, denominators))
    return findings


def _wider_scope(text: str, start: int) -> bool:
    """Whether the clause leading to a claim names a wider scope than the agency ("全区…共受理…")."""
    before = text[max(0, start - labels.CLAIM_SCOPE_LOOKBACK): start]
    clause = re.split(r"[，,。；;：:]", before)[-1]
    return labels.CLAIM_SCOPE.search(clause) is not None


def _check_claim(match: re.Match[str], keys: tuple[str, ...], tree: dict[str, Any], report: Report,
                 denominators: list[Number]) -> list[Finding]:
    table_value = _claim_value(report, keys, tree)
    if table_value is None:
        return []
    digits = match.group("n").replace(",", "")
    if len(digits) > MAX_CELL_DIGITS:
        return []  # not a count: a run of digits int() may refuse (over 4,300 digits)
    stated = int(digits)
    where = ("appeals." if tree is report.appeals else "applications.") + keys[0]
    phrase = match.group(0)
    if stated != table_value:
        # "共受理申请N件" may count last year's carried-over applications too.
        alternative = _claim_value(report, ("new_received", "carried_over"), report.applications)
        if not (keys == ("new_received",) and stated == alternative):
            return [Finding("text_vs_table", "warning",
                            f"第一部分称“{phrase}”，但{'第四' if tree is report.appeals else '第三'}部分表格为{table_value}",
                            f"{where}.total", expected=table_value, actual=stated)]
    pct = match.groupdict().get("pct")
    if pct and denominators:
        stated_pct = float(pct)
        actual = [100 * table_value / d for d in denominators]
        if all(abs(stated_pct - a) > PERCENT_TOLERANCE + 0.05 for a in actual):
            return [Finding("text_vs_table", "warning",
                            f"第一部分称“{phrase}”，但{table_value}占申请数的{actual[-1]:.1f}%",
                            f"{where}.total", expected=round(actual[-1], 1), actual=stated_pct)]
    return []


# --- peer checks: the text against itself and the report's year ------------------------------------------

# "本单位2022年度…", "我局2022年…": the agency speaking of a year as its own. A later year is a plan ("我局2024年
# 将…"), an earlier one in a comparison ("较2022年", "与2022年相比") or a reference to an earlier report
# ("2022年度报告中…") is normal: those are not flagged.
_SELF_YEAR = re.compile(
    r"(?:本(?:单位|机关|部门|局|委|办|厅|院|中心|会|区|县|市|镇|乡|街道)|我(?:单位|机关|部门|局|委|办|厅|院|中心|会|区|县|市|镇|乡|街道))"
    r"(?P<year>(?:19|20)\d{2})\s*年度?")
_NOT_OWN_YEAR_AFTER = re.compile(r"[^，,。；;]{0,12}?(?:报告|相比|相较|比较|同比|以来|至今|起|底前|前)")
_COMPARISON_BEFORE = re.compile(r"(?:较|比|与|同|自|从|截至|截止)\s*$")


def check_other_year(report: Report) -> list[Finding]:
    """Part 一 stating an earlier year as the agency's own: last year's text left in this year's report."""
    text = re.sub(r"\s+", "", report.summary_text or "")
    if not report.year or not text:
        return []
    findings: list[Finding] = []
    for match in _SELF_YEAR.finditer(text):
        year = int(match.group("year"))
        if year >= report.year or _COMPARISON_BEFORE.search(text[max(0, match.start() - 2): match.start()]):
            continue
        if _NOT_OWN_YEAR_AFTER.match(text, match.end()):
            continue
        phrase = text[match.start(): match.end() + 12]
        findings.append(Finding(
            "other_year", "warning", f"第一部分称“{phrase}…”，年份与报告年度{report.year}年不符（可能沿用了往年报告的文字）",
            "section.1", expected=report.year, actual=year))
    return findings[:3]  # one copied paragraph names the year several times: the first few say it


_BARE_NONE = re.compile(r"^(?:无|暂无|没有|无问题|不存在问题)?[。.．]?$")


def check_problems_empty(report: Report) -> list[Finding]:
    """Part 五 present, but empty or a bare "无": every report must state its problems and improvements."""
    if 5 not in report.sections_present:
        return []  # an absent part is check_sections' finding
    text = re.sub(r"\s+", "", report.problems_text or "")
    if not _BARE_NONE.match(text):
        return []
    return [Finding("problems_empty", "warning", "“存在的主要问题及改进情况”部分为空或仅写“无”",
                    "section.5", expected="问题及改进措施", actual=report.problems_text or "")]


# Columns that hold money, where decimals are right; every other cell of the tables counts something.
_MONEY_COLUMNS = frozenset({"amount_10k_yuan", "total_amount"})


def check_integer_counts(report: Report) -> list[Finding]:
    """A count (documents, decisions, applications, cases) with a fraction: a misprint or a shifted cell."""
    return [
        Finding("integer_count", "error", f"{location_name(f'{loc}.{col}')}应为整数，实为{value}", f"{loc}.{col}",
                expected="整数", actual=value)
        for loc, col, value in _all_cells(report)
        if isinstance(value, float) and col not in _MONEY_COLUMNS and not value.is_integer()
    ]


def check_text_in_number(report: Report) -> list[Finding]:
    """A cell of table 二/三/四 holding words where a count belongs ("十二", "见附件", "12（注）"). The
    parser reads no number out of it: its row is unreadable and is not compared."""
    return [
        Finding("text_in_number", "error", f"{location_name(location)}应填写数字，实为文字“{words}”", location,
                expected="数字", actual=words)
        for location, words in report.text_cells.items()
    ]


# "所有申请均已办结", "全部申请已办结完毕", "无结转下年度的申请": nothing left for next year.
_ALL_CONCLUDED = re.compile(
    r"(?:所有|全部)[^，,。；;]{0,12}?(?:均|都|全部)?已(?:全部)?(?:办结|办理完毕|处理完毕|答复完毕)"
    r"|(?:无|没有)(?:结转|需结转)(?:至|到)?下(?:一)?年度?")
_IN_TIME = re.compile(r"按时|按期|期限内|时限内|及时")


def check_all_concluded(report: Report) -> list[Finding]:
    """The text says every application was concluded while table 三 carries some over to next year.
    A claim of timeliness ("均在法定期限内办结") is about time, not about what is left: not compared."""
    forward = _row(report, "carried_forward")
    total = row_total(forward) if forward else None
    if not total:
        return []
    for field in (report.summary_text, report.other_text):
        text = re.sub(r"\s+", "", field or "")
        for match in _ALL_CONCLUDED.finditer(text):
            if _IN_TIME.search(match.group(0)):
                continue
            return [Finding("all_concluded", "warning",
                            f"正文称“{match.group(0)}”，但第三部分“四、结转下年度继续办理”为{total}",
                            "applications.carried_forward.total", expected=0, actual=total)]
    return []


# --- a government's report against its departments' (called by the monitor) ------------------------------

def departments_sum(government: Report, departments: dict[str, Report | None]) -> list[Finding]:
    """A people's government's table 三 and part 四 against the sum of its departments' reports of the same
    year. `departments`: each department's name and its report, None when the monitor has none. Missing
    departments are named and nothing is compared: a partial sum proves nothing."""
    missing = [name for name, report in departments.items() if report is None]
    if missing:
        return [Finding("departments_sum", "warning",
                        f"{len(missing)}个部门尚无本年度报告，未能与部门报告合计核对：" + "、".join(missing),
                        "applications", expected=len(departments), actual=len(departments) - len(missing))]
    reports = [r for r in departments.values() if r is not None]
    if not reports:
        return []
    findings: list[Finding] = []
    for path in ("new_received", "carried_over", "total_handled", "carried_forward"):
        stated = _row(government, path)
        rows = [_row(r, path) for r in reports]
        if stated is None or stated["total"] is None or any(row is None or row_total(row) is None for row in rows):
            continue
        expected = _sum(row_total(row) for row in rows if row is not None)
        if expected != stated["total"]:
            findings.append(Finding(
                "departments_sum", "warning",
                f"{row_name(path)}总计为{stated['total']}，但{len(reports)}个部门报告合计为{expected}",
                f"applications.{path}.total", expected=expected, actual=stated["total"]))
    for group in APPEAL_GROUPS:
        stated_total = (government.appeals.get(group) or {}).get("total")
        totals = [(r.appeals.get(group) or {}).get("total") for r in reports]
        if stated_total is None or any(t is None for t in totals):
            continue
        expected = _sum(totals)
        if expected != stated_total:
            findings.append(Finding(
                "departments_sum", "warning",
                f"{row_name(group)}总计为{stated_total}，但{len(reports)}个部门报告合计为{expected}",
                f"appeals.{group}.total", expected=expected, actual=stated_total))
    return findings


# --- rules with context (called by the monitor) --------------------------------------------------------


def year_chain(previous: Report, current: Report) -> list[Finding]:
    """This year's 上年结转 must equal last year's 结转下年度继续办理, column by column."""
    before = get_path(previous.applications, "carried_forward")
    now = get_path(current.applications, "carried_over")
    if not isinstance(before, dict) or not isinstance(now, dict):
        return []
    findings = []
    for col in APPLICANT_COLUMNS:
        if before.get(col) is None or now.get(col) is None:
            continue
        if before[col] != now[col]:
            findings.append(Finding(
                "year_chain", "error",
                f"{column_name(col)}列：上年结转为{now[col]}，但{previous.year or '上一'}年度报告的"
                f"结转下年度继续办理为{before[col]}",
                f"applications.carried_over.{col}", expected=before[col], actual=now[col],
            ))
    return findings


def deadline(kind: str, year: int, published: date | None, *, now: date, grace_days: int = 0) -> list[Finding]:
    """Late (published after the due date) or missing (nothing by the due date). Nothing when not yet due."""
    due = due_date(kind, year, grace_days)
    if published is not None:
        if published > due:
            days = (published - due).days
            return [Finding("deadline", "error", f"{published.isoformat()}发布，晚于截止日期{due.isoformat()}"
                            f"{days}天", "published_date", expected=due.isoformat(),
                            actual=published.isoformat())]
        return []
    if now > due:
        return [Finding("deadline", "error", f"未找到{year}年度报告，应于{due.isoformat()}前发布",
                        "published_date", expected=due.isoformat(), actual=None)]
    return []
