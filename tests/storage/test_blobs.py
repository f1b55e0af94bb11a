"""The content-addressed blob store on disk."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.storage.blobs import BlobError, BlobStore


def test_put_get_and_layout(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "b")
    key = blobs.put(b"report bytes")
    assert key == hashlib.sha256(b"report bytes").hexdigest()
    assert blobs.path(key) == tmp_path / "b" / key[:2] / key[2:4] / key
    assert blobs.get(key) == b"report bytes" and blobs.exists(key)
    assert blobs.put(b"report bytes") == key  # idempotent
    assert list(blobs.keys()) == [key]
    assert not list(blobs.path(key).parent.glob(".tmp-*"))


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=4096))
def test_any_bytes_round_trip(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    blobs = BlobStore(tmp_path_factory.mktemp("blobs"))
    key = blobs.put(data)
    assert blobs.get(key, verify=True) == data
    assert hashlib.sha256(blobs.path(key).read_bytes()).hexdigest() == key


def test_corruption_and_absence_are_detected(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    key = blobs.put(b"original")
    blobs.path(key).write_bytes(b"changed!")  # same size: only the hash tells
    assert not blobs.verify(key)
    with pytest.raises(BlobError, match="corrupt"):
        blobs.get(key, verify=True)
    with pytest.raises(BlobError, match="missing"):
        blobs.get("0" * 64)
    with pytest.raises(ValueError):
        blobs.path("../../etc/passwd")


def test_truncated_blob_is_rewritten(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    key = blobs.put(b"0123456789")
    blobs.path(key).write_bytes(b"01234")  # e.g. a copy cut short by a full disk
    assert blobs.put(b"0123456789") == key
    assert blobs.verify(key)


def test_sweep_removes_only_old_temp_files(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    key = blobs.put(b"x")
    folder = blobs.path(key).parent
    old, fresh = folder / ".tmp-old", folder / ".tmp-fresh"
    old.write_bytes(b"half")
    fresh.write_bytes(b"in progress")
    an_hour_ago = time.time() - 7200
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert blobs.sweep_temp() == 1
    assert not old.exists() and fresh.exists() and blobs.verify(key)


def test_a_copy_kept_without_fsync_reads_back_and_a_damaged_one_is_refused(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    data = b"<html>list page</html>"
    key = blobs.put(data, durable=False)
    assert blobs.get(key, verify=True) == data
    blobs.path(key).write_bytes(b"<html>torn")  # what a crash can leave of an unsynced file
    with pytest.raises(BlobError):
        blobs.get(key, verify=True)
    assert blobs.put(data) == key and blobs.get(key, verify=True) == data  # a durable put repairs it
