"""``nightingale hub``: JupyterHub, its proxy and the governance service on one machine.

The demo's last stage (order 200, ``serve``) starts the hub and blocks until Ctrl-C, or
with ``--no-serve`` only prints how to start it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from nightingale.cli.context import state

if TYPE_CHECKING:
    from nightingale.cli.demo import DemoRun
    from nightingale.platform.settings import Settings

console = Console(highlight=False)

DEMO_ACCOUNTS = [
    ("rita", "researcher (project dfh-pilot)"),
    ("sam", "data steward"),
    ("sasha", "data steward"),
    ("otto", "output checker"),
    ("owen", "output checker"),
    ("eve", "evaluator"),
    ("ada", "administrator"),
    ("lina", "linkage officer"),
]
DEMO_PASSWORD = "nightingale-demo"  # noqa: S105 - the documented demo password, demo data only


def serve_hub(
    settings: Settings, port: int, show_demo_accounts: bool, unisolated_dev: bool = False
) -> None:
    """Start the hub, print where it is, and block until Ctrl-C; always stop it."""
    from nightingale.hub.isolation import UNISOLATED_DEV_FLAG, can_isolate
    from nightingale.hub.launcher import HubProcess

    hub = HubProcess(
        settings.data_root,
        port=port,
        database_url=settings.database_url,
        unisolated_dev=unisolated_dev,
    )
    console.print("starting JupyterHub, configurable-http-proxy and the governance service…")
    hub.start()
    try:
        console.print(f"[bold green]Nightingale is running at {hub.url}/[/]")
        console.print(f"governance pages: {hub.service_url}")
        console.print(f"public results registry: {hub.service_url}registry")
        if not can_isolate() and unisolated_dev:
            console.print(
                f"[bold red]UNISOLATED DEVELOPMENT MODE ({UNISOLATED_DEV_FLAG}=1): not root, "
                "so researchers' servers run as this user and can read the keys, the "
                "identifier zone and the database. Never use this with real data "
                "(see docs/security.md).[/]"
            )
        elif not can_isolate():
            console.print(
                "[yellow]not running as root: researchers' servers cannot be isolated and "
                "will be refused (run as root, or pass --unisolated-dev on a development "
                "machine with no real data; see docs/security.md)[/]"
            )
        if show_demo_accounts:
            console.print(f"demo accounts (password [bold]{DEMO_PASSWORD}[/]):")
            for name, role in DEMO_ACCOUNTS:
                console.print(f"  {name:<6} {role}")
        console.print("press Ctrl-C to stop")
        hub.wait()
    except KeyboardInterrupt:
        console.print("stopping…")
    finally:
        hub.stop()


def hub(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 for the hub's public URL.")] = 8000,
    unisolated_dev: Annotated[
        bool,
        typer.Option(
            "--unisolated-dev",
            help="Development only, no real data: start researchers' servers even though "
            "this hub cannot isolate them (not root); they run as this user.",
        ),
    ] = False,
) -> None:
    """Start JupyterHub (researchers' notebooks) and the governance web service."""
    serve_hub(state(ctx).settings, port, show_demo_accounts=False, unisolated_dev=unisolated_dev)


def _stage_serve(run: DemoRun) -> None:
    if run.serve:
        from nightingale.hub.isolation import can_isolate

        # The demo region is synthetic: without root the demo says so loudly and runs
        # its servers unisolated rather than refusing them.
        serve_hub(run.cli.settings, 8000, show_demo_accounts=True, unisolated_dev=not can_isolate())
        return
    data_root = run.cli.settings.data_root
    console.print(
        f"to use the platform in a browser: nightingale --data-root {data_root} hub "
        "(then open http://127.0.0.1:8000/)"
    )
    console.print(
        f"demo accounts: {', '.join(n for n, _ in DEMO_ACCOUNTS)}; password {DEMO_PASSWORD}"
    )


DEMO_STAGES = [(200, "serve", _stage_serve)]


def register(app: typer.Typer) -> None:
    """Add the hub command."""
    app.command()(hub)
