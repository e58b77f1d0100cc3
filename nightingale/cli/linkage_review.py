"""``nightingale linkage review list|show|decide|estimates``: clerical review for operators.

The same operations as the steward pages (:mod:`nightingale.operations.review`), acting
as ``--as`` (a data steward who also holds the linkage role): ``list`` prints a run's
sample by stratum with progress, ``show`` prints one pair's identifiers side by side
(audited ``linkage_review.viewed``), ``decide`` records match / non-match / unsure
(audited) and prints the estimates after review. RUN defaults to the spine in force.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from nightingale.cli.context import state
from nightingale.platform.errors import NightingaleError

console = Console(highlight=False)
linkage_app = typer.Typer(help="Linkage quality work on link runs.", no_args_is_help=True)
review_app = typer.Typer(
    help="Clerical review of a link run's sampled pairs (linkage stewards).", no_args_is_help=True
)
As = Annotated[
    str,
    typer.Option(
        "--as", envvar="NIGHTINGALE_ACTOR", help="Who is acting (a steward with the linkage role)."
    ),
]
Run = Annotated[
    str | None, typer.Option("--run", help="Link run id (default: the spine in force).")
]


def _run_id(ctx: typer.Context, run: str | None) -> str:
    from nightingale.linkage.spine import current_run
    from nightingale.platform.storage import DataRoot

    chosen = run or current_run(DataRoot(state(ctx).settings.data_root))
    if chosen is None:
        raise NightingaleError("no link run: give --run or link first")
    return chosen


def _figures(name: str, estimated: dict[str, Any]) -> str:
    parts = []
    for measure in ("precision", "recall"):
        low, high = estimated.get(f"{measure}_ci") or (float("nan"), float("nan"))
        parts.append(f"{measure} {estimated[measure]:.4f} (95% {low:.4f} to {high:.4f})")
    return f"  {name}: " + ", ".join(parts)


@review_app.command("list")
def list_sample(ctx: typer.Context, actor: As, run: Run = None) -> None:
    """The run's review sample by stratum, with how many pairs are decided."""
    from nightingale.cli.governance import governance_unit
    from nightingale.operations import review

    run_id = _run_id(ctx, run)
    with governance_unit(state(ctx).settings, actor) as unit:
        strata = review.sample(unit, run_id)
        before, after = review.report_estimates(unit, run_id)
    console.print(f"link run {run_id}")
    for stratum in strata:
        console.print(f"{stratum.name}: {stratum.decided}/{len(stratum.rows)} decided")
        for row in stratum.rows:
            outcome = row.outcome or "-"
            console.print(
                f"  {row.pair_key}  weight {row.weight:.2f}  "
                f"{'linked' if row.linked else 'not linked'}  {outcome}"
            )
    console.print(_figures("estimated before review", before))
    if after is not None:
        console.print(_figures(f"after review ({after['reviewed_pairs']} pairs)", after))


@review_app.command("show")
def show(ctx: typer.Context, pair: str, actor: As, run: Run = None) -> None:
    """One sampled pair's identifiers side by side (audited)."""
    from nightingale.cli.governance import governance_unit
    from nightingale.linkage.review import SHOWN_FIELDS
    from nightingale.operations import review

    run_id = _run_id(ctx, run)
    with governance_unit(state(ctx).settings, actor) as unit:
        view = review.show(unit, run_id, pair)
    console.print(f"pair {view.pair_key} ({view.stratum}); weight {view.weight:.2f}, "
                  f"probability {view.probability:.4f}, "
                  f"{'linked' if view.linked else 'not linked'}")  # fmt: skip
    console.print(f"  {'':14} {view.source_l + ' ' + view.record_l:30} "
                  f"{view.source_r + ' ' + view.record_r}")  # fmt: skip
    for name in SHOWN_FIELDS:
        console.print(f"  {name:14} {view.left[name]:30} {view.right[name]}", markup=False)
    for comparison, level in sorted(view.agreement.items()):
        console.print(f"  {comparison}: {level}")
    for decision in view.decisions:
        console.print(f"  decided {decision.decision} by {decision.reviewer} at "
                      f"{decision.decided_at:%Y-%m-%d %H:%M}")  # fmt: skip


@review_app.command("decide")
def decide(
    ctx: typer.Context,
    pair: str,
    decision: Annotated[str, typer.Argument(help="match, non-match or unsure")],
    actor: As,
    run: Run = None,
    note: Annotated[str | None, typer.Option(help="A note kept with the decision.")] = None,
    revise: Annotated[
        bool, typer.Option("--revise", help="Change your earlier decision on this pair.")
    ] = False,
) -> None:
    """Record your decision on a sampled pair; prints the estimates after review."""
    from nightingale.cli.governance import governance_unit
    from nightingale.operations import review

    run_id = _run_id(ctx, run)
    with governance_unit(state(ctx).settings, actor) as unit:
        after = review.decide(unit, run_id, pair, decision, note, revise=revise)
    console.print(f"[green]ok[/] {decision} recorded for {pair}")
    console.print(_figures(f"estimated after review ({after['reviewed_pairs']} pairs)", after))


def register(app: typer.Typer) -> None:
    """Add ``nightingale linkage review``."""
    linkage_app.add_typer(review_app, name="review")
    app.add_typer(linkage_app, name="linkage")
