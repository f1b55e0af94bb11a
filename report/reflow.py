"""Text parts as paragraphs, for reading: a PDF's text comes out with a line break wherever the printed line
ended (every ~35-40 characters); a reader wants the paragraphs back.

Presentation only: the stored text keeps its lines (the validator and the diff read it as extracted). A
text is treated as wrapped when many of its lines are nearly as wide as its widest usual line; then a
line that fills the width runs on into the next one, and a short line, a blank line or a line starting a
heading or an enumeration (一、 （二） 3. 三是) ends a paragraph. Text that is not wrapped (an HTML page, one
paragraph a line) is returned line by line, unchanged.
"""

from __future__ import annotations

import re
import unicodedata

# A line starting one of these begins a new paragraph even after a full line.
PARAGRAPH_START = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d{1,2}[、.．](?!\d)"
    r"|[一二三四五六七八九十]是|第[一二三四五六七八九十]+[、，,])"
)
MIN_WRAPPED_LINES = 3
# Printed lines hold 25-60 Chinese characters (display width 50-120); wider "lines" are paragraphs already.
WIDTH_RANGE = (40, 130)
FULL_SHARE = 0.85  # a line at least this share of the usual width fills it


def display_width(line: str) -> int:
    """Columns the line takes in print: Chinese characters and full-width punctuation count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def _usual_width(widths: list[int]) -> int | None:
    """The width of a full line if the text looks wrapped at a fixed width, else None."""
    candidates = sorted(w for w in widths if w > 0)
    if len(candidates) < MIN_WRAPPED_LINES:
        return None
    width = candidates[int(len(candidates) * 0.8) - 1 if len(candidates) >= 5 else -1]
    if not WIDTH_RANGE[0] <= width <= WIDTH_RANGE[1]:
        return None
    near = sum(1 for w in candidates if FULL_SHARE * width <= w <= width * 1.15)
    return width if near >= max(MIN_WRAPPED_LINES, len(candidates) * 0.4) else None


def _join(left: str, right: str) -> str:
    # Latin words broken at the line end keep a space between them; Chinese runs on without one.
    if left and right and left[-1].isascii() and left[-1].isalnum() and right[0].isascii() and right[0].isalnum():
        return f"{left} {right}"
    return left + right


def paragraphs(text: str | None) -> list[str]:
    """The paragraphs of a text part (empty lines dropped; unwrapped text: one paragraph a line)."""
    lines = [line.strip() for line in (text or "").splitlines()]
    width = _usual_width([display_width(line) for line in lines])
    if width is None:
        return [line for line in lines if line]
    result: list[str] = []
    current = ""
    for line in lines:
        if not line:
            if current:
                result.append(current)
            current = ""
            continue
        if current and PARAGRAPH_START.match(line):
            result.append(current)
            current = ""
        current = _join(current, line)
        if display_width(line) < FULL_SHARE * width:  # a short line ends its paragraph
            result.append(current)
            current = ""
    if current:
        result.append(current)
    return result
