"""One chunk of the region, simulated: people, homes, events, the pilot and work.

This is the data-generating process in order. Nothing here knows about files: the
extract modules turn a :class:`World` into what providers would send, and the truth
module records what really happened, including the treated's counterfactuals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from nightingale.synth.conditions import age_band, cause_mix, cause_ratios
from nightingale.synth.config import SynthConfig
from nightingale.synth.dates import DAYS_PER_YEAR, day, month_index
from nightingale.synth.employment import Chain, Work, replay_employment, simulate_work
from nightingale.synth.eq5d import Questionnaires, latent_severity, questionnaires
from nightingale.synth.events import (
    Events,
    apply_cause_rate_ratios,
    apply_rate_ratio,
    poisson_events,
)
from nightingale.synth.geography import Geography
from nightingale.synth.health import (
    AdmissionMaker,
    ConsultationMaker,
    Observation,
    ae_content,
    age_at_middle,
    health_rates,
    observation,
    with_content,
)
from nightingale.synth.homes import (
    EPC_BANDS,
    PILOT_EPC,
    Homes,
    cold_first_home,
    first_homes,
    plan_moves,
)
from nightingale.synth.pilot import PRIOR_DAYS, Cohort, allocate, candidates
from nightingale.synth.population import HEAD, People, draw_people, household_sizes

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Event kinds with a cause per event: the pilot's rate ratio is per person and cause.
CODED = ("emergency", "gp")


@dataclass
class World:
    """Everything that happened to one chunk's people."""

    chunk: int
    geography: Geography
    people: People
    homes: Homes
    imd: IntArray  # per person, decile of the household's first home
    obs: Observation
    registered: BoolArray
    events: dict[str, Events]  # observed world: emergency, elective, ae, gp
    untreated: dict[str, Events]  # the same events had nobody been treated
    cohort: Cohort
    questionnaires: Questionnaires
    work: Work
    counterfactual_employed: npt.NDArray[np.bool_]  # rows = treated people, in cohort order
    pay_noise: npt.NDArray[np.float32] = field(repr=False)


def simulate(
    config: SynthConfig,
    geography: Geography,
    chunk: int,
    people_in_chunk: int,
    rng: np.random.Generator,
) -> World:
    """Run the data-generating process for one chunk of people."""
    sizes = household_sizes(people_in_chunk, config.population.household_size_weights, rng)
    homes, household_imd = first_homes(config, geography, len(sizes), rng)
    people = draw_people(config, sizes, household_imd, chunk * config.chunk_size, rng)
    heads = np.flatnonzero(people.role == HEAD)
    head_death = np.full(len(homes), 0, dtype=np.int64)
    head_death[people.household[heads]] = people.death[heads]
    adult_from = np.zeros(len(homes), dtype=np.int64)
    adult_from[people.household[heads]] = people.dob[heads] + int(18 * DAYS_PER_YEAR)
    plan_moves(config, geography, homes, head_death, adult_from, rng)
    imd = household_imd[people.household]
    obs = observation(config, people, homes)
    registered = rng.random(len(people)) >= config.population.gp_unregistered_share

    rates = health_rates(config, people, imd)
    band = age_band(age_at_middle(config, people))
    cold = cold_first_home(homes)[people.household]
    shares, ratios = {}, {}
    for kind in CODED:
        shares[kind], extra = cause_mix(config, kind, band, cold)
        rates[kind] = rates[kind] * extra
        ratios[kind] = cause_ratios(config, kind, shares[kind])
    injury_share = config.conditions.injury_share_of_other
    coded: dict[str, AdmissionMaker | ConsultationMaker] = {
        "emergency": AdmissionMaker(True, shares["emergency"], people.ltc, injury_share),
        "gp": ConsultationMaker(shares["gp"]),
    }
    makers = {
        **coded,
        "elective": AdmissionMaker(False, shares["emergency"], people.ltc, injury_share),
        "ae": ae_content,
    }
    untreated = {
        kind: with_content(poisson_events(rates[kind], obs.start, obs.end, rng), maker, rng)
        for kind, maker in makers.items()
    }

    households, persons = candidates(config, people, homes)
    index_day = homes.start[households, 1]
    prior = {}
    for kind in ("emergency", "ae"):
        filed = untreated[kind].select(registered[untreated[kind].person])
        start = np.zeros(len(people), dtype=np.int64)
        end = np.zeros(len(people), dtype=np.int64)
        start[persons], end[persons] = index_day - PRIOR_DAYS, index_day
        prior[kind] = filed.count_between(len(people), start, end)[persons]
    cohort = allocate(
        config, people, homes, households, persons, imd, prior["emergency"], prior["ae"], rng
    )

    treated = cohort.person_mask(len(people))
    effect_start = cohort.per_person(cohort.index_day, len(people))
    effect_end = cohort.per_person(cohort.effect_end, len(people))
    homes.epc[cohort.household[cohort.treated], 1] = rng.choice(
        len(EPC_BANDS), int(cohort.treated.sum()), p=PILOT_EPC
    )
    events: dict[str, Events] = dict(untreated)
    events["ae"] = apply_rate_ratio(
        untreated["ae"],
        rates["ae"],
        treated,
        effect_start,
        effect_end,
        config.effects.ae_attendances_rate_ratio,
        ae_content,
        rng,
    )
    for kind, maker in coded.items():
        events[kind] = apply_cause_rate_ratios(
            untreated[kind],
            rates[kind],
            shares[kind],
            ratios[kind],
            treated,
            effect_start,
            effect_end,
            maker.with_causes,
            rng,
        )

    age_at_index = (cohort.index_day - people.dob[cohort.person]) / DAYS_PER_YEAR
    severity = latent_severity(
        age_at_index,
        people.ltc[cohort.person],
        imd[cohort.person],
        people.frailty[cohort.person],
        rng,
    )
    answers = questionnaires(
        cohort.person,
        cohort.index_day,
        cohort.effect_end,
        cohort.treated,
        severity,
        config.effects.eq5d_severity_shift,
        config.pilot.eq5d_nonresponse,
        rng,
    )

    work, chain = _work(config, people, imd, obs, cohort, rng)
    return World(
        chunk=chunk,
        geography=geography,
        people=people,
        homes=homes,
        imd=imd,
        obs=obs,
        registered=registered,
        events=events,
        untreated=untreated,
        cohort=cohort,
        questionnaires=answers,
        work=work,
        counterfactual_employed=_counterfactual_work(work, chain, cohort),
        pay_noise=rng.normal(0, 0.04, work.employed.shape).astype(np.float32),
    )


def effect_months(work: Work, cohort: Cohort) -> tuple[IntArray, IntArray]:
    """Columns [first, last) of the months on which the effect runs, per cohort member."""
    first = month_index(cohort.index_day) - work.first_month + 1
    last = month_index(cohort.effect_end) - work.first_month
    return first.astype(np.int64), last.astype(np.int64)


def _work(
    config: SynthConfig,
    people: People,
    imd: IntArray,
    obs: Observation,
    cohort: Cohort,
    rng: np.random.Generator,
) -> tuple[Work, Chain]:
    finding_ratio = _finding_ratio(config, people, cohort, cohort.person[cohort.treated])
    return simulate_work(config, people, imd, obs.start, obs.end, finding_ratio, rng)


def _finding_ratio(
    config: SynthConfig, people: People, cohort: Cohort, rows: IntArray
) -> npt.NDArray[np.float64]:
    first = int(month_index(np.array([day(config.window_start)]))[0])
    last = int(month_index(np.array([day(config.extract_date)]))[0])
    columns = np.arange(last - first + 1)
    ratio = np.ones((len(people), len(columns)))
    treated = cohort.treated
    start = month_index(cohort.index_day[treated]) - first + 1
    end = month_index(cohort.effect_end[treated]) - first
    inside = (columns[None, :] >= start[:, None]) & (columns[None, :] < end[:, None])
    ratio[rows] = np.where(inside, config.effects.job_finding_hazard_ratio, 1.0)
    return ratio


def _counterfactual_work(work: Work, chain: Chain, cohort: Cohort) -> npt.NDArray[np.bool_]:
    rows = cohort.person[cohort.treated]
    finding = np.broadcast_to(chain.finding[rows][:, None], (len(rows), work.eligible.shape[1]))
    return replay_employment(
        work.eligible[rows],
        chain.draws[rows],
        chain.initial[rows],
        np.asarray(finding, dtype=np.float64),
        work.job_loss[rows],
    )
