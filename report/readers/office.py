"""Legacy Word .doc and WPS Office .wps (both OLE2): LibreOffice converts them to .docx, read as DOCX.

Each conversion runs in its own temporary directory, in its own process group so that a timeout kills
soffice.bin and all its children, and the directory is removed afterwards. The LibreOffice profile is
one per thread (concurrent soffice processes sharing a profile block each other) and is kept between
conversions: building a fresh profile costs ~0.4 s of each ~1.5 s conversion. A conversion that fails
throws its profile away, so a damaged profile cannot break the next one.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from nianbao.report.limits import Limits
from nianbao.report.readers import Document, UnreadableDocument
from nianbao.report.readers.docx import read_docx

SOFFICE_CANDIDATES = ("soffice", "libreoffice", "/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice")


def find_soffice() -> str | None:
    for candidate in SOFFICE_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


_profiles = threading.local()


def _profile_dir() -> Path:
    """This thread's LibreOffice profile folder (created on first use, removed when the process exits)."""
    folder: Path | None = getattr(_profiles, "folder", None)
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="nianbao-lo-profile-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _profiles.folder = folder
    return folder


def _discard_profile() -> None:
    folder: Path | None = getattr(_profiles, "folder", None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        _profiles.folder = None


def read_office(data: bytes, kind: str, *, timeout: float, limits: Limits) -> Document:
    docx = convert(data, suffix=f".{kind}", target="docx", timeout=timeout)
    document = read_docx(
        docx, max_decompressed=limits.max_decompressed, max_ratio=limits.max_ratio, source_format=kind
    )
    if not document.text.strip():
        raise UnreadableDocument(f".{kind} 文件中没有文字")
    return document


def convert(data: bytes, *, suffix: str, target: str, timeout: float, filter_options: str = "") -> bytes:
    """Convert a document with LibreOffice headless; returns the bytes of the converted file."""
    soffice = find_soffice()
    if soffice is None:
        raise UnreadableDocument(f"读取 {suffix} 文件需要 LibreOffice，本机未安装")
    workdir = Path(tempfile.mkdtemp(prefix="nianbao-lo-"))
    try:
        source = workdir / f"input{suffix}"
        source.write_bytes(data)
        outdir = workdir / "out"
        command = [
            soffice,
            f"-env:UserInstallation=file://{_profile_dir() / 'profile'}",
            "--headless", "--norestore", "--nolockcheck", "--nodefault", "--nofirststartwizard",
            "--convert-to", target + (f":{filter_options}" if filter_options else ""),
            "--outdir", str(outdir),
            str(source),
        ]
        try:
            _run(command, timeout, workdir)
        except UnreadableDocument:
            _discard_profile()
            raise
        produced = sorted(outdir.glob("input.*")) if outdir.exists() else []
        if not produced:
            _discard_profile()
            raise UnreadableDocument(f"LibreOffice 无法转换此 {suffix} 文件（文件可能已损坏）")
        return produced[0].read_bytes()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(command: list[str], timeout: float, workdir: Path) -> None:
    env = dict(os.environ, HOME=str(workdir), TMPDIR=str(workdir))
    process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env,
        preexec_fn=_lift_memory_cap,  # noqa: PLW1509 - the budget's child is single-threaded
    )
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _kill_group(process)
        raise UnreadableDocument(f"LibreOffice 转换超时（{timeout:.0f} 秒）") from exc
    finally:
        # soffice may leave helper processes in its group even after a normal exit.
        _kill_group(process)


def _lift_memory_cap() -> None:
    """LibreOffice reserves gigabytes of address space it never touches: the document budget's soft
    RLIMIT_AS (report.budget) must not apply to it; its own timeout bounds it."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
