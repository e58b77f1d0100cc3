"""Plan operations: lodge and amend a project's analysis plan; the gate before outcomes.

Here the analyses package (which validates a plan), cohorts (which says what a release
of a spec carries) and governance (which records plans and decides) meet:

- :func:`lodge` and :func:`amend` validate the plan as the evaluation will read it, check
  it names the project it is lodged for, and record it with governance as the unit's
  actor (the PI);
- :func:`require_plan_for_build` is the one call the build operation makes: when the
  request's spec has follow-up outcomes, governance refuses the build (audited) unless
  the project has lodged a plan.
"""

from __future__ import annotations

from nightingale.analyses.plan import parse_plan
from nightingale.cohorts.loading import parse_spec
from nightingale.governance import plans
from nightingale.governance.models import LinkageRequest, LodgedPlan
from nightingale.governance.plans import PlanVersion
from nightingale.operations.unit import Unit
from nightingale.platform.errors import NightingaleError

__all__ = ["PlanVersion", "amend", "history", "lodge", "require_plan_for_build"]


def _parsed(project: str, text: str, source: str) -> tuple[str, str]:
    loaded = parse_plan(text, source)
    if loaded.plan.release_project != project:
        raise NightingaleError(
            f"{source}: release_project is {loaded.plan.release_project!r}, not {project!r}; "
            "a plan is lodged for the project whose release it analyses"
        )
    return loaded.plan.plan, loaded.plan.version


def lodge(unit: Unit, project: str, text: str, source: str = "<plan>") -> LodgedPlan:
    """Lodge the plan ``text`` (read from ``source``) for ``project`` as the unit's actor."""
    name, version = _parsed(project, text, source)
    return plans.lodge_plan(
        unit.session,
        unit.keystore,
        by=unit.actor,
        project=project,
        plan_name=name,
        plan_version=version,
        text=text,
    )


def amend(unit: Unit, project: str, text: str, reason: str, source: str = "<plan>") -> LodgedPlan:
    """Lodge a changed plan as an amendment of the one lodged under its name."""
    name, version = _parsed(project, text, source)
    return plans.amend_plan(
        unit.session,
        unit.keystore,
        by=unit.actor,
        project=project,
        plan_name=name,
        plan_version=version,
        text=text,
        reason=reason,
    )


def history(unit: Unit, project: str) -> list[PlanVersion]:
    """Every lodged version of the project's plans (lodging first, then amendments)."""
    return plans.plan_history(unit.session, project)


def outcomes_of(spec_text: str, source: str) -> list[str]:
    """The follow-up outcome variables a release of ``spec_text`` would carry."""
    return [outcome.name for outcome in parse_spec(spec_text, source).follow_up.outcomes]


def require_plan_for_build(unit: Unit, request: LinkageRequest) -> None:
    """Refuse a build whose release carries outcomes while no plan is lodged (audited)."""
    outcomes = outcomes_of(request.spec_text, f"request {request.id}")
    plans.require_plan_for_outcomes(unit.session, unit.keystore, request, unit.actor, outcomes)
