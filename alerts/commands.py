"""`nianbao digest`: build the digest on demand (preview, .eml files, or send through the outbox)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from nianbao.alerts.digest import build_digests
from nianbao.alerts.mailer import send_pending, write_eml
from nianbao.monitor.events import derive_events
from nianbao.settings import settings_from_context
from nianbao.storage.store import Store


@click.command()
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="First day of the period (default: 6 days before --as-of).")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last day of the period (default: today, in schedule.timezone).")
@click.option("--preview", "mode", flag_value="preview", default=True, help="Print the plain-text digest (default).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Write one .eml (and an .html preview) per recipient into this folder.")
@click.option("--send", "mode", flag_value="send", help="Record in the outbox and send (retries unsent ones too).")
@click.pass_context
def digest(ctx: click.Context, since: dt.datetime | None, as_of: dt.datetime | None, mode: str,
           out_dir: str | None) -> None:
    """Build the digest of stored events for a period, per recipient."""

    settings = settings_from_context(ctx)
    day = as_of.date() if as_of else settings.clock.today()
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
            click.echo(f"digests sent: {counts['sent']}, not sent (kept for the next run): {counts['failed']}")
        else:
            for one in built:
                click.echo(f"=== To: {one.recipient.email}\nSubject: {one.rendered.subject}\n")
                click.echo(one.rendered.text)
