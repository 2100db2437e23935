"""The ``toshav`` command: serve, run the worker, migrate, load demo data, and each enabled
domain's commands."""

from __future__ import annotations

import os
import sys

import click
from pydantic import ValidationError

from kernel.console import READ_SETTINGS, command_settings
from kernel.manifest import Manifest
from toshav import plug_ins
from toshav.demo import demo
from toshav.domains import EVERY, enabled
from toshav.settings import get_settings


def _manifests() -> tuple[Manifest, ...]:
    """The domains the environment's settings turn on (TOSHAV_MODULES)."""
    try:
        return enabled(get_settings())
    except ValidationError:  # settings the command itself will refuse, saying why
        return EVERY


class DomainCommands(click.Group):
    """The root's own commands, and those of the domains the settings turn on (TOSHAV_MODULES):
    a domain that is off has no commands."""

    def _domains(self) -> dict[str, click.Command]:
        return {
            command.name: command
            for manifest in _manifests()
            for command in manifest.commands
            if command.name is not None
        }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._domains()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or self._domains().get(cmd_name)


@click.group(cls=DomainCommands)
@click.pass_context
def main(context: click.Context) -> None:
    """Toshav: the city's digital resident card and its benefits."""
    # Before any command runs: where the service's settings come from, and the enabled domains'
    # plug-ins in their registries.
    context.meta[READ_SETTINGS] = get_settings
    plug_ins.install(_manifests())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--forwarded-allow-ips",
    default=lambda: os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
    show_default="FORWARDED_ALLOW_IPS, else 127.0.0.1",
    help="The reverse proxies whose X-Forwarded-For names the client (comma-separated; * for any). "
    "Limits on volume count by that client address.",
)
def serve(host: str, port: int, workers: int, forwarded_allow_ips: str) -> None:
    """Serve the API and the web pages."""
    from toshav import serving

    command_settings()
    log_level = os.environ.get("TOSHAV_LOG_LEVEL", "info")
    # From a process that has imported no domain (toshav/serving.py says why), and has counted
    # nothing yet in a metrics folder it empties.
    if workers > 1 or os.environ.get(serving.MULTIPROCESS_DIR):
        serving.exec_workers(host, port, workers, forwarded_allow_ips, log_level)
    serving.run(host, port, workers, forwarded_allow_ips, log_level)


@main.command()
@click.option("--once", is_flag=True, help="Run what is due now once, then exit (tests, cron).")
def worker(once: bool) -> None:
    """Run the periodic jobs and drains of the enabled domains (until SIGTERM or SIGINT).

    With --once: exit status 1 when a run failed (it is retried on a later tick, or was given up).
    """
    from kernel import logs
    from toshav import worker as jobs_worker

    settings = command_settings()
    logs.configure(os.environ.get("TOSHAV_LOG_LEVEL", "info"))
    if not once:
        jobs_worker.run_forever(settings)
        return
    outcomes = jobs_worker.run_once(settings)
    for outcome in outcomes:
        counts = ", ".join(f"{key} {value}" for key, value in outcome.counts.items())
        line = f"{outcome.name} {outcome.period_key} {outcome.status}".replace("  ", " ")
        click.echo(f"{line}: {counts}" if counts else line)
        if outcome.error:
            click.echo(f"  {outcome.error}", err=True)
    if any(outcome.error for outcome in outcomes):  # a failed attempt, to be retried or not
        raise SystemExit(1)


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
def db_upgrade(revision: str) -> None:
    """Migrate the database to the newest schema (Alembic)."""
    from toshav.schema import upgrade

    settings = command_settings()
    upgrade(settings.database_url, revision)
    click.echo("database is at the newest schema")


main.add_command(demo)


def run() -> None:  # pragma: no cover - console entry for `python -m`
    sys.exit(main())
