"""Seeds rendered as HTML / DOCX / DOC / PDF must parse to the same report as the seed text."""

from __future__ import annotations

import pytest

from nianbao.report import check_bytes
from tests.readers.conftest import Rendered
from tests.readers.render import seed_paths

STEMS = [p.stem for p in seed_paths()]
KEYS = ("agency", "year", "proactive", "applications", "appeals")


def _model(data: bytes, filename: str) -> dict:
    report = check_bytes(data, filename).report.to_dict()
    return {key: report[key] for key in KEYS}


@pytest.mark.parametrize("stem", STEMS)
@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_rendered_matches_seed(rendered: dict[str, Rendered], stem: str, fmt: str) -> None:
    item = rendered[stem]
    expected = _model(item.text, f"{stem}.txt")
    assert expected["applications"], "the seed itself must parse"
    assert _model(getattr(item, fmt), f"{stem}.{fmt}") == expected


# Seeds 002 and 004 have ragged tables (rows of 2-16 cells in one table): LibreOffice lays such rows out on
# column widths of their own, so a cell of one row spans several of the PDF grid's columns. The reader
# leaves those covered positions out (as for any merged cell) instead of giving them as blank cells.
@pytest.mark.libreoffice
@pytest.mark.timeout(180)
@pytest.mark.parametrize(("fmt", "stem"), [(fmt, s) for fmt in ("doc", "pdf") for s in STEMS])
def test_converted_matches_seed(office_files: dict[str, Rendered], stem: str, fmt: str) -> None:
    item = office_files[stem]
    assert _model(getattr(item, fmt), f"{stem}.{fmt}") == _model(item.text, f"{stem}.txt")


@pytest.mark.libreoffice
@pytest.mark.timeout(180)
def test_wps_is_read_through_libreoffice(office_files: dict[str, Rendered]) -> None:
    item = office_files[STEMS[0]]
    result = check_bytes(item.doc or b"", "2020年报告.wps")
    assert result.document.source_format == "wps"
    assert result.report.to_dict()["applications"] == _model(item.text, "seed.txt")["applications"]
