"""``nightingale jobs``: run a project pipeline's action as an isolated job, and read jobs.

``run`` calls :func:`nightingale.operations.jobs.run_job` with the isolated runner of
:mod:`nightingale.hub.jobs` (root: no network, the release read-only, the person's uid,
limits); ``submit`` sends a job's ``moderately_sensitive`` outputs to the airlock with
their provenance. ``list``, ``show`` and ``logs`` read the records, as ``outputs show`` does;
``list`` and ``show`` first mark failed any job whose runner died (``reap`` does only that).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from nightingale.cli.context import state
from nightingale.cli.governance import As, console, show_table, unit

jobs_app = typer.Typer(
    help="Analysis jobs: a project's pipeline (project.yaml) run isolated, with provenance.",
    no_args_is_help=True,
)


@jobs_app.command("run")
def jobs_run(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(help="The project whose release the job reads.")],
    action: Annotated[str, typer.Argument(help="The action of project.yaml to run.")],
    actor: As,
    repo: Annotated[
        Path, typer.Option("--repo", help="The project's git repository (with project.yaml).")
    ] = Path("."),
    allow_dirty: Annotated[
        bool,
        typer.Option(help="Run uncommitted code (development only; recorded as dirty)."),
    ] = False,
    timeout: Annotated[int, typer.Option(help="Wall-clock and CPU limit, seconds.")] = 3600,
    memory: Annotated[int, typer.Option(help="Memory limit (address space), MB.")] = 4096,
) -> None:
    """Run ACTION of the pipeline in --repo at its commit, isolated; exit 1 if it failed."""
    from nightingale.hub.jobs import runner_for
    from nightingale.operations.jobs import Limits, run_job

    job_id = run_job(
        state(ctx).settings,
        actor,
        project=project,
        action=action,
        repository=repo,
        runner=runner_for(),
        allow_dirty=allow_dirty,
        limits=Limits(seconds=timeout, memory_mb=memory),
    )
    with unit(ctx) as work:
        from nightingale.governance.jobs import get_job

        job = get_job(work.session, job_id)
        status, reason = job.status, job.reason
        produced = [(o.path, o.level) for o in job.outputs]
    if status != "succeeded":
        console.print(f"[red]job {job_id} {status}[/]: {reason} ('nightingale jobs logs {job_id}')")
        raise typer.Exit(1)
    console.print(f"[green]job {job_id} succeeded[/]")
    for path, level in produced:
        console.print(f"  {path} ({level})")


def _reap(ctx: typer.Context) -> list[int]:
    from nightingale.operations.job_liveness import reap_dead_jobs

    with unit(ctx) as work:
        return reap_dead_jobs(work)


@jobs_app.command("reap")
def jobs_reap(ctx: typer.Context) -> None:
    """Mark failed every running job whose runner died (its process gone, or silent)."""
    reaped = _reap(ctx)
    if not reaped:
        console.print("no running job has lost its runner")
    for job_id in reaped:
        console.print(f"[red]job {job_id} failed[/]: its runner died ('nightingale jobs show')")


@jobs_app.command("list")
def jobs_list(
    ctx: typer.Context,
    project: Annotated[str | None, typer.Option(help="Only this project's jobs.")] = None,
) -> None:
    """Jobs, newest first."""
    from nightingale.governance.jobs import list_jobs

    _reap(ctx)
    with unit(ctx) as work:
        rows = [
            [
                j.id,
                j.project.slug,
                j.action,
                j.status,
                j.requester.username,
                j.commit[:12] + (" (dirty)" if j.dirty else ""),
                j.release_id or "",
                j.started_at.strftime("%Y-%m-%d %H:%M"),
            ]
            for j in list_jobs(work.session, project)
        ]
    show_table(
        "jobs", ["id", "project", "action", "status", "by", "commit", "release", "started"], rows
    )


@jobs_app.command("show")
def jobs_show(
    ctx: typer.Context,
    job_id: int,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A job's provenance, outcome and outputs."""
    from nightingale.governance.jobs import get_job, job_provenance

    _reap(ctx)
    with unit(ctx) as work:
        job = get_job(work.session, job_id)
        shown = {
            **job_provenance(job),
            "status": job.status,
            "reason": job.reason,
            "exit_code": job.exit_code,
            "command": job.command,
            "outputs": [
                {"path": o.path, "label": o.name, "level": o.level, "sha256": o.sha256}
                for o in job.outputs
            ],
        }
    if as_json:
        typer.echo(json.dumps(shown, indent=2))
        return
    console.print(
        f"[bold]job {job_id}[/] {shown['action']} of {shown['project']}: {shown['status']}"
    )
    for key in ("command", "commit", "dirty", "release_id", "pipeline_sha256", "plan_sha256"):
        console.print(f"  {key}: {shown[key]}")
    plan = shown["plan"]
    if plan is not None:
        console.print(f"  plan: {plan_line(plan)}")
    console.print(f"  inputs (jobs): {shown['inputs'] or 'none'}")
    if shown["reason"]:
        console.print(f"  [red]{shown['reason']}[/]")
    for output in shown["outputs"]:
        console.print(f"  {output['path']} ({output['level']}) {output['sha256'][:12]}")


@jobs_app.command("logs")
def jobs_logs(ctx: typer.Context, job_id: int) -> None:
    """What the job printed (standard output and error together)."""
    from nightingale.governance.jobs import get_job
    from nightingale.operations.jobs import read_log

    with unit(ctx) as work:
        text = read_log(work, get_job(work.session, job_id))
    typer.echo(text, nl=False)


@jobs_app.command("submit")
def jobs_submit(
    ctx: typer.Context,
    job_id: int,
    paths: Annotated[
        list[str], typer.Argument(help="Outputs of the job, as project.yaml names them.")
    ],
    actor: As,
    title: Annotated[str, typer.Option()],
) -> None:
    """Submit a job's moderately_sensitive outputs to the airlock, with their provenance."""
    from nightingale.operations import airlock

    with unit(ctx, actor) as work:
        output = airlock.submit_job_outputs(work, job_id=job_id, paths=paths, title=title)
        outcomes = {f.name: f.outcome for f in output.files}
        output_id = output.id
    console.print(
        f"[green]output request {output_id} submitted from job {job_id}[/]: "
        + ", ".join(f"{n} {o}" for n, o in outcomes.items())
    )


def plan_line(plan: dict[str, object]) -> str:
    """The lodged plan version a job ran against, in words."""
    if plan["status"] == "not lodged":
        return "not a lodged plan"
    line = f"{plan['plan_name']} revision {plan['revision']}, lodged {plan['lodged_at']}"
    superseded = plan.get("superseded_by")
    if isinstance(superseded, dict):
        line += f"; superseded by revision {superseded['revision']} ({superseded['lodged_at']})"
    return line


def register(app: typer.Typer) -> None:
    """Add the jobs command group."""
    app.add_typer(jobs_app, name="jobs")
