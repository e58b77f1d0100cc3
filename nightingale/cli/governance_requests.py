"""``nightingale requests``: linkage requests and steward decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from nightingale.cli.governance import As, Reason, console, show_table, unit
from nightingale.platform.errors import NightingaleError

# -- requests -----------------------------------------------------------------------------

requests_app = typer.Typer(help="Linkage requests and steward decisions.", no_args_is_help=True)


def _needs(datasets: list[str], variables: list[str]) -> list[Any]:
    """Parse ``--dataset NAME:why`` and ``--variable NAME.VAR:why`` into dataset needs."""
    from nightingale.governance.requests import DatasetNeed

    whys: dict[str, str] = {}
    for item in datasets:
        name, sep, why = item.partition(":")
        if not sep:
            raise NightingaleError(f"--dataset {item!r}: write NAME:JUSTIFICATION")
        whys[name.strip()] = why.strip()
    per: dict[str, dict[str, str]] = {name: {} for name in whys}
    for item in variables:
        qualified, sep, why = item.partition(":")
        dataset, dot, variable = qualified.partition(".")
        if not sep or not dot:
            raise NightingaleError(f"--variable {item!r}: write DATASET.VARIABLE:JUSTIFICATION")
        if dataset not in per:
            raise NightingaleError(f"--variable {item!r}: dataset {dataset!r} is not requested")
        per[dataset][variable.strip()] = why.strip()
    return [DatasetNeed(name, whys[name], per[name]) for name in whys]


@requests_app.command("create")
def requests_create(
    ctx: typer.Context,
    actor: As,
    project: Annotated[str, typer.Option()],
    spec: Annotated[Path, typer.Option(help="Cohort spec YAML file.")],
    dataset: Annotated[list[str], typer.Option(help="NAME:JUSTIFICATION (repeatable).")],
    variable: Annotated[
        list[str] | None, typer.Option(help="DATASET.VARIABLE:JUSTIFICATION (repeatable).")
    ] = None,
    title: Annotated[str, typer.Option()] = "",
    submit: Annotated[bool, typer.Option(help="Submit straight away.")] = False,
) -> None:
    """Draft a linkage request (and optionally submit it); the spec is validated."""
    from nightingale.cohorts.loading import read_spec_text
    from nightingale.operations import requests

    spec_text = read_spec_text(spec)
    needs = _needs(dataset, variable or [])
    with unit(ctx, actor) as work:
        request = requests.create_request(
            work,
            project=project,
            title=title,
            spec_text=spec_text,
            datasets=needs,
            submit=submit,
        )
        request_id, status = request.id, request.status
    console.print(f"[green]request {request_id} {status}")


@requests_app.command("list")
def requests_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    project: Annotated[str | None, typer.Option(help="Only this project.")] = None,
) -> None:
    """Linkage requests, e.g. the stewards' queue: --status submitted."""
    from nightingale.governance import requests
    from nightingale.operations import decisions

    with unit(ctx) as work:
        rows = [
            [
                r.id,
                r.project.slug,
                r.status,
                r.requester.username,
                ", ".join(d.dataset_name for d in r.dataset_rows),
                str(decisions.tally(work, r)),
            ]
            for r in requests.list_requests(work.session, status=status, project=project)
        ]
    show_table(
        "linkage requests",
        ["id", "project", "status", "requester", "datasets", "approvals this round"],
        rows,
    )


@requests_app.command("show")
def requests_show(ctx: typer.Context, request_id: int) -> None:
    """A request: spec, datasets and variables with justifications, decisions."""
    from nightingale.governance import approvals, requests
    from nightingale.operations import decisions

    with unit(ctx) as work:
        r = requests.get_request(work.session, request_id)
        console.print(
            f"[bold]request {r.id}[/] {r.title} — project {r.project.slug}, "
            f"status {r.status}, round {r.round} ({decisions.tally(work, r)} approvals), "
            f"by {r.requester.username}"
        )
        console.print(f"spec sha256 {r.spec_sha256}")
        for d in r.dataset_rows:
            special = " (special category)" if d.dataset.special_category else ""
            console.print(f"  dataset [bold]{d.dataset_name}[/]{special}: {d.justification}")
            for v in r.variable_rows:
                if v.dataset_name == d.dataset_name:
                    console.print(f"    {v.variable}: {v.justification}")
        for a in approvals.decisions_for(work.session, request_id):
            console.print(f"  round {a.round}: {a.steward.username} {a.decision} — {a.reason}")
        console.rule("cohort spec")
        console.print(r.spec_text, markup=False)


@requests_app.command("submit")
def requests_submit(ctx: typer.Context, request_id: int, actor: As) -> None:
    """Send a draft or revised request to the stewards (its spec is validated again)."""
    from nightingale.operations import requests

    with unit(ctx, actor) as work:
        r = requests.submit_request(work, request_id)
        console.print(f"[green]request {request_id} {r.status} (round {r.round})")


def _decision(name: str, decision: str, doc: str) -> None:
    def command(ctx: typer.Context, request_id: int, actor: As, reason: Reason) -> None:
        from nightingale.operations import decisions

        with unit(ctx, actor) as work:
            outcome = decisions.decide(work, request_id, decision, reason)
        console.print(
            f"[green]request {request_id} is {outcome.status}[/] "
            f"({outcome.approvals} of {outcome.needed} approvals)"
        )

    command.__doc__ = doc
    requests_app.command(name)(command)


_decision("approve", "approve", "A steward approves (two needed for special-category data).")
_decision("reject", "reject", "A steward rejects the request (final).")
_decision("changes", "changes", "A steward returns the request for changes.")


@requests_app.command("withdraw")
def requests_withdraw(ctx: typer.Context, request_id: int, actor: As, reason: Reason) -> None:
    """A project member withdraws a request."""
    from nightingale.governance import requests

    with unit(ctx) as work:
        requests.withdraw_request(
            work.session, work.keystore, by=actor, request_id=request_id, reason=reason
        )
    console.print(f"[yellow]request {request_id} withdrawn")


def register(app: typer.Typer) -> None:
    """Add the requests command group (``nightingale audit`` is in governance_audit)."""
    app.add_typer(requests_app, name="requests")
