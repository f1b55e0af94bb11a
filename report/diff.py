"""Readable differences between two versions of a report.

Text: the standard library's difflib (unified diff for mail and terminals, HtmlDiff side by side for the
dashboard). Figures: every table cell of the canonical model (walked by report/walk.py), old value -> new
value, so a reader sees "applications.granted.total: 12 -> 14" instead of hunting through text.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from nianbao.report.model import get_path
from nianbao.report.walk import table_rows

# Metadata fields worth reporting when they change between versions.
META_FIELDS = ("agency", "year", "format_version", "published_date")
TEXT_FIELDS = ("summary_text", "problems_text", "other_text")


@dataclass(frozen=True)
class CellChange:
    location: str  # dotted path as in findings, e.g. "applications.granted.total"
    old: Any
    new: Any

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.location}: {_show(self.old)} -> {_show(self.new)}"


def _show(value: Any) -> str:
    return "blank" if value is None else str(value)


def _unique(items: Iterator[str]) -> list[str]:
    return list(dict.fromkeys(items))


def cell_paths(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every table cell path of either model's format, in document order."""
    formats = _unique(f for f in (old.get("format_version"), new.get("format_version"), "2021", "2019") if f)
    paths: list[str] = []
    for part in ("proactive", "applications", "appeals"):
        for fmt in formats:
            paths += [path for row in table_rows(part, fmt) for path in row.cell_paths()]
    return _unique(iter(paths))


def figure_changes(old: dict[str, Any], new: dict[str, Any]) -> list[CellChange]:
    """Cells (and metadata) whose value differs between two models (`Report.to_dict()` shape)."""
    changes = [CellChange(name, old.get(name), new.get(name)) for name in META_FIELDS if old.get(name) != new.get(name)]
    for path in cell_paths(old, new):
        before, after = get_path(old, path), get_path(new, path)
        if before != after and not (isinstance(before, dict) or isinstance(after, dict)):
            changes.append(CellChange(path, before, after))
    return changes


def model_text(model: dict[str, Any]) -> str:
    """The text parts of a model, as a fallback when the documents themselves cannot be re-read."""
    parts = [f"[{name}]\n{model.get(name) or ''}" for name in TEXT_FIELDS]
    return "\n\n".join(parts)


def unified_text_diff(old_text: str, new_text: str, *, old_label: str = "old", new_label: str = "new",
                      context: int = 2) -> str:
    """A unified diff of two texts ('' when they are the same)."""
    lines = difflib.unified_diff(
        old_text.splitlines(), new_text.splitlines(), fromfile=old_label, tofile=new_label, n=context, lineterm=""
    )
    return "\n".join(lines)


def html_side_by_side(old_text: str, new_text: str, *, old_label: str = "old", new_label: str = "new",
                      context: int = 2) -> str:
    """An HTML table showing the two texts side by side, only around the changes."""
    differ = difflib.HtmlDiff(wrapcolumn=60)
    return differ.make_table(
        old_text.splitlines(), new_text.splitlines(), old_label, new_label, context=True, numlines=context
    )


@dataclass
class VersionDiff:
    figures: list[CellChange]
    text_unified: str
    text_html: str

    @property
    def changed(self) -> bool:
        return bool(self.figures or self.text_unified)

    def summary(self, limit: int = 10) -> list[str]:
        """Short lines for a digest: the first `limit` figure changes."""
        lines = [str(c) for c in self.figures[:limit]]
        if len(self.figures) > limit:
            lines.append(f"... and {len(self.figures) - limit} more cells")
        return lines


def diff_models(old: dict[str, Any], new: dict[str, Any], *, old_text: str | None = None,
                new_text: str | None = None, old_label: str = "old", new_label: str = "new") -> VersionDiff:
    """Figures and text differences; texts default to the models' text parts."""
    before = old_text if old_text is not None else model_text(old)
    after = new_text if new_text is not None else model_text(new)
    return VersionDiff(
        figures=figure_changes(old, new),
        text_unified=unified_text_diff(before, after, old_label=old_label, new_label=new_label),
        text_html=html_side_by_side(before, after, old_label=old_label, new_label=new_label),
    )


def document_text(store: Any, version: Any) -> str | None:
    """The text of a stored version, re-read from its bytes (None when it cannot be read)."""
    from nianbao.report.readers import UnreadableDocument, read_document

    try:
        data = store.blobs.get(version.sha256)
        return read_document(data, filename=version.url.rsplit("/", 1)[-1] or None).text
    except (UnreadableDocument, OSError, KeyError, ValueError):
        return None


def diff_versions(store: Any, old_version_id: int, new_version_id: int) -> VersionDiff:
    """The readable diff of two stored versions: figures from their models, text from their documents
    (falling back to the models' text parts when a document cannot be re-read)."""
    old, new = store.get_version(old_version_id), store.get_version(new_version_id)
    if old is None or new is None:
        raise KeyError(f"no version {old_version_id if old is None else new_version_id}")
    return diff_models(
        old.model or {}, new.model or {}, old_text=document_text(store, old), new_text=document_text(store, new),
        old_label=f"v{old.number} {old.fetched_at:%Y-%m-%d}", new_label=f"v{new.number} {new.fetched_at:%Y-%m-%d}",
    )
