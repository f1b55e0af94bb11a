"""Mail exactly once against hostile SMTP peers (a real aiosmtpd server; SQLite and PostgreSQL).

A 421 to QUIT after the message was accepted, a server slow to answer DATA, permanent and transient
refusals, two senders at once, a sender that died holding a claim, and the .eml copies of the outbox.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from nianbao import settings
from nianbao.alerts.commands import outbox_lines
from nianbao.alerts.mailer import claim_lease, send_pending
from nianbao.storage import outbox
from nianbao.storage.models import Digest
from nianbao.storage.store import Store
from tests.alerts.smtpkit import HostileInbox, SmtpServer, free_port

WEEK = dt.datetime(2025, 2, 3, tzinfo=dt.UTC)
RECIPIENTS = ("a@example.test", "b@example.test", "c@example.test")


def smtp(port: int) -> settings.SmtpSettings:
    return settings.SmtpSettings(host="127.0.0.1", port=port, sender="nianbao@example.test", timeout=5)


def record(store: Store, *recipients: str) -> list[int]:
    """One digest per recipient for the week, as build_digests records them."""
    rows = [store.record_digest(recipient=r, period_start=WEEK, period_end=WEEK + dt.timedelta(days=6),
                                as_of=WEEK + dt.timedelta(days=6), subject=f"周报 {r}", html="<p>周报</p>",
                                text="周报")
            for r in recipients]
    return [row.id for row in rows]


def rows(store: Store) -> list[Digest]:
    with store.read_session() as s:
        return list(s.scalars(select(Digest).order_by(Digest.id)))


@pytest.fixture
def hostile() -> Iterator[SmtpServer]:
    server = SmtpServer(inbox=HostileInbox()).start()
    yield server
    server.stop()


def inbox_of(server: SmtpServer) -> HostileInbox:
    assert isinstance(server.inbox, HostileInbox)
    return server.inbox


# --- the message is out once DATA got 250 ---------------------------------------------------------------


def test_a_421_to_quit_after_the_message_was_accepted_counts_as_sent_and_is_never_resent(
        store: Store, hostile: SmtpServer) -> None:
    inbox_of(hostile).quit_answer = "421 4.3.2 Service shutting down"
    record(store, RECIPIENTS[0])
    assert send_pending(store, smtp(hostile.port)) == {"sent": 1, "failed": 0}
    assert send_pending(store, smtp(hostile.port)) == {"sent": 0, "failed": 0}
    assert len(hostile.inbox.messages) == 1
    [row] = rows(store)
    assert row.sent_at is not None and row.last_error is None and row.claimed_at is None


# --- no network I/O inside a transaction -----------------------------------------------------------------


def write_without_waiting(database_url: str, digest_id: int) -> str:
    """Write the digest's row from another connection that refuses to wait for a lock: "ok", or why not."""
    url = make_url(database_url)
    try:
        if url.get_backend_name() == "sqlite":
            conn = sqlite3.connect(str(url.database), timeout=0, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")  # the write lock, at once or "database is locked"
                conn.execute("UPDATE digests SET as_of = as_of WHERE id = ?", (digest_id,))
                conn.execute("COMMIT")
            finally:
                conn.close()
        else:
            dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
            with psycopg.connect(dsn) as conn:
                conn.execute("SELECT id FROM digests WHERE id = %s FOR UPDATE NOWAIT", (digest_id,))
                conn.execute("UPDATE digests SET as_of = as_of WHERE id = %s", (digest_id,))
    except (sqlite3.Error, psycopg.Error) as exc:
        return f"{type(exc).__name__}: {exc}"
    return "ok"


def test_a_server_slow_to_answer_data_holds_no_database_lock(store: Store, hostile: SmtpServer) -> None:
    [digest_id] = record(store, RECIPIENTS[0])
    seen: list[str] = []
    # The server keeps its answer to DATA back while another writer touches the very row being sent.
    inbox_of(hostile).during_data = lambda: seen.append(write_without_waiting(store.database_url, digest_id))
    assert send_pending(store, smtp(hostile.port)) == {"sent": 1, "failed": 0}
    assert seen == ["ok"]
    assert rows(store)[0].sent_at is not None


# --- refusals ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stage", "answer"), [("rcpt", "550 5.1.1 Mailbox unavailable"),
                                               ("data", "554 5.6.0 Message content rejected")])
def test_a_5xx_refusal_of_the_message_is_not_retried_and_is_listed_as_refused(
        store: Store, hostile: SmtpServer, stage: str, answer: str) -> None:
    setattr(inbox_of(hostile), f"{stage}_answer", answer)
    record(store, RECIPIENTS[0])
    assert send_pending(store, smtp(hostile.port)) == {"sent": 0, "failed": 1}
    assert send_pending(store, smtp(hostile.port)) == {"sent": 0, "failed": 0}
    assert inbox_of(hostile).connections == 1 and hostile.inbox.messages == []
    [row] = rows(store)
    assert row.attempts == 1 and row.sent_at is None and row.failed_permanently_at is not None
    assert answer in (row.last_error or "")
    with store.read_session() as s:
        assert outbox.pending_ids(s) == []
        listing = "\n".join(outbox_lines(outbox.unsent(s)))
    assert "永久拒收" in listing and answer in listing


def test_a_4xx_answer_is_retried_until_the_server_takes_the_message(store: Store, hostile: SmtpServer) -> None:
    inbox_of(hostile).data_answer = "451 4.3.0 Try again later"
    record(store, RECIPIENTS[0])
    assert send_pending(store, smtp(hostile.port)) == {"sent": 0, "failed": 1}
    assert send_pending(store, smtp(hostile.port)) == {"sent": 0, "failed": 1}
    [row] = rows(store)
    assert row.attempts == 2 and row.failed_permanently_at is None and "451" in (row.last_error or "")
    with store.read_session() as s:
        assert "等待重试" in "\n".join(outbox_lines(outbox.unsent(s)))
    inbox_of(hostile).data_answer = None
    assert send_pending(store, smtp(hostile.port)) == {"sent": 1, "failed": 0}
    assert len(hostile.inbox.messages) == 1


# --- the outbox folder --------------------------------------------------------------------------------------


def test_the_eml_copy_of_a_digest_is_removed_once_it_is_sent(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "outbox"
    first, second = record(store, *RECIPIENTS[:2])
    port = free_port()  # nothing listens yet: both digests wait in the folder
    assert send_pending(store, smtp(port), outbox_dir=folder) == {"sent": 0, "failed": 2}
    assert sorted(p.name for p in folder.iterdir()) == [f"unsent-digest-{first}.eml", f"unsent-digest-{second}.eml"]
    server = SmtpServer(port=port).start()
    try:
        assert send_pending(store, smtp(port), outbox_dir=folder) == {"sent": 2, "failed": 0}
    finally:
        server.stop()
    assert list(folder.iterdir()) == []


def test_a_stale_eml_copy_of_a_digest_sent_elsewhere_is_removed_by_the_next_run(
        store: Store, tmp_path: Path, hostile: SmtpServer) -> None:
    folder = tmp_path / "outbox"
    [digest_id] = record(store, RECIPIENTS[0])
    assert send_pending(store, smtp(hostile.port)) == {"sent": 1, "failed": 0}  # a run without the folder
    folder.mkdir()
    (folder / f"unsent-digest-{digest_id}.eml").write_bytes(b"left by an older run")
    (folder / "notes.txt").write_text("an operator's file", encoding="utf-8")
    assert send_pending(store, smtp(hostile.port), outbox_dir=folder) == {"sent": 0, "failed": 0}
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


# --- two senders, and a sender that died ----------------------------------------------------------------------


def test_a_second_sender_while_the_first_is_mid_data_sends_nothing(store: Store, hostile: SmtpServer,
                                                                  blob_dir: Path) -> None:
    record(store, RECIPIENTS[0])
    other = Store(store.database_url, blob_dir, migrate=False)  # another process: its own engine
    counts: list[dict[str, int]] = []
    inbox_of(hostile).during_data = lambda: counts.append(send_pending(other, smtp(hostile.port)))
    try:
        assert send_pending(store, smtp(hostile.port)) == {"sent": 1, "failed": 0}
    finally:
        other.close()
    assert counts == [{"sent": 0, "failed": 0}]
    assert len(hostile.inbox.messages) == 1 and inbox_of(hostile).connections == 1


def test_two_senders_started_together_send_each_digest_once(store: Store, smtp_server: SmtpServer,
                                                            blob_dir: Path) -> None:
    record(store, *RECIPIENTS)
    stores = [store, Store(store.database_url, blob_dir, migrate=False)]
    start = threading.Barrier(len(stores))
    results: list[dict[str, int]] = []

    def sender(one: Store) -> None:
        start.wait(timeout=30)
        results.append(send_pending(one, smtp(smtp_server.port)))

    threads = [threading.Thread(target=sender, args=(one,)) for one in stores]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        stores[1].close()
    assert sum(r["sent"] for r in results) == 3 and sum(r["failed"] for r in results) == 0
    assert sorted(r for _, rcpts in smtp_server.inbox.envelopes for r in rcpts) == sorted(RECIPIENTS)


def crashed_claim(store: Store, digest_id: int, at: dt.datetime) -> None:
    """What a sender leaves when it dies after claiming: the claim committed, no outcome recorded."""
    with store.session() as s:
        assert outbox.claim(s, digest_id, now=at) is not None


def test_a_claim_left_by_a_dead_sender_blocks_others_until_its_lease_runs_out(
        store: Store, hostile: SmtpServer) -> None:
    config = smtp(hostile.port)
    fresh, stale = record(store, *RECIPIENTS[:2])
    now = dt.datetime.now(dt.UTC)
    crashed_claim(store, fresh, now)
    crashed_claim(store, stale, now - claim_lease(config) - dt.timedelta(minutes=1))
    assert send_pending(store, config) == {"sent": 1, "failed": 0}
    assert [m["To"] for m in hostile.inbox.messages] == [RECIPIENTS[1]]
    by_id: dict[int, Any] = {row.id: row for row in rows(store)}
    assert by_id[fresh].sent_at is None and by_id[stale].sent_at is not None and by_id[stale].attempts == 2
    with store.read_session() as s:
        assert "发送中" in "\n".join(outbox_lines(outbox.unsent(s)))
