"""Hostile documents (issue 11): shared inputs."""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CORPUS_REPORT = (FIXTURES / "corpus" / "002_huaian_hongze_district_2023.txt").read_text(encoding="utf-8")
