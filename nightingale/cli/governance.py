"""``nightingale people | projects | requests | audit | governance``: thin over governance.

Every command names who is acting with ``--as USERNAME`` (or ``$NIGHTINGALE_ACTOR``): the
CLI runs on the platform machine for operators who hold the data root, so it trusts the
name it is given, and the policy then decides as for anyone. The web service and the
hub identify people themselves. Refusals print one line and are audited.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from nightingale.cli.context import state
from nightingale.platform.errors import NightingaleError

if TYPE_CHECKING:
    from nightingale.cli.demo import DemoRun
    from nightingale.operations.unit import Unit
    from nightingale.platform.settings import Settings

console = Console(highlight=False)

As = Annotated[str, typer.Option("--as", envvar="NIGHTINGALE_ACTOR", help="Who is acting.")]
Reason = Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")]


def cli_actor() -> str:
    """Who runs a command that takes no ``--as`` (ingest, link): the machine's user."""
    return f"cli:{getpass.getuser()}"


@contextmanager
def governance_unit(settings: Settings, actor: str | None = None) -> Iterator[Unit]:
    """A unit of work (:func:`nightingale.operations.unit.open_unit`) for one command."""
    from nightingale.operations.unit import open_unit

    with open_unit(settings, actor or cli_actor()) as work:
        yield work


@contextmanager
def unit(ctx: typer.Context, actor: str | None = None) -> Iterator[Unit]:
    with governance_unit(state(ctx).settings, actor) as work:
        yield work


def parse_date(value: str | None, what: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise NightingaleError(f"{what}: {value!r} is not a date (YYYY-MM-DD)") from exc


def show_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


# -- projects -----------------------------------------------------------------------------

projects_app = typer.Typer(help="Research projects and their members.", no_args_is_help=True)


@projects_app.command("create")
def projects_create(
    ctx: typer.Context,
    slug: str,
    actor: As,
    title: Annotated[str, typer.Option()],
    purpose: Annotated[str, typer.Option()],
    benefit: Annotated[str, typer.Option(help="Public-benefit statement.")],
    lawful_basis: Annotated[str, typer.Option()],
    ethics: Annotated[str, typer.Option(help="Ethics approval reference.")],
    pi: Annotated[str, typer.Option(help="Principal investigator (a researcher).")],
    start: Annotated[str, typer.Option(help="Start date YYYY-MM-DD.")],
    end: Annotated[str, typer.Option(help="End date YYYY-MM-DD.")],
    purpose_code: Annotated[
        str,
        typer.Option(
            help="Kind of purpose data sharing agreements are checked against: research, "
            "service_evaluation, clinical_audit, planning or public_health."
        ),
    ] = "research",
) -> None:
    """Create a draft project."""
    from nightingale.governance import projects

    with unit(ctx) as work:
        projects.create_project(
            work.session,
            work.keystore,
            by=actor,
            slug=slug,
            title=title,
            purpose=purpose,
            purpose_code=purpose_code,
            public_benefit=benefit,
            lawful_basis=lawful_basis,
            ethics_reference=ethics,
            pi=pi,
            start_date=parse_date(start, "--start") or date.today(),
            end_date=parse_date(end, "--end") or date.today(),
        )
    console.print(f"[green]project {slug} created (draft)")


@projects_app.command("add-member")
def projects_add_member(ctx: typer.Context, slug: str, username: str, actor: As) -> None:
    """Add a researcher or evaluator to a project (its PI or an administrator); once the
    project is approved the member waits for a steward (approve-member)."""
    from nightingale.governance import projects

    with unit(ctx) as work:
        project = projects.add_member(
            work.session, work.keystore, by=actor, slug=slug, username=username
        )
        pending = username in project.pending_usernames
    if pending:
        console.print(
            f"[yellow]{username} waits for a steward's approval before joining {slug} "
            f"(nightingale projects approve-member {slug} {username} --as <steward>)"
        )
    else:
        console.print(f"[green]{username} is a member of {slug}")


@projects_app.command("approve-member")
def projects_approve_member(ctx: typer.Context, slug: str, username: str, actor: As) -> None:
    """A steward off the project lets in a member added after its approval."""
    from nightingale.governance import projects

    with unit(ctx) as work:
        projects.approve_member(work.session, work.keystore, by=actor, slug=slug, username=username)
    console.print(f"[green]{username} is a member of {slug}")


@projects_app.command("refuse-member")
def projects_refuse_member(
    ctx: typer.Context,
    slug: str,
    username: str,
    actor: As,
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit log).")] = "",
) -> None:
    """A steward off the project turns away a member added after its approval (--reason)."""
    from nightingale.governance import projects

    with unit(ctx) as work:
        projects.refuse_member(
            work.session, work.keystore, by=actor, slug=slug, username=username, reason=reason
        )
    console.print(f"[yellow]{username} was refused membership of {slug}")


def _project_step(name: str, doc: str, needs_reason: bool) -> None:
    def command(
        ctx: typer.Context,
        slug: str,
        actor: As,
        reason: Annotated[str, typer.Option(help="Why.")] = "",
    ) -> None:
        from nightingale.governance import projects

        step = getattr(projects, f"{name}_project")
        with unit(ctx) as work:
            kwargs = {"reason": reason} if needs_reason else {}
            project = step(work.session, work.keystore, by=actor, slug=slug, **kwargs)
        console.print(f"[green]project {slug} is {project.status}")

    command.__doc__ = doc
    projects_app.command(name)(command)


_project_step("submit", "The PI submits a draft project for approval.", False)
_project_step("approve", "A steward not on the project approves it (--reason).", True)
_project_step("activate", "Open an approved project's workspaces.", False)
_project_step("close", "Close a project (its releases go at the next enforce).", True)


@projects_app.command("list")
def projects_list(ctx: typer.Context) -> None:
    """Every project with its status, PI and dates."""
    from nightingale.governance import projects

    with unit(ctx) as work:
        rows = [
            [
                p.slug,
                p.status,
                p.pi.username,
                p.start_date,
                p.end_date,
                ", ".join(
                    sorted(p.member_usernames)
                    + [f"{name} (pending)" for name in sorted(p.pending_usernames)]
                ),
            ]
            for p in projects.list_projects(work.session)
        ]
    show_table("projects", ["project", "status", "PI", "start", "end", "members"], rows)


@projects_app.command("show")
def projects_show(ctx: typer.Context, slug: str) -> None:
    """A project's details."""
    from nightingale.governance import projects

    with unit(ctx) as work:
        p = projects.get_project(work.session, slug)
        for label, value in (
            ("project", p.slug),
            ("title", p.title),
            ("status", p.status),
            ("PI", p.pi.username),
            ("purpose", p.purpose),
            ("purpose code", p.purpose_code),
            ("public benefit", p.public_benefit),
            ("lawful basis", p.lawful_basis),
            ("ethics", p.ethics_reference),
            ("dates", f"{p.start_date} to {p.end_date}"),
            ("members", ", ".join(sorted(p.member_usernames))),
        ):
            console.print(f"[bold]{label:>15}[/]  {value}")


# -- governance ---------------------------------------------------------------------------

governance_app = typer.Typer(
    help="Expiry enforcement, datasets and the policy.", no_args_is_help=True
)


@governance_app.command("enforce")
def governance_enforce(
    ctx: typer.Context,
    actor: As,
    on: Annotated[str | None, typer.Option(help="Pretend today is this date.")] = None,
) -> None:
    """Expire ended projects; revoke and delete their releases (audited; safe to repeat)."""
    from nightingale.governance import enforcement

    with unit(ctx) as work:
        report = enforcement.enforce(
            work.session,
            work.keystore,
            by=actor,
            data_root=work.settings.data_root,
            on=parse_date(on, "--on"),
        )
    if not report.changed:
        console.print("[green]ok[/] nothing due")
        return
    for slug in report.expired_projects:
        console.print(f"expired project {slug}")
    for request_id in report.expired_requests:
        console.print(f"expired request {request_id}")
    for release_id in report.revoked_releases:
        console.print(f"revoked and deleted release {release_id}")


@governance_app.command("datasets")
def governance_datasets(ctx: typer.Context) -> None:
    """Registered datasets and their classification."""
    from nightingale.governance import datasets

    with unit(ctx) as work:
        rows = [
            [d.name, d.classification, d.description] for d in datasets.list_datasets(work.session)
        ]
    show_table("datasets", ["dataset", "classification", "description"], rows)


@governance_app.command("dataset-add")
def governance_dataset_add(
    ctx: typer.Context,
    name: str,
    actor: As,
    classification: Annotated[str, typer.Option(help="special_category, personal or public.")],
    description: Annotated[str, typer.Option()] = "",
) -> None:
    """Register a dataset or raise its classification (lowering one takes two people:
    dataset-downgrade, then dataset-confirm by someone else)."""
    from nightingale.governance import datasets

    with unit(ctx) as work:
        datasets.register_dataset(
            work.session,
            work.keystore,
            by=actor,
            name=name,
            classification=classification,
            description=description,
        )
    console.print(f"[green]dataset {name} is {classification}")


@governance_app.command("dataset-downgrade")
def governance_dataset_downgrade(
    ctx: typer.Context,
    name: str,
    actor: As,
    classification: Annotated[str, typer.Option(help="The lower classification.")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the audit log).")],
) -> None:
    """Propose lowering a dataset's classification; another steward or administrator
    confirms it with dataset-confirm."""
    from nightingale.governance import datasets

    with unit(ctx) as work:
        proposal = datasets.propose_downgrade(
            work.session,
            work.keystore,
            by=actor,
            name=name,
            classification=classification,
            reason=reason,
        )
        downgrade_id = proposal.id
    console.print(
        f"downgrade {downgrade_id} proposed: {name} to {classification} once another steward "
        f"or administrator runs 'nightingale governance dataset-confirm {downgrade_id}'"
    )


@governance_app.command("dataset-confirm")
def governance_dataset_confirm(ctx: typer.Context, downgrade_id: int, actor: As) -> None:
    """Confirm another person's proposed downgrade of a dataset's classification."""
    from nightingale.governance import datasets

    with unit(ctx) as work:
        dataset = datasets.confirm_downgrade(
            work.session, work.keystore, by=actor, downgrade_id=downgrade_id
        )
        name, classification = dataset.name, dataset.classification
    console.print(f"[green]dataset {name} is {classification}")


@governance_app.command("policy")
def governance_policy() -> None:
    """Which roles may take each action (before state and membership checks)."""
    from nightingale.governance.policy import Action, roles_for

    show_table(
        "policy",
        ["action", "roles"],
        [[str(a), ", ".join(sorted(roles_for(a))) or "anyone (the rule decides)"] for a in Action],
    )


def register(app: typer.Typer) -> None:
    """Add the governance command groups."""
    app.add_typer(projects_app, name="projects")
    app.add_typer(governance_app, name="governance")


# -- demo ---------------------------------------------------------------------------------

DEMO_PASSWORD = "nightingale-demo"  # noqa: S105 (printed on purpose: it is a demo)


def _demo_stage_people(run: DemoRun) -> None:
    from nightingale.cli import governance_demo

    with governance_unit(run.cli.settings) as work:
        governance_demo.people_and_project(work.session, work.keystore, work.settings)
    console.print(
        f"demo people: ada (administrator), rita (researcher), sam and sasha (data "
        f"stewards), otto and owen (output checkers), eve (evaluator), lina (linkage "
        f"officer); password "
        f"[bold]{DEMO_PASSWORD}[/]"
    )
    console.print("a data sharing agreement with each provider (every table, for research)")
    console.print("project dfh-pilot is active, PI rita")


def _demo_stage_request(run: DemoRun) -> None:
    from nightingale.cli import governance_demo

    with governance_unit(run.cli.settings, governance_demo.REQUESTER) as work:
        request_id, status = governance_demo.linkage_request(work)
    console.print(f"linkage request {request_id} for dfh-pilot is {status}")


DEMO_STAGES: list[tuple[int, str, Callable[[DemoRun], None]]] = [
    (40, "people and project", _demo_stage_people),
    (70, "request", _demo_stage_request),
]
