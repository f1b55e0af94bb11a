"""PP-OCR's text-line recogniser (the model rapidocr's wheel ships), run on onnxruntime directly.

Only the recogniser is used: report/readers/ocr.py finds the lines of text itself (the cells of ruled tables,
the ink's row profile elsewhere), so the detector never runs. rapidocr is not imported either: its import
alone took 1.6 s of CPU (configuration and model registries), a third of the budget of a whole scanned
report; this module needs only its model file and the model's character list (in the model's metadata).

A crop is a grey image of one line of text. It is scaled to the model's height (48 px) keeping its aspect,
normalised as PaddleOCR trains the model, batched with crops of similar width (a batch is padded to its
widest) and decoded greedily (CTC: the best class of each column, repeats and blanks dropped). The
confidence of a line is the mean probability of its characters, as rapidocr computes it.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

MODEL = "PP-OCRv6_rec_small.onnx"  # rapidocr's default Chinese recogniser, in its wheel's models folder
HEIGHT = 48  # the model's input height (fixed by the model)
# A crop narrower than this is padded to it: a lone digit scaled to 48 px high is ~25 px wide, and the model
# reads a too short input badly (a 0 as nothing); rapidocr pads to 320 (a whole line), a table's cells
# mostly hold 1-4 digits and padding was most of their cost.
MIN_WIDTH = 64
MAX_WIDTH = 3200  # px at height 48: a longer crop is squeezed to it (a line of prose is ~2,000)
# The recogniser's cost is per column of its input, and a line of text (a crop wider than LONG times its
# height: labels, prose) reads as well squeezed to SQUEEZE_LONG of its width (~2.5 output columns a Chinese
# character; measured: the test scans' 200 cells stay right). A short crop (a cell's figure) is not squeezed:
# a repeated digit needs a blank column between its two readings, and "3331" squeezed read as "331".
SQUEEZE = 1.0
SQUEEZE_LONG = 0.6
LONG = 5
# Crops are laid side by side in strips of STRIP_COLUMNS, GAP columns of paper (one output column) between
# two: one input per cell was mostly padding to MIN_WIDTH and overhead.
GAP = 8
STRIP_COLUMNS = 640
BATCH_SPREAD = 1.25
BATCH_COLUMNS = 2400


@functools.cache
def _model() -> tuple[Any, list[str]]:
    """The onnxruntime session and the model's classes (0: the CTC blank; the last: a space)."""
    import onnxruntime  # imported on first use: only scanned pages need it

    options = onnxruntime.SessionOptions()
    # The arena reuses its buffers from batch to batch. Without it each large tensor (the classifier's
    # ~18k probabilities a column) came from malloc, and whether glibc reused freed pages or handed out
    # fresh ones (each faulted in again) depended on the heap's layout: the same code installed in two
    # folders took 93k or 145-270k page faults for a 6-page scan, up to 1.4 s more CPU and ~60 MB more
    # memory (bench/ocr_check.py). Memory patterns plan one layout per input shape, and every batch has a
    # shape of its own: off.
    options.enable_cpu_mem_arena = True
    options.enable_mem_pattern = False
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    # One thread: the crawl's parallelism decides how many cores are busy.
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy wait on a shared core
    options.log_severity_level = 4
    session = onnxruntime.InferenceSession(str(_model_path()), sess_options=options,
                                           providers=["CPUExecutionProvider"])
    characters = session.get_modelmeta().custom_metadata_map["character"].splitlines()
    return session, ["", *characters, " "]


def _model_path() -> Path:
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("rapidocr is not installed: its wheel holds the OCR model")
    return Path(next(iter(spec.submodule_search_locations))) / "models" / MODEL


def recognise(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """The text and confidence of each crop (grey uint8 images, dark text on light paper), in order."""
    scaled = [_scaled(crop) for crop in crops]
    out: list[tuple[str, float]] = [("", 0.0)] * len(crops)
    strips = _strips([image.shape[1] for image in scaled])
    for batch in _batches([strip[-1][2] for strip in strips]):
        images = [_strip_image([scaled[i] for i, _, _ in strips[s]]) for s in batch]
        for s, columns in zip(batch, _run(images), strict=True):
            for index, start, end in strips[s]:
                out[index] = _text_between(columns, start, end)
    return out


def columns(width: int, height: int) -> int:
    """The columns of the model's input a crop of this size takes (its cost: ~0.15 ms of CPU a column)."""
    squeeze = SQUEEZE_LONG if width > LONG * height else SQUEEZE
    return min(MAX_WIDTH, max(1, round(width * squeeze * HEIGHT / max(1, height)))) + GAP


def _scaled(crop: np.ndarray) -> np.ndarray:
    """The crop at the model's height, its width in proportion times SQUEEZE (at most MAX_WIDTH), as floats
    in [-1, 1]."""
    height, width = crop.shape
    squeeze = SQUEEZE_LONG if width > LONG * height else SQUEEZE
    target = min(MAX_WIDTH, max(1, round(width * squeeze * HEIGHT / max(1, height))))
    image = Image.fromarray(crop).resize((target, HEIGHT), Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=np.float32) / 127.5 - 1.0


Strip = list[tuple[int, int, int]]  # (crop, first column, end column) of each crop laid in one strip


def _strips(widths: list[int]) -> list[Strip]:
    """Crops laid side by side in strips of up to STRIP_COLUMNS, GAP columns of paper between two, in the
    page's order: a table's cells mostly hold a few digits, and one input per cell was mostly padding
    (the model needs MIN_WIDTH to read a lone digit) and overhead."""
    strips: list[Strip] = []
    for index, width in enumerate(widths):
        if strips and strips[-1][-1][2] + GAP + width <= STRIP_COLUMNS:
            start = strips[-1][-1][2] + GAP
            strips[-1].append((index, start, start + width))
        else:
            strips.append([(index, GAP, GAP + width)])
    return strips


def _strip_image(images: list[np.ndarray]) -> np.ndarray:
    width = GAP + sum(image.shape[1] + GAP for image in images)
    strip = np.ones((HEIGHT, max(width, MIN_WIDTH)), dtype=np.float32)  # paper: white is 1.0
    column = GAP
    for image in images:
        strip[:, column: column + image.shape[1]] = image
        column += image.shape[1] + GAP
    return strip


def _batches(widths: list[int]) -> list[list[int]]:
    """Indices of the strips in batches of similar width, narrowest first."""
    batches: list[list[int]] = []
    first = columns = 0
    for index in sorted(range(len(widths)), key=widths.__getitem__):
        width = max(widths[index], MIN_WIDTH)
        if batches and width <= first * BATCH_SPREAD and columns + width <= BATCH_COLUMNS:
            batches[-1].append(index)
            columns += width
        else:
            batches.append([index])
            first = columns = width
    return batches


Columns = list[tuple[int, str, float]]  # (input column, character, probability) of each character read


def _run(images: list[np.ndarray]) -> list[Columns]:
    session, characters = _model()
    width = max(MIN_WIDTH, max(image.shape[1] for image in images))
    # Padding is 0 after normalisation (mid grey), as PaddleOCR pads its training batches.
    batch = np.zeros((len(images), 3, HEIGHT, width), dtype=np.float32)
    for i, image in enumerate(images):
        batch[i, :, :, : image.shape[1]] = image  # the grey image in all three channels
    probabilities = session.run(None, {session.get_inputs()[0].name: batch})[0]
    step = width / probabilities.shape[1]  # input columns per output column (8)
    return [_decoded(row, characters, step) for row in probabilities]


def _decoded(probabilities: np.ndarray, characters: list[str], step: float) -> Columns:
    """Greedy CTC: each output column's best class, a repeat of the column before and blanks dropped."""
    best = probabilities.argmax(axis=1)
    kept = best != 0
    kept[1:] &= best[1:] != best[:-1]
    where = np.flatnonzero(kept)
    return [(int((i + 0.5) * step), characters[best[i]], float(probabilities[i, best[i]])) for i in where]


def _text_between(columns: Columns, start: int, end: int) -> tuple[str, float]:
    """The text read between two input columns (a crop's place in its strip, half the gap either side) and
    its confidence, the mean probability of its characters (rapidocr's)."""
    found = [(char, p) for column, char, p in columns if start - GAP / 2 <= column < end + GAP / 2]
    text = "".join(char for char, _ in found).strip()
    if not text:
        return "", 0.0
    # The blank read in the paper between two crops is no character of either.
    return text, float(np.mean([p for char, p in found if not char.isspace()]))
