"""The digest goes out through a real SMTP server: both parts, scoping, figures, outbox semantics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from nianbao import settings
from nianbao.alerts.digest import build_digests
from nianbao.alerts.mailer import send_pending
from nianbao.monitor.events import derive_events
from nianbao.storage.models import Digest
from tests.alerts.smtpkit import SmtpServer, free_port, tls_server
from tests.monitor.storekit import AgencyCfg, crawl, save, utc

SINCE = dt.date(2024, 3, 1)
AGENCIES = [
    AgencyCfg("gd-a", "东莞市统计局", region="广东省/东莞市", added=SINCE),
    AgencyCfg("gd-d", "东莞市某县统计局", region="广东省/东莞市", added=SINCE),
    AgencyCfg("sd-b", "槐荫区统计局", region="山东省/济南市", added=SINCE),
    AgencyCfg("sd-e", "历下区统计局", region="山东省/济南市", added=SINCE),
]
GD = "gd@example.test"
SD = "sd@example.test"
ALL = "boss@example.test"


Settings = settings.Settings(
    agencies=tuple(AGENCIES),
    monitor=settings.MonitorSettings(site_failing_runs=2),
    dashboard=settings.DashboardSettings(base_url="http://dash.local:8000"),
    recipients=(
        settings.Recipient(email=GD, name="广东督查", regions=("广东省",)),
        settings.Recipient(email=SD, name="济南督查", agencies=("sd-b", "sd-e")),
        settings.Recipient(email=ALL, name="总览"),
    ),
)


AS_OF = dt.date(2025, 2, 9)  # a Sunday: the week 3..9 February


def populate(store) -> None:
    store.sync_agencies(AGENCIES)
    save(store, "gd-a", 2024, utc(2025, 2, 3), published=dt.date(2025, 1, 20))  # new, on time
    save(store, "sd-b", 2024, utc(2025, 2, 4), published=dt.date(2025, 2, 4))  # new, 4 days late
    ids = [a.id for a in AGENCIES]
    crawl(store, ids, utc(2025, 2, 5), failing={"gd-d": "connection"})
    crawl(store, ids, utc(2025, 2, 6), failing={"gd-d": "connection"})
    derive_events(store, Settings, now=utc(2025, 2, 7))


def smtp(port: int) -> settings.SmtpSettings:
    return settings.SmtpSettings(host="127.0.0.1", port=port, sender="nianbao@example.test", timeout=5)


def plain_and_html(msg) -> tuple[str, str]:
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_digest_received_scoped_with_both_parts(store, smtp_server: SmtpServer) -> None:
    populate(store)
    build_digests(store, Settings, as_of=AS_OF)
    assert send_pending(store, smtp(smtp_server.port)) == {"sent": 3, "failed": 0}
    gd, = smtp_server.inbox.to(GD)
    sd, = smtp_server.inbox.to(SD)
    everything, = smtp_server.inbox.to(ALL)
    gd_text, gd_html = plain_and_html(gd)
    sd_text, sd_html = plain_and_html(sd)
    # Scoping: each sees only their agencies.
    assert "东莞市统计局" in gd_text and "槐荫区统计局" not in gd_text
    assert "槐荫区统计局" in sd_text and "东莞市统计局" not in sd_text and "东莞市某县统计局" not in sd_text
    all_text, _ = plain_and_html(everything)
    assert "东莞市统计局" in all_text and "槐荫区统计局" in all_text
    # Figures: counts line, the late report's dates and days, the missing and failing sites.
    assert "新发布: 1" in sd_text and "逾期发布: 1" in sd_text and "缺失: 1" in sd_text
    assert "发布于 2025-02-04" in sd_text and "逾期 4 天" in sd_text and "截止 2025-01-31" in sd_text
    assert "历下区统计局" in sd_text and "应于 2025-01-31 前发布" in sd_text
    assert "网站无法访问: 2" in gd_text  # site failing twice + 2024 report unprovable
    assert "连续 2 次抓取无法访问" in gd_text
    assert 'href="http://dash.local:8000/agencies/sd-b"' in sd_html
    assert "逾期 4 天" in sd_html and "<table" in sd_html
    assert gd["Subject"].startswith("年报监测周报 2025-02-03 至 2025-02-09")


def test_server_down_keeps_digest_and_sends_next_run_never_twice(store, tmp_path: Path) -> None:
    populate(store)
    port = free_port()  # nothing listens here yet: connection refused
    build_digests(store, Settings, as_of=AS_OF)
    assert send_pending(store, smtp(port)) == {"sent": 0, "failed": 3}
    with store.read_session() as s:
        rows = s.scalars(select(Digest)).all()
    assert len(rows) == 3 and all(r.sent_at is None and r.attempts == 1 and r.last_error for r in rows)
    server = SmtpServer(port=port).start()
    try:
        # The next run rebuilds the same week (no duplicate rows) and sends what is pending.
        build_digests(store, Settings, as_of=AS_OF)
        assert send_pending(store, smtp(port)) == {"sent": 3, "failed": 0}
        assert send_pending(store, smtp(port)) == {"sent": 0, "failed": 0}
        build_digests(store, Settings, as_of=AS_OF)
        assert send_pending(store, smtp(port)) == {"sent": 0, "failed": 0}
        assert sorted(r for _, rcpts in server.inbox.envelopes for r in rcpts) == sorted([GD, SD, ALL])
    finally:
        server.stop()
    with store.read_session() as s:
        rows = s.scalars(select(Digest)).all()
    assert len(rows) == 3 and all(r.sent_at is not None and r.attempts == 2 for r in rows)


def test_empty_week_says_so(store, smtp_server: SmtpServer) -> None:
    populate(store)
    built = build_digests(store, Settings, as_of=dt.date(2025, 3, 30))
    assert all(b.content.empty for b in built)
    send_pending(store, smtp(smtp_server.port))
    text, html = plain_and_html(smtp_server.inbox.to(SD)[0])
    assert "本周无新情况" in text and "本周无新情况" in html
    assert "本周无新情况" in smtp_server.inbox.to(SD)[0]["Subject"]


def test_starttls_and_login(store, tmp_path: Path) -> None:
    populate(store)
    server, cert = tls_server(tmp_path)
    server.start()
    try:
        config = settings.SmtpSettings(host="127.0.0.1", port=server.port, security="starttls", username="nianbao",
                            password="secret", sender="nianbao@example.test", timeout=5, ca_file=str(cert))
        build_digests(store, Settings, as_of=AS_OF)
        bad = config.model_copy(update={"password": "wrong", "timeout": 1})
        assert send_pending(store, bad) == {"sent": 0, "failed": 3}
        assert send_pending(store, config) == {"sent": 3, "failed": 0}
        assert server.inbox.logins == ["nianbao"] * 3
    finally:
        server.stop()
