"""Report bytes for storage tests, derived from the real seed reports (tests/fixtures/seeds)."""

from __future__ import annotations

from tests.conftest import load_seed

DONGGUAN = "000"  # 东莞市统计局 2020, 2019 format, tables balance, 上年结转 and 结转下年度 all 0


def dongguan(year: int = 2020, carried_forward: int | None = None, extra: str = "") -> bytes:
    """The 东莞 report re-dated to `year`, optionally with 结转下年度继续办理 (natural persons and total)
    set to `carried_forward`, and with `extra` text appended (a changed version of the same report)."""
    text = load_seed(DONGGUAN).decode("utf-8").replace("2020年", f"{year}年")
    if carried_forward is not None:
        lines = text.split("\n")
        row = next(i for i, line in enumerate(lines) if line.strip() == "四、结转下年度继续办理")
        # Seven cells follow the label: six applicant columns, then the total.
        lines[row + 1] = f"\t{carried_forward}"
        lines[row + 7] = f"\t{carried_forward}"
        text = "\n".join(lines)
    return (text + extra).encode("utf-8")
