"""The ``nightingale`` command line: a thin edge over the packages' Python APIs.

Each module in this package that defines ``register(app)`` adds its commands, so a
capability brings its own commands without editing a shared list. Errors meant for people
(:class:`NightingaleError`) print as one line; anything else prints one line too unless
``--debug`` asks for the traceback.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from nightingale.cli.context import CliState
from nightingale.platform.errors import NightingaleError

app = typer.Typer(
    name="nightingale",
    help="Nightingale: link, govern and analyse housing, employment and health data safely.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


@app.callback()
def _global_options(
    ctx: typer.Context,
    data_root: Annotated[
        Path | None,
        typer.Option(
            "--data-root",
            help="Data root folder (else $NIGHTINGALE_DATA_ROOT, else ./var).",
            show_default=False,
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    ctx.obj = CliState(data_root=data_root, debug=debug)


def _register_commands() -> None:
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(app)


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script; exits with the command's status.

    Typer/Click handle usage errors, ``--help`` and exit codes (standalone mode); what
    reaches here is an error from the command itself.
    """
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        app(args=args, prog_name="nightingale")
    except NightingaleError as exc:
        if debug:
            raise
        typer.secho(f"error: {exc}", err=True, fg="red")
        sys.exit(exc.exit_code)
    except Exception as exc:
        if debug:
            raise
        typer.secho(
            f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for details)",
            err=True,
            fg="red",
        )
        sys.exit(2)
