"""A budget per document: `check_bytes` in a child process with a memory cap and a time limit.

Readers inflate in C (pdfium, zlib, libxml2): a 1 MB PDF whose page stream inflates to 1 GiB, a DOCX of
150 MB of XML or a 49 MB HTML page each took over 2 GB. Only the operating system bounds that honestly, so
the check runs in a forked child under RLIMIT_AS and a wall-clock timeout (fork, not spawn: the child
starts with the readers already imported, ~10-20 ms a document; the readers are imported in the parent before
the first fork so that no import lock is held by another thread at fork time). Over budget, the child is
killed and the caller gets `OverBudget`, an `UnreadableDocument`: that document is stored as
"文件过大/读取超时", and the run goes on.
"""

from __future__ import annotations

import faulthandler
import functools
import importlib
import multiprocessing
import multiprocessing.connection
import resource
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from nianbao.report.check import CheckResult, check_bytes, read_with_limits
from nianbao.report.limits import Limits
from nianbao.report.readers import Document, UnreadableDocument

T = TypeVar("T")

# Imported in the parent once, so that every child starts with the readers loaded.
_PRELOAD = ["nianbao.report.check", "nianbao.report.readers.html", "nianbao.report.readers.docx",
            "nianbao.report.readers.pdf", "nianbao.report.readers.text"]


class OverBudget(UnreadableDocument):
    """The document needs more memory or time than one document may take."""


@dataclass(frozen=True)
class _Failed:
    unreadable: bool
    reason: str
    over_memory: bool = False  # the reader failed near the memory cap: its own reason is a symptom


def _too_large(limits: Limits) -> str:
    return f"文件过大：读取时超出内存上限{limits.max_memory // 2**20} MB"


def check_in_budget(data: bytes, filename: str | None = None, limits: Limits | None = None) -> CheckResult:
    """`check_bytes` bounded by `limits.max_memory` (bytes of address space) and `limits.check_timeout`
    (seconds). Raises UnreadableDocument, OverBudget when over budget."""
    return _in_budget(check_bytes, CheckResult, data, filename, limits or Limits())


def read_in_budget(data: bytes, filename: str | None = None, limits: Limits | None = None) -> Document:
    """The document's text and tables, read (not checked) within the same budget: for the parts of a report
    split over several attachments, which are joined before the whole is checked."""
    return _in_budget(read_with_limits, Document, data, filename, limits or Limits())


def _in_budget(work: Callable[[bytes, str | None, Limits], T], kind: type[T], data: bytes, filename: str | None,
               limits: Limits) -> T:
    _preload()
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sender, work, data, filename, limits), daemon=True)
    child.start()
    sender.close()
    try:
        outcome = _wait(receiver, child, limits.check_timeout)
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    if isinstance(outcome, kind):
        return outcome
    if outcome is None:
        raise OverBudget(f"{_too_large(limits)}（读取进程退出码{child.exitcode}）")
    if outcome.over_memory:
        raise OverBudget(f"{_too_large(limits)}（{outcome.reason}）")
    if outcome.unreadable:
        raise UnreadableDocument(outcome.reason)
    raise RuntimeError(outcome.reason)  # a parser bug, as check_bytes would have raised it


@functools.cache
def _preload() -> None:
    for module in _PRELOAD:
        importlib.import_module(module)


def _wait(receiver: multiprocessing.connection.Connection, child: Any, timeout: float) -> Any:
    """The child's answer; None when it died without one (killed by the memory cap)."""
    if not receiver.poll(timeout):
        if child.is_alive():
            raise OverBudget(f"读取超时：超过{timeout:g}秒仍未读完")
        return None
    try:
        answer = receiver.recv()
    except (EOFError, OSError):
        return None
    return answer


def _child(sender: multiprocessing.connection.Connection, work: Callable[[bytes, str | None, Limits], Any],
           data: bytes, filename: str | None, limits: Limits) -> None:
    faulthandler.disable()  # a C library aborting at the cap is the expected end, not a crash to dump
    # Soft limit only: LibreOffice, started by the office reader, lifts it again for itself.
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (limits.max_memory, hard))
    try:
        answer = work(data, filename, limits)
    except MemoryError:
        answer = _Failed(True, "MemoryError", over_memory=True)
    except UnreadableDocument as exc:
        # libxml2 and others report an allocation failure as a parse error ("unknown error"): near the
        # cap, it is the size that failed, not the document.
        # A failed allocation can be one large request (a buffer doubling past the cap) made while the peak is
        # still well below it: the library's own words for it count as well.
        answer = _Failed(True, str(exc), over_memory=_peak_memory() > limits.max_memory * 0.9
                         or "memory" in str(exc).lower() or "内存" in str(exc))
    except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it there
        answer = _Failed(False, f"{type(exc).__name__}: {exc}")
    try:
        sender.send(answer)
    except MemoryError:
        sender.send(_Failed(True, "MemoryError", over_memory=True))


def _peak_memory() -> int:
    """Peak address space of this process (Linux /proc; 0 where it cannot be read)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0
