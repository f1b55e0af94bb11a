"""Sending digests over SMTP with an outbox (the `digests` table).

Outbox rules: a digest is written to the table *before* any attempt to send it; it is marked sent right
after the server accepted it; rows not yet sent (server down, refused) are retried by every later run
until they go out; a row marked sent is never sent again. The Message-ID is derived from the row id, so
even the one unavoidable window (accepted by the server, process killed before marking) gives a copy
that mail clients recognise as the same message.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from nianbao.settings import SmtpSettings
from nianbao.storage import outbox  # SQLAlchemy is heavy; a preview never needs it

log = logging.getLogger("nianbao.mailer")


class MailError(Exception):
    """The message could not be handed to the SMTP server; str() says why."""


def build_message(*, sender: str, to: str, subject: str, text: str, html: str,
                  message_id: str | None = None) -> EmailMessage:
    """multipart/alternative: the plain text first, the HTML last (clients show the last part they can)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id or make_msgid(domain="nianbao.local")
    msg.set_content(text, charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


def _tls_context(config: SmtpSettings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if config.ca_file:
        context.load_verify_locations(cafile=config.ca_file)
    return context


def send(config: SmtpSettings, msg: EmailMessage) -> None:
    """Hand one message to the server; raises MailError on any connection, TLS, login or refusal failure."""
    try:
        if config.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout, context=_tls_context(config)
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        with client:
            if config.security == "starttls":
                client.starttls(context=_tls_context(config))
            if config.username:
                client.login(config.username, config.get_password() or "")
            refused = client.send_message(msg)
            if refused:
                raise MailError(f"recipients refused: {', '.join(refused)}")
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}") from exc


def _keep_unsent(folder: Path, digest: Any, sender: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"unsent-digest-{digest.id}.eml").write_bytes(message_for(digest, sender).as_bytes())
    except OSError as exc:  # the row in the table is the real outbox; this copy is a convenience
        log.warning("could not write unsent digest %s to %s: %s", digest.id, folder, exc)


# --- the outbox -----------------------------------------------------------------------------------------


def message_for(digest: Any, sender: str) -> EmailMessage:
    """The email for one `digests` row; its Message-ID is stable for the row."""
    return build_message(
        sender=sender, to=digest.recipient, subject=digest.subject, text=digest.text, html=digest.html,
        message_id=f"<digest-{digest.id}-{digest.period_start:%Y%m%d}@nianbao.local>",
    )


def write_eml(folder: Path, built: Any, sender: str) -> Path:
    """Write one built digest as `<recipient>.eml` plus an `.html` preview; returns the .eml path."""
    folder.mkdir(parents=True, exist_ok=True)
    msg = build_message(sender=sender, to=built.recipient.email, subject=built.rendered.subject,
                        text=built.rendered.text, html=built.rendered.html)
    stem = "digest-" + re.sub(r"[^A-Za-z0-9._-]+", "_", built.recipient.email)
    path = folder / f"{stem}.eml"
    path.write_bytes(msg.as_bytes())
    path.with_suffix(".html").write_text(built.rendered.html, encoding="utf-8")
    return path


def send_pending(store: Any, config: SmtpSettings, *, max_attempts: int | None = None,
                 outbox_dir: Path | None = None) -> dict[str, int]:
    """Try every unsent digest once; returns counts {'sent': n, 'failed': m}.

    Each row is re-read inside its own transaction before sending so two runs never both send it.
    With `outbox_dir`, a digest that could not be sent is also written there as an .eml file, so an
    operator can see (and forward) it while the server is down.
    """

    with store.read_session() as s:
        pending = outbox.pending_ids(s)
    counts = {"sent": 0, "failed": 0}
    for digest_id in pending:
        outcome = _send_one(store, config, digest_id, max_attempts, outbox_dir)
        if outcome:
            counts[outcome] += 1
    return counts


def _send_one(store: Any, config: SmtpSettings, digest_id: int, max_attempts: int | None,
              outbox_dir: Path | None) -> str | None:

    with store.session() as s:
        digest = outbox.claim(s, digest_id, max_attempts)  # locked until this transaction ends
        if digest is None:
            return None
        try:
            send(config, message_for(digest, config.sender))
        except MailError as exc:
            outbox.mark_failed(digest, str(exc))
            log.warning("digest %s to %s not sent (attempt %s): %s", digest.id, digest.recipient,
                        digest.attempts, exc)
            if outbox_dir is not None:
                _keep_unsent(Path(outbox_dir), digest, config.sender)
            return "failed"
        outbox.mark_sent(digest, dt.datetime.now(dt.UTC))
        log.info("digest %s sent to %s", digest.id, digest.recipient)
        return "sent"
