"""Choose a reader from the bytes. Placeholder until the readers land: text only."""

from __future__ import annotations

from monitor.readers import Document, UnreadableDocument
from monitor.readers.text import decode_text


def read_document(data: bytes, filename: str | None = None) -> Document:
    if not data.strip():
        raise UnreadableDocument("empty file")
    return Document(text=decode_text(data), source_format="text")
