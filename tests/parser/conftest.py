from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def document_bytes(path: Path) -> bytes:
    """A fixture file's bytes; the corpus .txt files start with a SOURCE line that is not the document."""
    data = path.read_bytes()
    if data.startswith(b"SOURCE:"):
        data = data.split(b"\n", 1)[1]
    return data


@pytest.fixture
def seed():
    return lambda name: document_bytes(FIXTURES / "seeds" / name)


@pytest.fixture
def corpus():
    return lambda name: document_bytes(FIXTURES / "corpus" / name)
