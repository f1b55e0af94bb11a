"""Session fixtures: the five seeds rendered to every format once (LibreOffice runs once per target)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.readers.render import convert_many, parse_seed, seed_paths, to_docx, to_html


@dataclass
class Rendered:
    seed: Path
    text: bytes
    html: bytes
    docx: bytes
    doc: bytes | None = None
    pdf: bytes | None = None


def _need_soffice() -> None:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    out: dict[str, Rendered] = {}
    for seed in seed_paths():
        report = parse_seed(seed.read_text(encoding="utf-8"))
        out[seed.stem] = Rendered(seed, seed.read_bytes(), to_html(report), to_docx(report))
    return out


@pytest.fixture(scope="session")
def office_files(rendered: dict[str, Rendered], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """DOC and PDF of every seed, converted from the DOCX by real LibreOffice (one run per format)."""
    _need_soffice()
    work = tmp_path_factory.mktemp("office")
    sources = []
    for stem, item in rendered.items():
        path = work / f"{stem}.docx"
        path.write_bytes(item.docx)
        sources.append(path)
    for target in ("doc", "pdf"):
        for path in convert_many(sources, target, work / target):
            setattr(rendered[path.stem], target, path.read_bytes())
    return rendered
