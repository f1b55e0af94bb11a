"""`nianbao digest`: build the digest on demand (preview, .eml files, or send through the outbox), or list
the outbox (`--outbox`: what is not sent yet, and why)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from nianbao.alerts.digest import build_digests
from nianbao.alerts.mailer import send_pending, write_eml
from nianbao.monitor.events import derive_events
from nianbao.settings import settings_from_context
from nianbao.storage import outbox
from nianbao.storage.models import Digest
from nianbao.storage.store import Store

NOTHING_SENT = 3  # exit status of --send when every send failed


@click.command(short_help="The weekly digest for overseers: preview, write or send.", epilog="""\b
Exit status: 0 done; 1 usage or settings mistake; 3 with --send, no digest
could be sent (every send failed or was refused).""")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="First day of the period (default: 6 days before --as-of).")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last day of the period (default: today, in schedule.timezone).")
@click.option("--preview", "mode", flag_value="preview", default=True, help="Print the plain-text digest (default).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Write one .eml (and an .html preview) per recipient into this folder.")
@click.option("--send", "mode", flag_value="send", help="Record in the outbox and send (retries unsent ones too).")
@click.option("--outbox", "mode", flag_value="outbox",
              help="List the digests not sent yet (waiting, being sent, or refused for good) and build nothing.")
@click.pass_context
def digest(ctx: click.Context, since: dt.datetime | None, as_of: dt.datetime | None, mode: str,
           out_dir: str | None) -> None:
    """The weekly digest for the overseers: new, changed, late, missing and inconsistent reports of a
    period, per recipient; preview it, write it as .eml files, or send it."""
    settings = settings_from_context(ctx, database=True)
    if mode == "outbox":
        with Store.from_settings(settings) as store, store.read_session() as s:
            click.echo("\n".join(outbox_lines(outbox.unsent(s))))
        return
    day = as_of.date() if as_of else settings.clock.today()
    if since is not None and since.date() > day:
        raise click.BadParameter(f"起始日 {since.date()} 晚于截止日 {day}：--since 必须不晚于 --as-of",
                                 param_hint="--since")
    with Store.from_settings(settings) as store:
        store.sync_agencies(settings.agencies)
        if as_of is None:
            derive_events(store, settings)  # today's view: bring events up to date first
        built = build_digests(store, settings, as_of=day, since=since.date() if since else None,
                              record=mode == "send")
        if out_dir:
            for one in built:
                path = write_eml(Path(out_dir), one, settings.smtp.sender)
                click.echo(f"wrote {path} and {path.with_suffix('.html')}")
        elif mode == "send":
            counts = send_pending(store, settings.smtp, outbox_dir=settings.outbox_dir)
            click.echo(f"已发送 {counts['sent']} 份，未发送（留待下次重试或已被拒收）{counts['failed']} 份")
            _echo_refused(store)
            if counts["failed"] and not counts["sent"]:
                # cron and systemd must notice a digest that reached nobody
                raise click.exceptions.Exit(NOTHING_SENT)
        else:
            for one in built:
                click.echo(f"=== To: {one.recipient.email}\nSubject: {one.rendered.subject}\n")
                click.echo(one.rendered.text)


def outbox_lines(rows: list[Digest]) -> list[str]:
    """The outbox for an overseer: one line per unsent digest with its state and the server's last answer."""
    if not rows:
        return ["发件箱为空：所有摘要均已发送。"]
    lines = [f"发件箱：{len(rows)} 份摘要未发送"]
    for row in rows:
        period = f"{row.period_start:%Y-%m-%d} 至 {row.period_end:%Y-%m-%d}"
        lines.append(f"#{row.id} {row.recipient} {period} 已尝试 {row.attempts} 次 — {_state(row)}")
    return lines


def _state(row: Digest) -> str:
    if row.failed_permanently_at is not None:
        return f"被邮件服务器永久拒收，不再重试（{row.failed_permanently_at:%Y-%m-%d %H:%M} UTC）：{row.last_error}"
    if row.claimed_at is not None:
        return f"发送中（{row.claimed_at:%Y-%m-%d %H:%M} UTC 起）"
    if row.last_error:
        return f"等待重试，上次失败：{row.last_error}"
    return "等待发送"


def _echo_refused(store: Store) -> None:
    with store.read_session() as s:
        refused = [row for row in outbox.unsent(s) if row.failed_permanently_at is not None]
    if refused:
        click.echo("\n".join(["以下摘要被邮件服务器永久拒收，不会再重试（请核对收件地址）：",
                              *outbox_lines(refused)[1:]]))
