"""The `nianbao` command. Each concern registers its own sub-commands from its own package.

Sub-commands are imported lazily so that `nianbao check` does not pay for Scrapy, SQLAlchemy or the
web stack: this is the one place where imports wait until they are needed. To add a command, add a line to
COMMANDS: (name, "module:attribute") of a click.Command. Every room ships in the one package, so a command
that fails to import is a bug, never an optional part.
"""

from __future__ import annotations

import importlib

import click

COMMANDS: dict[str, str] = {
    "check": "nianbao.app.check:check",
    "crawl": "nianbao.crawler.commands:crawl",
    "reports": "nianbao.storage.commands:reports",
    "status": "nianbao.monitor.commands:status",
    "digest": "nianbao.alerts.commands:digest",
    "run": "nianbao.app.cluster:run",
    "demo": "nianbao.app.demo:demo",
    "serve": "nianbao.dashboard.commands:serve",
    "user": "nianbao.dashboard.commands:user",
    "db": "nianbao.storage.commands:db",
    "agencies": "nianbao.app.registry:agencies",
    "worker": "nianbao.app.cluster:worker",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return command


@click.group(cls=LazyGroup)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    envvar="NIANBAO_CONFIG",
    help="Settings file (default: config/nianbao.yaml).",
)
@click.version_option(package_name="nianbao")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """nianbao watches government websites for their 政府信息公开工作年度报告: who published on time,
    who is late or missing, which figures do not add up; a weekly digest by mail and a dashboard.

    \b
    Start with:  nianbao demo          (a try-out on bundled demo sites)
    Every day:   nianbao run           (crawl, digest, dashboard, on schedule)
    A file:      nianbao check FILE    (is this report consistent?)"""
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path


if __name__ == "__main__":
    main()
