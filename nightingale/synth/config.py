"""Every knob of the synthetic region, validated, with defaults that look like the region.

The configuration is the whole data-generating process's parameter set: it is written
verbatim into ``truth/effects.json`` so that an evaluation can be checked against the
numbers that made the data. Rates of identifier errors are probabilities per people-file
row *among the rows where the error can happen* (a nickname needs a name that has one,
a day/month swap needs both to be 12 or less and different, an old postcode needs a
move).
"""

from __future__ import annotations

import datetime as dt
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

Probability = float


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ErrorRates(_Frozen):
    """Identifier errors applied to people-file rows (probability per eligible row)."""

    forename_typo: Probability = Field(0.02, ge=0, le=1)
    surname_typo: Probability = Field(0.02, ge=0, le=1)
    nickname: Probability = Field(0.10, ge=0, le=1, description="Bob for Robert")
    birth_surname: Probability = Field(
        0.25, ge=0, le=1, description="a married woman's row carries her birth surname"
    )
    dob_day_month_swapped: Probability = Field(0.02, ge=0, le=1)
    dob_digit: Probability = Field(0.01, ge=0, le=1, description="one wrong digit in the DOB")
    forename_missing: Probability = Field(0.005, ge=0, le=1)
    dob_missing: Probability = Field(0.005, ge=0, le=1)
    postcode_missing: Probability = Field(0.02, ge=0, le=1)
    postcode_old: Probability = Field(
        0.30, ge=0, le=1, description="the postcode before the person's latest move"
    )
    postcode_typo: Probability = Field(0.01, ge=0, le=1)
    nhs_number_missing: Probability = Field(0.01, ge=0, le=1)
    nhs_number_digit: Probability = Field(
        0.005, ge=0, le=1, description="a wrong digit: fails Modulus 11"
    )
    ni_number_missing: Probability = Field(0.03, ge=0, le=1)
    ni_number_digit: Probability = Field(0.005, ge=0, le=1)
    duplicate: Probability = Field(
        0.02, ge=0, le=1, description="a second row for the same record, new local key"
    )
    duplicate_event_share: Probability = Field(
        0.3, ge=0, le=1, description="share of a duplicated record's events filed under it"
    )

    @classmethod
    def none(cls) -> ErrorRates:
        """No identifier errors and no duplicates: the data say exactly the truth."""
        return cls(**{name: 0.0 for name in cls.model_fields})


class QuirkRates(_Frozen):
    """Same value, different spelling: the formats providers really send."""

    nhs_number_spaced: Probability = Field(0.10, ge=0, le=1)
    ni_number_spaced: Probability = Field(0.10, ge=0, le=1)
    postcode_unspaced: Probability = Field(0.05, ge=0, le=1)
    postcode_lower: Probability = Field(0.02, ge=0, le=1)


class PopulationParams(_Frozen):
    """Households, families, hard negatives, moves and coverage."""

    household_size_weights: tuple[float, ...] = (0.30, 0.34, 0.15, 0.13, 0.08)
    partner_share: Probability = Field(0.75, ge=0, le=1)
    married_share: Probability = Field(
        0.70, ge=0, le=1, description="partnered women who took the family surname"
    )
    twin_share: Probability = Field(
        0.05, ge=0, le=1, description="families with 2+ children whose first two are twins"
    )
    same_name_child_share: Probability = Field(
        0.05, ge=0, le=1, description="families where a child has the same-sex parent's name"
    )
    move_share: Probability = Field(0.30, ge=0, le=1, description="households moving once")
    move_out_of_region_share: Probability = Field(0.25, ge=0, le=1)
    gp_unregistered_share: Probability = Field(0.015, ge=0, le=1)
    landlord_holds_ni_share: Probability = Field(0.60, ge=0, le=1)


class PilotParams(_Frozen):
    """New social tenancies and allocation to designed-for-health homes."""

    new_tenancy_share: Probability = Field(
        0.12, ge=0, le=1, description="households starting a new social tenancy in the window"
    )
    pilot_window_weight: Probability = Field(
        0.60, ge=0, le=1, description="share of new tenancies dated inside 2020-2022"
    )
    tenancy_exit_rate: float = Field(0.07, ge=0, description="moves out of the new home, /year")
    exit_out_of_region_share: Probability = Field(0.5, ge=0, le=1)
    eq5d_nonresponse: Probability = Field(0.10, ge=0, le=1)
    allocation_intercept: float = -0.45
    allocation_age_per_decade: float = 0.15
    allocation_female: float = 0.10
    allocation_per_deprivation_decile: float = 0.10
    allocation_per_ltc: float = 0.35
    allocation_log1p_emergency_admissions: float = 0.50
    allocation_log1p_ae_attendances: float = 0.30


#: Causes of emergency admissions and GP consultations (docs/synthetic-region.md,
#: "Clinical codes"); every event has exactly one, so all-cause = sum of causes.
CONDITIONS = ("respiratory", "falls", "cardiovascular", "mental_health", "other")
#: Age bands of the condition mix: 0-15, 16-64, 65+ (age at the window's middle).
AGE_BAND_STARTS = (0, 16, 65)

BandShares = tuple[float, float, float]


class ConditionParams(_Frozen):
    """Shares of each cause among a person's events by age band; ``other`` is the rest.

    Illustrative, shaped to English hospital and primary care activity (respiratory
    causes commonest in children and old age, falls in old age, mental health in
    working age), not measured. A person whose home at the window start is cold (EPC
    E-G) has a higher rate of respiratory events (``damp_respiratory_rate_ratio``).
    """

    emergency: dict[str, BandShares] = {
        "respiratory": (0.28, 0.10, 0.15),
        "falls": (0.03, 0.04, 0.12),
        "cardiovascular": (0.0, 0.05, 0.09),
        "mental_health": (0.02, 0.05, 0.02),
    }
    gp: dict[str, BandShares] = {
        "respiratory": (0.30, 0.12, 0.12),
        "falls": (0.01, 0.01, 0.03),
        "cardiovascular": (0.0, 0.03, 0.12),
        "mental_health": (0.03, 0.14, 0.05),
    }
    damp_respiratory_rate_ratio: float = Field(
        1.5, ge=1, description="respiratory event rate of people whose first home is cold"
    )
    injury_share_of_other: Probability = Field(
        0.06, ge=0, le=1, description="emergency admissions of other causes that are injuries"
    )

    @model_validator(mode="after")
    def _shares_are_a_mix(self) -> Self:
        for service in ("emergency", "gp"):
            shares: dict[str, BandShares] = getattr(self, service)
            unknown = set(shares) - set(CONDITIONS[:-1])
            if unknown:
                raise ValueError(f"{service}: unknown condition(s) {sorted(unknown)}")
            for band in range(len(AGE_BAND_STARTS)):
                values = [s[band] for s in shares.values()]
                if min(values, default=0) < 0 or sum(values) >= 1:
                    raise ValueError(
                        f"{service}: shares of age band {band} must be >= 0 and leave some "
                        "for other causes"
                    )
        return self


class EffectParams(_Frozen):
    """The true effects of living in a designed-for-health home.

    Condition-specific rate ratios act on those causes; the other causes of the same
    service get the ratio that keeps each person's all-cause ratio at the all-cause
    parameter (see ``nightingale.synth.conditions``).
    """

    emergency_admissions_rate_ratio: float = Field(0.80, gt=0)
    respiratory_admissions_rate_ratio: float = Field(
        0.65, gt=0, description="emergency admissions with a respiratory primary diagnosis"
    )
    falls_admissions_rate_ratio: float = Field(
        0.70, gt=0, description="emergency admissions with a fall (W00-W19) as external cause"
    )
    mental_health_contacts_rate_ratio: float = Field(
        0.80, gt=0, description="GP consultations for a mental health condition"
    )
    ae_attendances_rate_ratio: float = Field(0.85, gt=0)
    gp_consultations_rate_ratio: float = Field(0.92, gt=0)
    eq5d_severity_shift: float = Field(
        0.30, description="reduction of the latent EQ-5D severity at follow-up"
    )
    job_finding_hazard_ratio: float = Field(1.30, gt=0)


class SynthConfig(_Frozen):
    """One synthetic region: size, seed, chunking and the data-generating process."""

    people: int = Field(20_000, ge=1, le=5_000_000)
    seed: int = Field(2026, ge=0)
    chunk_size: int = Field(50_000, ge=100, le=500_000)
    lsoa_count: int = Field(1_900, ge=10, description="LSOAs in the region (fixed geography)")
    window_start: dt.date = dt.date(2018, 1, 1)
    extract_date: dt.date = dt.date(2026, 6, 30)
    pilot_start: dt.date = dt.date(2020, 1, 1)
    pilot_end: dt.date = dt.date(2022, 12, 31)
    followup_years: int = Field(4, ge=1, le=8)
    errors: ErrorRates = ErrorRates()
    quirks: QuirkRates = QuirkRates()
    population: PopulationParams = PopulationParams()
    pilot: PilotParams = PilotParams()
    effects: EffectParams = EffectParams()
    conditions: ConditionParams = ConditionParams()

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if not self.window_start < self.pilot_start <= self.pilot_end < self.extract_date:
            raise ValueError(
                "dates must satisfy window_start < pilot_start <= pilot_end < extract_date"
            )
        if self.people > 100 * self.chunk_size:
            raise ValueError("at most 100 chunks: raise chunk_size for this many people")
        for service, all_cause, targeted in self.targeted_effects():
            shares: dict[str, BandShares] = getattr(self.conditions, service)
            for band in range(len(AGE_BAND_STARTS)):
                for damp in (1.0, self.conditions.damp_respiratory_rate_ratio):
                    weight = {c: s[band] for c, s in shares.items()}
                    weight["respiratory"] = weight.get("respiratory", 0.0) * damp
                    total = 1 - sum(s[band] for s in shares.values()) + sum(weight.values())
                    named = sum(weight.get(c, 0.0) * r for c, r in targeted.items()) / total
                    rest = 1 - sum(weight.get(c, 0.0) for c in targeted) / total
                    if all_cause - named <= 0 or rest <= 0:
                        raise ValueError(
                            f"effects: the condition-specific rate ratios of {service} leave "
                            f"no room for the all-cause ratio {all_cause} in age band {band}"
                        )
        return self

    def targeted_effects(self) -> list[tuple[str, float, dict[str, float]]]:
        """(service, all-cause rate ratio, condition -> rate ratio) of the coded services."""
        eff = self.effects
        return [
            (
                "emergency",
                eff.emergency_admissions_rate_ratio,
                {
                    "respiratory": eff.respiratory_admissions_rate_ratio,
                    "falls": eff.falls_admissions_rate_ratio,
                },
            ),
            (
                "gp",
                eff.gp_consultations_rate_ratio,
                {"mental_health": eff.mental_health_contacts_rate_ratio},
            ),
        ]

    def without_noise(self) -> SynthConfig:
        """The same region with identifier errors and duplicates switched off."""
        population = self.population.model_copy(update={"gp_unregistered_share": 0.0})
        return self.model_copy(update={"errors": ErrorRates.none(), "population": population})
