"""How many table cells of the real corpus (tests/fixtures/corpus) the parser recovers.

A cell counts as recovered when its row was read (a blank cell read as blank counts: it was read).
Rows the parser declares unreadable count as lost. Run: python3 bench/corpus_cells.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from nianbao.report import check_bytes
from nianbao.report.model import (
    APPEAL_COLUMNS,
    APPEAL_GROUPS,
    APPLICANT_COLUMNS,
    APPLICATION_ROWS,
    PROACTIVE_ROWS,
    get_path,
)

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "corpus"


def count(path: Path) -> tuple[int, int, int]:
    data = path.read_bytes()
    if data.startswith(b"SOURCE:"):
        data = data.split(b"\n", 1)[1]
    result = check_bytes(data, path.name)
    report = result.report
    version = report.format_version or "2021"
    shape = "2019" if "total" in (report.applications.get("other") or {}) else "2021"
    total = recovered = 0
    for key, cols in PROACTIVE_ROWS[version].items():
        total += len(cols)
        recovered += len(cols) if key in report.proactive else 0
    for path_key in APPLICATION_ROWS[shape]:
        total += len(APPLICANT_COLUMNS)
        recovered += len(APPLICANT_COLUMNS) if get_path(report.applications, path_key) else 0
    total += len(APPEAL_GROUPS) * len(APPEAL_COLUMNS)
    recovered += len(APPEAL_GROUPS) * len(APPEAL_COLUMNS) if report.appeals else 0
    errors = sum(f.severity == "error" for f in result.findings)
    return recovered, total, errors


def main() -> None:
    grand = [0, 0]
    print(f"{'document':<44} {'cells':>11} {'errors':>6}")
    for path in sorted(CORPUS.iterdir()):
        if path.suffix not in {".txt", ".pdf"}:
            continue
        recovered, total, errors = count(path)
        grand[0] += recovered
        grand[1] += total
        print(f"{path.name:<44} {recovered:>5}/{total:<5} {errors:>6}")
    print(f"{'all':<44} {grand[0]:>5}/{grand[1]:<5} ({100 * grand[0] / grand[1]:.1f}%)")
    sys.exit(0)


if __name__ == "__main__":
    main()
