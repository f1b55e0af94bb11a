"""How many table cells of the real corpus (tests/fixtures/corpus) the parser recovers.

A cell counts as recovered when its row was read (a blank cell read as blank counts: it was read).
Rows the parser declares unreadable count as lost. Run: python3 bench/corpus_cells.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from nianbao.report import check_bytes
from nianbao.report.model import Report, get_path
from nianbao.report.walk import RowSpec, model_rows

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "corpus"


def count(path: Path) -> tuple[int, int, int]:
    data = path.read_bytes()
    if data.startswith(b"SOURCE:"):
        data = data.split(b"\n", 1)[1]
    result = check_bytes(data, path.name)
    report = result.report
    total = recovered = 0
    for row in model_rows(report):
        total += len(row.columns)
        recovered += len(row.columns) if _was_read(report, row) else 0
    errors = sum(f.severity == "error" for f in result.findings)
    return recovered, total, errors


def _was_read(report: Report, row: RowSpec) -> bool:
    if row.part == "proactive":
        return row.path in report.proactive
    if row.part == "applications":
        return bool(get_path(report.applications, row.path))
    return bool(report.appeals)  # part 四 is read whole or not at all


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
