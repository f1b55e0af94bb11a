"""Several real processes on one database: concurrent writers, and a writer killed mid-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from nianbao.storage.models import Event, Finding, Report, Version
from nianbao.storage.store import Store
from tests.storage.writer import documents

REPO = Path(__file__).resolve().parents[2]


def writer(database_url: str, blob_dir: Path, start: int = 0) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.storage.writer", database_url, str(blob_dir), str(start)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def snapshot(store: Store) -> list[tuple]:
    """The database content that must not depend on timing: reports, versions, findings, events."""
    with store.read_session() as s:
        versions = s.execute(
            select(Report.year, Version.number, Version.sha256, Version.url, Version.error_count)
            .join(Report)
            .order_by(Report.year, Version.number)
        ).all()
        findings = s.execute(
            select(Report.year, Version.number, Finding.rule, Finding.location)
            .join(Version, Version.id == Finding.version_id)
            .join(Report)
            .order_by(Report.year, Version.number, Finding.rule, Finding.location)
        ).all()
        events = s.execute(select(Event.dedupe_key).order_by(Event.dedupe_key)).all()
    return [tuple(r) for r in versions + findings + events]


def check_invariants(store: Store) -> None:
    with store.read_session() as s:
        for report in s.scalars(select(Report)):
            numbers = sorted(v.number for v in report.versions)
            assert numbers == list(range(1, len(numbers) + 1)), (report.year, numbers)
        for version in s.scalars(select(Version)):
            assert store.blobs.verify(version.sha256), version.id
            counted = s.scalar(
                select(func.count()).where(Finding.version_id == version.id, Finding.severity == "error")
            )
            assert counted == version.error_count
        assert s.scalar(select(func.count()).select_from(Event)) == s.scalar(
            select(func.count()).select_from(Version)
        )


def test_concurrent_writers_store_each_version_once(database_url: str, tmp_path: Path) -> None:
    Store(database_url, tmp_path / "blobs").close()  # schema first: the race under test is the data
    procs = [writer(database_url, tmp_path / "blobs") for _ in range(3)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.count("saved") == len(documents())
    with Store(database_url, tmp_path / "blobs") as store:
        check_invariants(store)
        with store.read_session() as s:
            # 4 years x 2 distinct documents, whatever the interleaving.
            assert s.scalar(select(func.count()).select_from(Version)) == 8


def test_killed_writer_then_restart_equals_an_uninterrupted_run(database_url: str, tmp_path: Path) -> None:
    proc = writer(database_url, tmp_path / "blobs")
    assert proc.stdout is not None
    # Bounded: the writer prints at most len(documents()) lines.
    for done, _line in enumerate(proc.stdout, 1):
        if done == 5:
            proc.send_signal(signal.SIGKILL)  # between or inside transactions: both must be safe
            break
    proc.wait(timeout=30)
    with Store(database_url, tmp_path / "blobs") as store:
        check_invariants(store)
    # Resume from the start, as a crawl that does not know how far the killed one got.
    again = writer(database_url, tmp_path / "blobs")
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    with Store(database_url, tmp_path / "blobs") as store:
        check_invariants(store)
        interrupted = snapshot(store)

    reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
    ref = writer(reference_url, tmp_path / "ref-blobs")
    _, err = ref.communicate(timeout=120)
    assert ref.returncode == 0, err
    with Store(reference_url, tmp_path / "ref-blobs") as store:
        assert snapshot(store) == interrupted
