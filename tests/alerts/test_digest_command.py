"""`nianbao digest` from the command line: --preview, --out, --send (never twice)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner

from nianbao.cli import main
from nianbao.settings import load_settings
from nianbao.storage.store import Store
from tests.alerts.smtpkit import HostileInbox, SmtpServer
from tests.conftest import agency_entry
from tests.monitor.storekit import save


def test_digest_command(tmp_path: Path, write_settings, smtp_server: SmtpServer) -> None:
    db = f"sqlite:///{tmp_path / 'nianbao.db'}"
    config = write_settings(
        database_url=db, agencies=[agency_entry("gz-tjj", name="广州市统计局", added="2024-03-01")],
        smtp={"host": "127.0.0.1", "port": smtp_server.port, "security": "none", "sender": "nianbao@example.test"},
        recipients=[{"email": "gz@example.test", "name": "广州", "regions": ["广东省/广州市"]}],
    )
    settings = load_settings(config)
    with Store.from_settings(settings) as store:
        store.sync_agencies(settings.agencies)
        save(store, "gz-tjj", 2024, dt.datetime.now(dt.UTC), published=dt.date(2025, 1, 10))
    runner = CliRunner()
    preview = runner.invoke(main, ["--config", str(config), "digest", "--preview"])
    assert preview.exit_code == 0, preview.output
    assert "=== To: gz@example.test" in preview.output and "新发布: 1" in preview.output
    assert smtp_server.inbox.messages == []  # a preview sends nothing

    out = runner.invoke(main, ["--config", str(config), "digest", "--out", str(tmp_path / "out")])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "out" / "digest-gz_example.test.eml").read_bytes().count(b"Content-Type: text/") == 2

    sent = runner.invoke(main, ["--config", str(config), "digest", "--send"])
    assert sent.exit_code == 0, sent.output
    assert "已发送 1 份" in sent.output
    again = runner.invoke(main, ["--config", str(config), "digest", "--send"])
    assert "已发送 0 份" in again.output
    assert len(smtp_server.inbox.to("gz@example.test")) == 1

    # A past week with nothing in it says so.
    empty = runner.invoke(main, ["--config", str(config), "digest", "--as-of", "2024-01-07"])
    assert "本周无新情况" in empty.output


def test_digest_send_and_outbox_tell_an_overseer_which_digest_was_refused_for_good(
        tmp_path: Path, write_settings) -> None:
    server = SmtpServer(inbox=HostileInbox(rcpt_answer="550 5.1.1 Mailbox unavailable")).start()
    try:
        config = write_settings(
            database_url=f"sqlite:///{tmp_path / 'nianbao.db'}",
            agencies=[agency_entry("gz-tjj", name="广州市统计局", added="2024-03-01")],
            smtp={"host": "127.0.0.1", "port": server.port, "security": "none", "sender": "nianbao@example.test"},
            recipients=[{"email": "gone@example.test", "name": "广州", "regions": ["广东省/广州市"]}],
        )
        runner = CliRunner()
        sent = runner.invoke(main, ["--config", str(config), "digest", "--send"])
        assert sent.exit_code == 3, sent.output  # nothing reached anybody: cron must notice
        assert "永久拒收" in sent.output and "gone@example.test" in sent.output and "550 5.1.1" in sent.output
        listing = runner.invoke(main, ["--config", str(config), "digest", "--outbox"])
        assert listing.exit_code == 0, listing.output
        assert "发件箱：1 份摘要未发送" in listing.output and "永久拒收，不再重试" in listing.output
        again = runner.invoke(main, ["--config", str(config), "digest", "--send"])
        assert "已发送 0 份，未发送（留待下次重试或已被拒收）0 份" in again.output and again.exit_code == 0
    finally:
        server.stop()
    assert server.inbox.messages == []


def test_digest_since_after_as_of_is_refused(tmp_path: Path, write_settings) -> None:
    config = write_settings(database_url=f"sqlite:///{tmp_path / 'nianbao.db'}")
    result = CliRunner().invoke(main, ["--config", str(config), "digest", "--since", "2025-02-10",
                                       "--as-of", "2025-02-09"])
    assert result.exit_code == 2 and "--since 必须不晚于 --as-of" in result.output
