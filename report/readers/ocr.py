"""Offline OCR of page images (scanned reports, tables pasted as pictures), with rapidocr's PP-OCR models.

The models ship inside the rapidocr wheel and run on onnxruntime with one thread (the crawl's parallelism
decides how many cores are busy); nothing is downloaded at run time. The angle classifier is off: report
pages are upright, and the classifier turns a lone 6 into a 9.

A page image becomes what the PDF reader gets from a text layer: positioned text and ruling lines.
1. The red channel is kept as the grey image: a red seal stamped over the table turns white, black text
   stays black (the drop-out scanners use).
2. The skew is measured from the ink's row profile (sheared by each candidate angle, the sharpest profile
   wins) and undone.
3. Ruling lines are the long runs of ink along rows and columns; they become the `Edge`s the PDF table
   finder takes (report/readers/pdf_layout.py), in points, so that the tables come out of the same code.
4. Each text box found by the detector is recognised; each character read, with its box and confidence,
   becomes one positioned character (`Char`), whose confidence is kept by its box.
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from nianbao.report.readers.pdf_layout import Char, Edge

DPI = 150  # pages are rendered (or scaled) to this resolution before OCR
MAX_SIDE = 2600  # pixels; a larger picture is scaled down first (bounds the detector's work and memory)
MIN_SIDE = 40
# The detector only finds where text is: it runs on the page scaled to this longest side (a 150 dpi A4 page
# is 1754 px), which costs a third less than the full page and finds the same boxes; the boxes are cut from
# the full-resolution page for the recogniser.
DETECT_SIDE = 1536
# The recogniser pads every box of a batch to at least this width (rapidocr's default, 320 px, is the width
# of a text line): a table's numbers are 20-100 px wide, so most of its work went into padding.
RECOGNISE_MIN_WIDTH = 160
# One box at a time: a batch is padded to its widest box, and a batch of six lines of prose (48 x 2000 px
# each) took ~0.5 GB of activations; measured no slower on one core.
RECOGNISE_BATCH = 1
_INK = 140  # grey level below which a pixel is ink
_RULING_CONTRAST = 40  # grey levels below the paper's for a pixel of a ruling line
_MAX_SKEW = 5.0  # degrees searched either way
_LINE_FRACTION = 25  # a ruling line is at least 1/25 of the page's width (or height) long
_MAX_RUNS = 20_000
_MAX_GAP = 2  # pixels: a ruling line broken by less is one line
LOW_CONFIDENCE = 0.9  # a reading below this is doubtful


@dataclass
class OcrPage:
    chars: list[Char]  # one per text box: its whole text, its box in points
    edges: list[Edge]  # ruling lines in points
    confidence: dict[tuple[float, float], float]  # (x0, top) of a box -> the recogniser's confidence
    width: float
    height: float


@functools.cache
def _engine() -> Any:
    from rapidocr import RapidOCR  # loaded on first use: half a second, and only scanned pages need it

    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    engine = RapidOCR(params={
        "Global.use_cls": False,
        "Global.log_level": "error",
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        "EngineConfig.onnxruntime.enable_cpu_mem_arena": False,
        "Det.limit_type": "max",
        "Det.limit_side_len": DETECT_SIDE,
        "Rec.rec_img_shape": [3, 48, RECOGNISE_MIN_WIDTH],
        "Rec.rec_batch_num": RECOGNISE_BATCH,
    })
    # rapidocr takes no session options beyond the arena and threads: its sessions are made again.
    for load in ("_load_det_model", "_load_rec_model"):
        model = getattr(engine, load)()
        model.session.session = _lean_session(model.session.session)
    return engine


def _lean_session(session: Any) -> Any:
    """The model's session again, without the memory pattern rapidocr leaves on: the pattern plans one
    buffer per input shape and keeps it, and every page and batch of text boxes has a shape of its own."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy wait on a shared core
    options.log_severity_level = 4
    return onnxruntime.InferenceSession(session._model_path, sess_options=options,
                                        providers=["CPUExecutionProvider"])


def read_image(image: Image.Image, dpi: float = DPI) -> OcrPage:
    """OCR one page image whose resolution is `dpi` (a picture of unknown resolution: any plausible one)."""
    image = _bounded(image)
    grey = _drop_red(image)
    angle = skew_angle(grey)
    if abs(angle) >= 0.05:
        grey = grey.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=255, expand=False)
    pixels = np.asarray(grey)
    scale = 72.0 / dpi
    # Rulings are often grey and thin (a browser's default border): ink for them is anything clearly darker
    # than the paper; a speckle of noise makes no long run.
    paper = float(np.median(pixels))
    edges = ruling_edges(pixels < paper - _RULING_CONTRAST, scale)
    # Characters come with their own boxes: a text box the detector drew across a ruling line (two numbers
    # close to the line between their cells) is cut there, each piece one positioned text.
    result = _engine()(np.stack([pixels] * 3, axis=-1), use_cls=False, return_word_box=True,
                       return_single_char_box=True)
    verticals = [edge for edge in edges if edge.vertical]
    chars: list[Char] = []
    confidence: dict[tuple[float, float], float] = {}
    for line in result.word_results or ():
        for piece in _pieces(line, scale, verticals):
            text = "".join(text for text, _, _ in piece)
            x0, top = min(box[0] for _, _, box in piece), min(box[1] for _, _, box in piece)
            x1, bottom = max(box[2] for _, _, box in piece), max(box[3] for _, _, box in piece)
            chars.append((text, x0, x1, top, bottom, (x0 + x1) / 2, (top + bottom) / 2))
            confidence[x0, top] = min(score for _, score, _ in piece)
    height, width = pixels.shape
    return OcrPage(chars, edges, confidence, width * scale, height * scale)


Piece = list[tuple[str, float, tuple[float, float, float, float]]]  # (character, confidence, box in points)


def _pieces(line: Any, scale: float, verticals: list[Edge]) -> list[Piece]:
    """One recognised line's characters, cut where a vertical ruling line passes between two of them."""
    pieces: list[Piece] = []
    for text, score, quad in line:
        text = str(text).strip()
        if not text or not quad:
            continue
        xs, ys = [p[0] * scale for p in quad], [p[1] * scale for p in quad]
        box = (min(xs), min(ys), max(xs), max(ys))
        if pieces and not _ruled_between(pieces[-1][-1][2], box, verticals):
            pieces[-1].append((text, float(score), box))
        else:
            pieces.append([(text, float(score), box)])
    return pieces


def _ruled_between(left: tuple[float, float, float, float], right: tuple[float, float, float, float],
                   verticals: list[Edge]) -> bool:
    middle = (left[1] + left[3]) / 2
    low, high = min(left[2], right[0]) - 1.0, max(left[2], right[0]) + 1.0
    return any(low <= edge.at <= high and edge.start <= middle <= edge.end for edge in verticals)


def _bounded(image: Image.Image) -> Image.Image:
    if min(image.size) < MIN_SIDE:
        raise ValueError("image too small to read")
    longest = max(image.size)
    if longest > MAX_SIDE:
        factor = MAX_SIDE / longest
        image = image.resize((max(1, round(image.width * factor)), max(1, round(image.height * factor))),
                             Image.Resampling.LANCZOS)
    return image


def _drop_red(image: Image.Image) -> Image.Image:
    """The red channel as a grey image: red (a seal) becomes light, black stays black."""
    if image.mode in ("1", "L", "I", "F", "I;16"):
        return image.convert("L")
    return image.convert("RGB").getchannel("R")


def skew_angle(grey: Image.Image) -> float:
    """Degrees to rotate the page by (counter-clockwise) to level its text lines and rulings: the angle whose
    shear gives the row profile of the ink with the sharpest peaks, searched on a quarter-size image."""
    small = grey.resize((max(1, grey.width // 4), max(1, grey.height // 4)), Image.Resampling.BOX)
    ys, columns = np.nonzero(np.asarray(small) < _INK)
    if len(columns) < 50:
        return 0.0
    xs = columns - small.width / 2  # sheared about the middle: the page's centre stays in place

    def sharpness(degrees: float) -> float:
        rows = np.round(ys + xs * math.tan(math.radians(degrees))).astype(np.int64)
        counts = np.bincount(rows - rows.min())
        return float(np.dot(counts, counts))

    coarse = max(np.arange(-_MAX_SKEW, _MAX_SKEW + 1e-9, 0.25), key=sharpness)
    best = float(max(np.arange(coarse - 0.25, coarse + 0.25 + 1e-9, 0.05), key=sharpness))
    # The shear that levels lines sloping down to the right (y grows with x) is a counter-clockwise turn.
    return -best


def ruling_edges(ink: np.ndarray, scale: float) -> list[Edge]:
    """Horizontal and vertical runs of ink long enough to be ruling lines, as edges in points (pixels times
    `scale`)."""
    height, width = ink.shape
    edges = [Edge(False, row * scale, start * scale, end * scale)
             for row, start, end in _runs(ink, max(20, width // _LINE_FRACTION))]
    edges += [Edge(True, column * scale, start * scale, end * scale)
              for column, start, end in _runs(ink.T, max(20, height // _LINE_FRACTION))]
    return edges if len(edges) <= _MAX_RUNS else []


def _runs(ink: np.ndarray, min_length: int) -> list[tuple[int, int, int]]:
    """(row, start, end) of every run of ink along the rows at least min_length long, runs parted by gaps
    of up to _MAX_GAP pixels joined (a scanned line is broken by noise and by the paper's grain)."""
    padded = np.zeros((ink.shape[0], ink.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = ink
    change = np.diff(padded, axis=1)
    rows, starts = np.nonzero(change == 1)
    _, ends = np.nonzero(change == -1)  # same order: runs alternate within a row
    if len(rows) == 0:
        return []
    # A new joined run begins at a new row or after a wider gap.
    begins = np.ones(len(rows), dtype=bool)
    begins[1:] = (rows[1:] != rows[:-1]) | (starts[1:] - ends[:-1] > _MAX_GAP)
    first = np.nonzero(begins)[0]
    last = np.append(first[1:], len(rows)) - 1
    joined_rows, joined_starts, joined_ends = rows[first], starts[first], ends[last]
    long = (joined_ends - joined_starts) >= min_length
    return list(zip(joined_rows[long].tolist(), joined_starts[long].tolist(), joined_ends[long].tolist(),
                    strict=True))


def cell_confidence(box: tuple[float, float, float, float], page: OcrPage) -> float | None:
    """The lowest confidence of the text boxes whose centre lies in this cell; None when none does."""
    x0, top, x1, bottom = box
    found = [page.confidence.get((c[1], c[3]), 1.0) for c in page.chars
             if x0 <= c[5] <= x1 and top <= c[6] <= bottom]
    return min(found) if found else None
