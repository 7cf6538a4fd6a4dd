"""Running a click command as a console entry point: a usage error or an interruption is one line on standard
error and an exit status shared by every command, never a traceback."""

from __future__ import annotations

import sys

import click

EXIT_USAGE = 2
"""A bad option or argument."""
EXIT_INTERRUPTED = 130
"""Interrupted (Ctrl-C)."""


def run(command: click.Command, name: str) -> None:
    """Run ``command`` on the process's arguments as the console command ``name``; exit with its status."""
    try:
        command.main(prog_name=name, standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo(f"{name}: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as error:
        click.echo(f"{name}: error: {error.format_message()}", err=True)
        sys.exit(EXIT_USAGE if isinstance(error, click.UsageError) else error.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
