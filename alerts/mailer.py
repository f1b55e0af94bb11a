"""Sending digests over SMTP with an outbox (the `digests` table).

Outbox rules: a digest is written to the table *before* any attempt to send it. Each attempt claims the
row in a short transaction, talks to the server with no transaction open (a slow server never holds the
database's write lock), then records the outcome in another short transaction. A digest counts as sent
once the server answered 250 to DATA, whatever QUIT gets afterwards. Rows not yet sent (server down, a
4xx answer) are retried by every later run until they go out; a row the server refused for good (5xx to
RCPT or DATA) is not retried and is listed by `nianbao digest --outbox`; a row marked sent is never sent
again. The Message-ID is derived from the row id, so even the one unavoidable window (accepted by the
server, process killed before marking) gives a copy that mail clients recognise as the same message.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib
import ssl
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from nianbao.settings import SmtpSettings
from nianbao.storage import outbox  # SQLAlchemy is heavy; a preview never needs it

log = logging.getLogger("nianbao.mailer")


class MailError(Exception):
    """The message could not be handed to the SMTP server; str() says why. `permanent`: the server refused
    this very message for good (a 5xx answer to RCPT or DATA), so sending it again cannot help."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


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
    """Hand one message to the server; raises MailError on any connection, TLS, login or refusal failure.

    The message is out once the server answered 250 to the end of DATA: whatever QUIT gets afterwards
    (a relay shutting down answers 421) is ignored, so smtplib's context manager, which raises on such a
    QUIT, is not used."""
    try:
        client = _connect(config)
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}") from exc
    try:
        _deliver(client, config, msg)
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        raise _classified(exc) from exc
    finally:
        _hang_up(client)


def _connect(config: SmtpSettings) -> smtplib.SMTP:
    if config.security == "tls":
        return smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=_tls_context(config))
    return smtplib.SMTP(config.host, config.port, timeout=config.timeout)


def _deliver(client: smtplib.SMTP, config: SmtpSettings, msg: EmailMessage) -> None:
    if config.security == "starttls":
        client.starttls(context=_tls_context(config))
    if config.username:
        client.login(config.username, config.get_password() or "")
    refused = client.send_message(msg)
    if refused:  # some recipients refused, the others accepted: a digest has one recipient, so never here
        raise MailError(f"recipients refused: {', '.join(refused)}")


def _hang_up(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):  # QUIT's answer never decides whether the message went out
        client.close()


def _classified(exc: Exception) -> MailError:
    """A MailError that says whether the server refused this message for good.

    Permanent: a 5xx answer to RCPT (the mailbox) or to DATA (the content). Not permanent: 4xx answers,
    connection and TLS errors, and 5xx answers to login or MAIL FROM: those concern our own settings
    (password, sender address), are the same for every digest, and heal once an operator fixes them.
    A 552 to RCPT is a full mailbox, which RFC 5321 (4.5.3.1.10) asks clients to treat as temporary."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = list(exc.recipients.values())
        permanent = bool(answers) and all(500 <= code < 600 and code != 552 for code, _ in answers)
        reason = "; ".join(f"{addr}: {_answer(code, text)}" for addr, (code, text) in exc.recipients.items())
        return MailError(f"收件人被拒收: {reason}", permanent=permanent)
    if isinstance(exc, smtplib.SMTPDataError):
        return MailError(f"邮件内容被拒收: {_answer(exc.smtp_code, exc.smtp_error)}",
                         permanent=500 <= exc.smtp_code < 600)
    return MailError(f"{type(exc).__name__}: {exc}")


def _answer(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"


def _unsent_copy(folder: Path, digest_id: int) -> Path:
    return folder / f"unsent-digest-{digest_id}.eml"


def _keep_unsent(folder: Path, digest: Any, sender: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _unsent_copy(folder, digest.id).write_bytes(message_for(digest, sender).as_bytes())
    except OSError as exc:  # the row in the table is the real outbox; this copy is a convenience
        log.warning("could not write unsent digest %s to %s: %s", digest.id, folder, exc)


def _forget_unsent(folder: Path | None, digest_ids: Iterable[int]) -> None:
    """Remove the .eml copies of digests that went out: the folder holds only what is still unsent."""
    if folder is None:
        return
    for digest_id in digest_ids:
        try:
            _unsent_copy(Path(folder), digest_id).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove the copy of sent digest %s from %s: %s", digest_id, folder, exc)


def _sent_copies(store: Any, folder: Path | None) -> set[int]:
    """Digests whose copy is still in the folder though they were sent (by another process, before a
    crash, or before copies were removed on sending)."""
    if folder is None or not Path(folder).is_dir():
        return set()
    found = {int(m.group(1)) for p in Path(folder).iterdir() if (m := _COPY_NAME.fullmatch(p.name))}
    if not found:
        return set()
    with store.read_session() as s:
        return outbox.sent_among(s, found)


_COPY_NAME = re.compile(r"unsent-digest-(\d+)\.eml")


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
    """Try every unsent digest once; returns counts {'sent': n, 'failed': m} (m counts refusals for good too).

    Each row is claimed in its own short transaction before sending, so two runs never both send it and
    no transaction is open while the server is talked to. With `outbox_dir`, a digest that could not be
    sent is also written there as an .eml file, so an operator can see (and forward) it while the server
    is down; the copy is removed once the digest is sent.
    """
    _forget_unsent(outbox_dir, _sent_copies(store, outbox_dir))
    with store.read_session() as s:
        pending = outbox.pending_ids(s)
    counts = {"sent": 0, "failed": 0}
    for digest_id in pending:
        outcome = _send_one(store, config, digest_id, max_attempts, outbox_dir)
        if outcome:
            counts[outcome] += 1
    return counts


SMTP_STEPS = 12  # connect, EHLO, STARTTLS, EHLO, AUTH (two turns), MAIL, RCPT, DATA, the body, QUIT, spare


def claim_lease(config: SmtpSettings) -> dt.timedelta:
    """How long a claim protects a digest: longer than any live send, each of whose steps waits at most
    smtp.timeout (30 minutes at the least)."""
    return max(outbox.CLAIM_LEASE, dt.timedelta(seconds=SMTP_STEPS * config.timeout))


def _send_one(store: Any, config: SmtpSettings, digest_id: int, max_attempts: int | None,
              outbox_dir: Path | None) -> str | None:

    with store.session() as s:  # committed before the server is contacted: no lock is held while it talks
        digest = outbox.claim(s, digest_id, max_attempts, lease=claim_lease(config))
    if digest is None:  # sent, refused for good, out of attempts, or another sender holds it
        return None
    try:
        send(config, message_for(digest, config.sender))
    except MailError as exc:
        _record_failure(store, digest, exc, config.sender, outbox_dir)
        return "failed"
    # Why this is exactly once but for one window: the claim keeps every other sender off the row until
    # the commit below. If this process dies after the server's 250 and before that commit, the row stays
    # claimed, not sent; once the claim's lease has run out the next run sends it again. That duplicate
    # is the one left (it carries the same Message-ID, so mail clients show a single message); the same
    # happens if the database cannot record "sent" here. A death before the 250 duplicates nothing: the
    # digest goes out after the lease. (Outside our reach: a server that queued the message but whose
    # 250 never arrived, or a live send dragged past the lease by a server that drips its answers.)
    with store.session() as s:
        outbox.mark_sent(s, digest.id, dt.datetime.now(dt.UTC))
    _forget_unsent(outbox_dir, [digest.id])
    log.info("digest %s sent to %s", digest.id, digest.recipient)
    return "sent"


def _record_failure(store: Any, digest: Any, exc: MailError, sender: str, outbox_dir: Path | None) -> None:
    refused_at = dt.datetime.now(dt.UTC) if exc.permanent else None
    with store.session() as s:
        outbox.mark_failed(s, digest.id, str(exc), claimed_at=digest.claimed_at, permanently_at=refused_at)
    if exc.permanent:
        log.error("digest %s to %s refused for good, not retried: %s", digest.id, digest.recipient, exc)
    else:
        log.warning("digest %s to %s not sent (attempt %s): %s", digest.id, digest.recipient, digest.attempts, exc)
    if outbox_dir is not None:
        _keep_unsent(Path(outbox_dir), digest, sender)
