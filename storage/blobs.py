"""Content-addressed blob store: the raw bytes of every report version, named by their sha256.

Layout: ROOT/ab/cd/abcd…(64 hex). Two levels of 256 folders keep directories small for millions of
files. A blob is written to a temporary file in its final folder, fsynced, then renamed into place:
rename is atomic on POSIX, so a reader never sees a half-written blob under its real name, and a
crash leaves at most a `.tmp-*` file that `sweep_temp()` removes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BlobError(Exception):
    """A blob is missing or its bytes no longer match its name."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes, *, durable: bool = True) -> str:
        """Store `data` (idempotent) and return its sha256.

        `durable=False` skips the fsyncs, for copies that are only a cache (the crawler's kept pages,
        read back with verify=True and downloaded again when damaged). A durable put of bytes already
        present syncs them, since an earlier non-durable put may have left them only in the page cache.
        """
        key = sha256_hex(data)
        target = self.path(key)
        if target.exists() and target.stat().st_size == len(data):
            if durable:
                self._fsync_file(target)
            return key  # same name, same size: content-addressed, so already stored
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                if durable:
                    os.fsync(tmp.fileno())
            os.chmod(tmp_name, 0o644)
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        if durable:
            self._fsync_dir(target.parent)
        return key

    def get(self, sha256: str, *, verify: bool = False) -> bytes:
        try:
            data = self.path(sha256).read_bytes()
        except FileNotFoundError as exc:
            raise BlobError(f"blob {sha256} is missing") from exc
        if verify and sha256_hex(data) != sha256:
            raise BlobError(f"blob {sha256} is corrupt (its bytes hash to {sha256_hex(data)})")
        return data

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def verify(self, sha256: str) -> bool:
        """True when the blob exists and its bytes still hash to its name."""
        try:
            self.get(sha256, verify=True)
        except BlobError:
            return False
        return True

    def keys(self) -> Iterator[str]:
        for path in self.root.glob("??/??/*"):
            if _SHA256.match(path.name):
                yield path.name

    def sweep_temp(self, older_than_s: float = 3600.0) -> int:
        """Remove temporary files left by killed writes; returns how many.

        Only files older than `older_than_s` go, so a write in progress in another process survives.
        """
        removed = 0
        cutoff = time.time() - older_than_s
        for path in self.root.glob("??/??/.tmp-*"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed

    @classmethod
    def _fsync_file(cls, path: Path) -> None:
        with open(path, "rb") as existing:
            os.fsync(existing.fileno())
        cls._fsync_dir(path.parent)

    @staticmethod
    def _fsync_dir(folder: Path) -> None:
        # Makes the rename itself durable; without it a power cut can lose the new directory entry.
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
