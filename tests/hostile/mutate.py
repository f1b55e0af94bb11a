"""A mutation fuzzer over report documents: seeds from tests/fixtures (text, HTML, DOCX, PDF) and byte- or
structure-level changes that have broken readers before (long digit runs, runs of spaces, deep nesting,
truncation, stray NULs). Deterministic for a given random.Random; used by tests/hostile/test_fuzz.py and
bench/fuzz.py."""

from __future__ import annotations

import functools
import io
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tests.readers.render import parse_seed, seed_paths, to_docx, to_html

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# Insertions that stressed a reader or the parser once.
_NASTY = [b"1" * 130 + b" 5", b" " * 4000, b"\n" * 3000, b"|" * 500, b"<div>" * 300, b"\x00" * 64,
          b"9" * 5000, b"\t" * 1000, b"\xff\xfe", "一、本年新收政府信息公开申请数量".encode(), b"x" * 40,
          b"<table><tr><td>" * 50, b"0" * 30, b"&#" + b"9" * 30 + b";", b"%PDF-1.4", b"PK\x03\x04"]


@dataclass(frozen=True)
class Seed:
    name: str
    kind: str  # text | html | docx | pdf
    data: bytes

    @property
    def filename(self) -> str:
        return f"{self.name}.{'txt' if self.kind == 'text' else self.kind}"


@functools.cache
def seeds() -> tuple[Seed, ...]:
    found = [Seed(p.stem, "text", p.read_bytes()) for p in sorted((FIXTURES / "corpus").glob("*.txt"))]
    found += [Seed(p.stem, "pdf", p.read_bytes()) for p in sorted((FIXTURES / "corpus").glob("*.pdf"))]
    for path in seed_paths():
        report = parse_seed(path.read_text(encoding="utf-8"))
        found += [Seed(path.stem, "text", path.read_bytes()), Seed(path.stem, "html", to_html(report)),
                  Seed(path.stem, "docx", to_docx(report))]
    return tuple(found)


def mutate(seed: Seed, rng: random.Random) -> tuple[bytes, str]:
    """A changed copy of the seed and a short name of what was done."""
    if seed.kind == "docx" and rng.random() < 0.7:
        return _mutate_docx(seed.data, rng)
    data, done = seed.data, []
    for _ in range(rng.randint(1, 4)):
        data, name = _mutate_bytes(data, rng)
        done.append(name)
    return data, "+".join(done)


def _mutate_bytes(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    if not data:
        return rng.choice(_NASTY), "nasty"
    at = rng.randrange(len(data))
    span = rng.randint(1, max(1, min(len(data) - at, rng.choice([1, 16, 256, 4096]))))
    choice = rng.randrange(8)
    if choice == 0:
        return data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1:], "flip"
    if choice == 1:
        return data[:at] + data[at + span:], "delete"
    if choice == 2:
        return data[:at] + data[at: at + span] * rng.randint(2, 50) + data[at + span:], "repeat"
    if choice == 3:
        return data[:at] + rng.choice(_NASTY) + data[at:], "nasty"
    if choice == 4:
        return data[:at], "truncate"
    if choice == 5:
        return data[:at] + rng.randbytes(span) + data[at + span:], "random"
    if choice == 6:
        digits = str(rng.randrange(10 ** rng.randint(1, 40))).encode()
        return data[:at] + digits + data[at:], "digits"
    other = rng.choice(seeds()).data
    cut = rng.randrange(len(other)) if other else 0
    return data[:at] + other[cut:], "splice"


def _mutate_docx(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Change word/document.xml inside the archive, so the XML reader (not only unzip) is exercised."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    xml = members["word/document.xml"]
    for _ in range(rng.randint(1, 3)):
        xml, _name = _mutate_bytes(xml, rng)
    members["word/document.xml"] = xml
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return out.getvalue(), "docx-xml"
