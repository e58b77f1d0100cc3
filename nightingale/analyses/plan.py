"""The pre-registered analysis plan: a versioned YAML file and the hash that pins it.

An evaluation is credible when its comparisons, outcomes, models and settings were
fixed before anyone saw the results. The plan is a YAML file validated by pydantic
(unknown keys are errors, so a typo cannot silently switch an analysis off); its SHA-256
over the exact bytes is recorded in every result, so a reader can check which plan
produced a number, and any change to the plan — however small — shows as a new hash.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nightingale.platform.errors import NightingaleError
from nightingale.platform.storage import sha256_bytes

OutcomeKind = Literal["count", "share", "monthly", "utility"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Matching(_Strict):
    """Nearest-neighbour matching on the logit of the propensity score."""

    caliper_sd: float | None = Field(0.2, gt=0, description="caliper in SDs of the logit")
    replace: bool = False
    ratio: int = Field(1, ge=1)


class Weighting(_Strict):
    """Inverse-probability weights: the doubly robust and IPW analyses use them."""

    estimand: Literal["ATE", "ATT"] = "ATT"
    stabilise: bool = True
    truncate: tuple[float, float] | None = None


PrimaryAnalysis = Literal["matched", "doubly_robust"]


class Comparison(_Strict):
    """Who is compared with whom, on what baseline covariates, and which estimate leads.

    ``primary`` names the main table's primary analysis: ``matched`` (caliper-matched
    sample, covariate-adjusted: the effect on the treated people who could be matched)
    or ``doubly_robust`` (everyone, the weighting estimand's weights and the covariates
    together: with ATT weights, the effect on all the treated).
    """

    treatment: str
    covariates: list[str] = Field(min_length=1)
    primary: PrimaryAnalysis = "matched"
    matching: Matching = Matching()
    weighting: Weighting = Weighting()
    balance_threshold: float = Field(0.1, gt=0)


class Outcome(_Strict):
    """One outcome of the release's panel and how it is analysed.

    ``count``: events per time at risk (rate ratio; Poisson GLM, cluster-robust);
    ``share``: days in a state per day at risk (difference in share);
    ``monthly``: an amount per 30.4375 days at risk (difference per month);
    ``utility``: EQ-5D profiles valued with the plan's value set (difference per
    questionnaire; ``mixed`` adds the mixed model of trajectories).
    """

    name: str
    kind: OutcomeKind
    main: bool = True
    pre: str | None = Field(None, description="persons column with the 12 months before")
    secondary: list[Literal["negative_binomial", "gee", "did", "mixed", "mice"]] = []


class Survival(_Strict):
    """Time to the first event of a count outcome (Cox model, Kaplan–Meier)."""

    outcome: str


class Imputation(_Strict):
    """MICE settings for outcomes whose plan lists ``mice``."""

    n_imputations: int = Field(10, ge=2)
    n_burnin: int = Field(10, ge=0)
    period: int = Field(1, ge=0, description="the follow-up period whose answers are imputed")


class AnalysisPlan(_Strict):
    """A whole pre-registered plan."""

    plan: str
    version: str
    registered: str
    title: str
    release_project: str
    seed: int = 0
    eq5d_value_set: Literal["synthetic_region", "uk_3l_level_collapse"]
    comparison: Comparison
    outcomes: list[Outcome] = Field(min_length=1)
    survival: Survival | None = None
    imputation: Imputation = Imputation()


class LoadedPlan(BaseModel):
    """A validated plan with the SHA-256 of the bytes it was read from."""

    model_config = ConfigDict(frozen=True)

    plan: AnalysisPlan
    sha256: str
    source: str


def parse_plan(text: str, source: str = "<plan>") -> LoadedPlan:
    """Validate plan text; errors name the file and the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise NightingaleError(f"{source}: not valid YAML ({exc})") from exc
    try:
        plan = AnalysisPlan.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise NightingaleError(f"{source}: invalid analysis plan ({problems})") from exc
    return LoadedPlan(plan=plan, sha256=sha256_bytes(text.encode("utf-8")), source=source)


def load_plan(path: Path) -> LoadedPlan:
    """Read and validate a plan file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise NightingaleError(f"{path}: cannot read the analysis plan ({exc})") from exc
    return parse_plan(text, str(path))
