"""``nightingale agreements | optout | retention | keys``: governed intake and lasting pseudonyms.

Thin over governance and the operations: data sharing agreements per provider (stewards
and administrators), the national data opt-out list (a linkage officer loads it),
retention schedules and runs (an administrator runs them; a dry run unless ``--apply``),
and key rotation and project re-keying (administrators). Every command names who acts
with ``--as`` (or ``$NIGHTINGALE_ACTOR``); refusals print one line and are audited.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from nightingale.cli.governance import As, Reason, console, parse_date, show_table, unit
from nightingale.governance.projects import PURPOSE_CODES

if TYPE_CHECKING:
    from nightingale.cli.demo import DemoRun

agreements_app = typer.Typer(help="Data sharing agreements with providers.", no_args_is_help=True)
optout_app = typer.Typer(help="The national data opt-out list.", no_args_is_help=True)
retention_app = typer.Typer(help="Retention schedules and runs.", no_args_is_help=True)
keys_app = typer.Typer(help="Key rotation and re-keying projects.", no_args_is_help=True)


@agreements_app.command("add")
def agreements_add(
    ctx: typer.Context,
    provider: str,
    reference: Annotated[str, typer.Option(help="The agreement's reference (unique).")],
    actor: As,
    table: Annotated[
        list[str], typer.Option("--table", help="A table it covers (repeat; '*' for all).")
    ],
    legal_basis: Annotated[str, typer.Option(help="The legal basis for sharing.")],
    expires: Annotated[str, typer.Option(help="Last day it runs, YYYY-MM-DD.")],
    purpose: Annotated[
        list[str],
        typer.Option(
            "--purpose",
            help=f"A purpose code it allows (repeat): {', '.join(PURPOSE_CODES)}.",
        ),
    ] = ["research"],  # noqa: B006 (typer reads the default; it is never mutated)
    starts: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD (today).")] = None,
) -> None:
    """Record a data sharing agreement with a provider (a steward or administrator)."""
    from nightingale.governance import agreements

    with unit(ctx) as work:
        agreement = agreements.add_agreement(
            work.session,
            work.keystore,
            by=actor,
            reference=reference,
            provider=provider,
            tables=table,
            purposes=purpose,
            legal_basis=legal_basis,
            starts_on=parse_date(starts, "--starts") or date.today(),
            expires_on=parse_date(expires, "--expires") or date.today(),
        )
        summary = (
            f"agreement {agreement.reference} with {provider}: {agreement.tables} for "
            f"{agreement.purposes}, {agreement.starts_on} to {agreement.expires_on}"
        )
    console.print(f"[green]{summary}")


@agreements_app.command("list")
def agreements_list(
    ctx: typer.Context, provider: Annotated[str | None, typer.Argument()] = None
) -> None:
    """Every agreement, and whether it is current today."""
    from nightingale.governance import agreements

    today = date.today()
    with unit(ctx) as work:
        rows = [
            [
                a.reference,
                a.provider,
                a.tables,
                a.purposes,
                f"{a.starts_on} to {a.expires_on}",
                "current" if agreements.is_current(a, today) else ("ended" if a.ended_at else "-"),
            ]
            for a in agreements.list_agreements(work.session, provider)
        ]
    show_table(
        "data sharing agreements",
        ["reference", "provider", "tables", "purposes", "runs", "status"],
        rows,
    )


@agreements_app.command("end")
def agreements_end(ctx: typer.Context, reference: str, actor: As, reason: Reason) -> None:
    """End an agreement early: nothing more comes in or goes out under it."""
    from nightingale.governance import agreements

    with unit(ctx) as work:
        agreements.end_agreement(
            work.session, work.keystore, by=actor, reference=reference, reason=reason
        )
    console.print(f"[green]agreement {reference} ended")


@optout_app.command("load")
def optout_load(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="One NHS number a line (header nhs_number ok).")],
    actor: As,
    provider: Annotated[str, typer.Option(help="Whose data the opt-out covers.")] = "health",
) -> None:
    """Load the national data opt-out list (replaces the previous one; a linkage officer)."""
    from nightingale.operations import optout

    with unit(ctx, actor) as work:
        loaded = optout.load(work, file, provider)
    console.print(
        f"[green]opt-out list for {provider}: {loaded.entries:,} people, kept as keyed tokens "
        "in the identifier zone"
    )


@retention_app.command("set")
def retention_set(
    ctx: typer.Context,
    scope: Annotated[str, typer.Argument(help="provider (dataset versions) or project.")],
    name: str,
    actor: As,
    days: Annotated[int, typer.Option(help="Keep this many days.")],
) -> None:
    """Set how long a provider's versions or a project's releases are kept."""
    from nightingale.governance import retention

    with unit(ctx) as work:
        retention.set_rule(
            work.session, work.keystore, by=actor, scope=scope, name=name, keep_days=days
        )
    console.print(f"[green]{scope} {name}: kept {days} days")


@retention_app.command("list")
def retention_list(ctx: typer.Context) -> None:
    """The retention schedule."""
    from nightingale.governance import retention

    with unit(ctx) as work:
        rows = [
            [r.scope, r.name, r.keep_days, r.set_by, f"{r.set_at:%Y-%m-%d}"]
            for r in retention.list_rules(work.session)
        ]
    show_table("retention", ["scope", "name", "keep days", "set by", "set on"], rows)


@retention_app.command("run")
def retention_run(
    ctx: typer.Context,
    actor: As,
    apply: Annotated[bool, typer.Option("--apply", help="Delete (default: show only).")] = False,
) -> None:
    """Show what retention would delete; with --apply delete it from every zone (audited)."""
    from nightingale.operations import retention

    with unit(ctx, actor) as work:
        found = retention.run(work, apply=apply)
    rows = [[d.kind, d.owner, d.object_id, f"{d.created_at:%Y-%m-%d}", d.keep_days] for d in found]
    verb = "deleted" if apply else "would delete (dry run; --apply deletes)"
    show_table(f"retention: {verb}", ["kind", "of", "id", "created", "keep days"], rows)
    if not found:
        console.print("nothing is past its retention")


@keys_app.command("rotate")
def keys_rotate(
    ctx: typer.Context,
    purpose: Annotated[str, typer.Argument(help="linkage, pseudonym, audit or encryption.")],
    actor: As,
) -> None:
    """Add a new version of a master key. Projects keep their pinned pseudonym keys."""
    from nightingale.operations import keys

    with unit(ctx, actor) as work:
        key_id = keys.rotate(work, purpose)
    console.print(f"[green]{purpose} key is now {key_id}")
    if purpose == "pseudonym":
        console.print(
            "projects keep the key pinned at their first release; move one with "
            "'nightingale keys rekey PROJECT' (writes its old->new pid map)"
        )


@keys_app.command("rekey")
def keys_rekey(ctx: typer.Context, project: str, actor: As) -> None:
    """Move a project to the current pseudonym key, writing the old->new pid map."""
    from nightingale.operations import keys

    with unit(ctx, actor) as work:
        done = keys.rekey(work, project)
    console.print(
        f"[green]{project}: {done.old_key_id} -> {done.new_key_id}, {done.pairs:,} pids mapped "
        f"in {done.pid_map}"
    )


OPTOUT_EVERY = 40
"""The demo opts out one registered NHS number in this many (2.5 %, about the national
rate), chosen by sorted number so that every run picks the same people."""


def _demo_optout(run: DemoRun) -> None:
    """Write the demo health provider's opt-out list and load it as the linkage officer."""
    import csv

    from nightingale.cli import governance_demo
    from nightingale.cli.governance import governance_unit
    from nightingale.linkage.normalise.nhs import normalise_nhs_number
    from nightingale.operations import optout

    region = run.cli.settings.data_root / "demo-region"
    registrations = region / "extracts" / "health" / "gp_registrations.csv"
    with registrations.open(newline="", encoding="utf-8") as handle:
        numbers = sorted(
            {
                digits
                for row in csv.DictReader(handle)
                for digits, valid in [normalise_nhs_number(row.get("nhs_number"))]
                if valid
            }
        )
    target = region / "optout" / "national_data_optout.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(["nhs_number", *numbers[::OPTOUT_EVERY]]) + "\n", encoding="utf-8")
    with governance_unit(run.cli.settings, governance_demo.OFFICER) as work:
        loaded = optout.load(work, target)
    console.print(
        f"national data opt-out: {loaded.entries:,} NHS numbers loaded by "
        f"{governance_demo.OFFICER} (kept as keyed tokens); builds leave them out"
    )


def _demo_retention(run: DemoRun) -> None:
    """Set a schedule (provider versions a year, pilot releases three) and show a dry run."""
    from nightingale.cli import governance_demo
    from nightingale.cli.governance import governance_unit
    from nightingale.governance import retention as rules
    from nightingale.operations import retention

    with governance_unit(run.cli.settings, "ada") as work:
        for scope, name, days in (
            ("provider", "health", 365),
            ("provider", "housing", 365),
            ("provider", "employment", 365),
            ("project", governance_demo.PROJECT, 3 * 365),
        ):
            rules.set_rule(
                work.session, work.keystore, by="ada", scope=scope, name=name, keep_days=days
            )
    with governance_unit(run.cli.settings, "ada") as work:
        found = retention.run(work, apply=False, now=None)
    horizon = date.today() + timedelta(days=365)
    console.print(
        f"retention: versions kept a year, pilot releases three; {len(found)} due today "
        f"(dry run); the next version ingested before {horizon} retires the current one then"
    )


DEMO_STAGES = [(55, "opt-out", _demo_optout), (125, "retention", _demo_retention)]


def register(app: typer.Typer) -> None:
    """Add the intake command groups."""
    app.add_typer(agreements_app, name="agreements")
    app.add_typer(optout_app, name="optout")
    app.add_typer(retention_app, name="retention")
    app.add_typer(keys_app, name="keys")
