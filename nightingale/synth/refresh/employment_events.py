"""The employment provider's new months: spells, earnings and benefit claims.

Each customer's month-by-month employment carries on from their state at the previous
extract date (an open spell = in work) as a two-state chain: a job is lost with
probability 1.5% a month, and found with the probability that keeps the customer's own
share of months in work (their earnings history, shrunk towards 70%). A month in work
has an earnings row at the customer's last pay (with a little noise); a spell that ends
is closed on the last day of its month, and a new one opens on the first day of a month.
A customer who has claimed benefits before claims again on losing a job (Universal
Credit; sickness-related as their last claim) until back in work; claims open at the
previous extract date run on the same way. At a death or a departure open spells
and claims end with the month. Arriving customers are in work at the start with
probability 70%.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nightingale.synth.dates import COMPACT, DAYS_PER_YEAR, YEAR_MONTH, month_index, month_start
from nightingale.synth.refresh.continuation import Presence
from nightingale.synth.refresh.rows import fresh_keys
from nightingale.synth.refresh.source import Previous, date_text

JOB_LOSS = 0.015
PRIOR_SHARE, PRIOR_MONTHS = 0.7, 6.0
DAYS_PER_MONTH = DAYS_PER_YEAR / 12


@dataclass
class _Customer:
    person: str
    key: str
    employed: bool
    finding: float
    pay: float
    hours: str
    claimant: bool
    sickness: str
    open_spells: list[int] = field(default_factory=list)
    open_claims: list[int] = field(default_factory=list)
    fresh: bool = False  # arrived in the window: its first month keeps the state drawn


def new_employment_events(
    previous: Previous,
    presence: Presence,
    claimants: pd.DataFrame,
    records: pd.DataFrame,
    history: dict[str, pd.DataFrame],
) -> dict[str, pd.DataFrame]:
    """Every employment event file after the window (carried rows, some closed, then new)."""
    rng = previous.rng("employment")
    first, last = previous.window
    spells = history["employment_spells.csv"].copy()
    claims = history["benefit_claims.csv"].copy()
    earnings = history["earnings.csv"]
    customers = _customers(previous, presence, claimants, records, spells, claims, earnings, rng)
    months = np.arange(
        int(month_index(np.array([first + 1]))[0]), int(month_index(np.array([last]))[0]) + 1
    )
    starts = month_start(months)
    where = presence.position()
    new_spells: list[dict[str, str]] = []
    new_claims: list[dict[str, str]] = []
    pay_rows: list[tuple[str, str, str]] = []
    spell_ids = set(previous.extracts["employment"]["employment_spells.csv"]["spell_id"])
    claim_ids = set(previous.extracts["employment"]["benefit_claims.csv"]["claim_id"])
    for customer in customers:
        position = where[customer.person]
        present_from = int(presence.window_from[position])
        present_to = int(presence.window_to[position])
        for begin in starts:
            if begin >= present_to:
                break
            if begin < present_from:
                continue  # arrived during the month: work from the next one
            lost = False
            if not customer.fresh:
                draw = rng.random()
                now = (draw >= JOB_LOSS) if customer.employed else (draw < customer.finding)
                lost = customer.employed and not now
                if lost:
                    _close(spells, customer.open_spells, "end_date", int(begin) - 1, new_spells)
                customer.employed = now
            customer.fresh = False
            if customer.employed and not customer.open_spells:
                new_spells.append(
                    {
                        "customer_ref": customer.key,
                        "spell_id": fresh_keys("S", 10, 1, spell_ids, rng)[0],
                        "start_date": date_text(int(begin), COMPACT),
                        "end_date": "",
                        "hours": customer.hours,
                    }
                )
                customer.open_spells.append(-len(new_spells))
            if customer.employed:
                pay = customer.pay * float(np.exp(rng.normal(0, 0.04)))
                pay_rows.append((customer.key, date_text(int(begin), YEAR_MONTH), f"{pay:.2f}"))
                _close(claims, customer.open_claims, "claim_end", int(begin) - 1, new_claims)
            elif lost and customer.claimant and not customer.open_claims:
                new_claims.append(
                    {
                        "customer_ref": customer.key,
                        "claim_id": fresh_keys("B", 10, 1, claim_ids, rng)[0],
                        "benefit": "UC",
                        "claim_start": date_text(int(begin), COMPACT),
                        "claim_end": "",
                        "sickness_related": customer.sickness,
                    }
                )
                customer.open_claims.append(-len(new_claims))
        if present_to <= last:
            # Gone (died or left): open spells and claims end with the month.
            month = month_index(np.array([present_to - 1]))
            end_of_month = int(month_start(month + 1)[0]) - 1
            _close(spells, customer.open_spells, "end_date", end_of_month, new_spells)
            _close(claims, customer.open_claims, "claim_end", end_of_month, new_claims)
    spell_frame = pd.DataFrame(new_spells, columns=list(spells.columns))
    claim_frame = pd.DataFrame(new_claims, columns=list(claims.columns))
    pay_frame = pd.DataFrame(pay_rows, columns=list(earnings.columns))
    return {
        "employment_spells.csv": pd.concat([spells, spell_frame], ignore_index=True),
        "earnings.csv": pd.concat([earnings, pay_frame], ignore_index=True),
        "benefit_claims.csv": pd.concat([claims, claim_frame], ignore_index=True),
    }


def _close(
    frame: pd.DataFrame,
    rows: list[int],
    column: str,
    when: int,
    new_rows: list[dict[str, str]],
) -> None:
    """End open rows (carried: index >= 0; new: -1 - position in ``new_rows``) on ``when``."""
    for row in rows:
        if row >= 0:
            frame.at[row, column] = date_text(when, COMPACT)
        else:
            new_rows[-1 - row][column] = date_text(when, COMPACT)
    rows.clear()


def _customers(
    previous: Previous,
    presence: Presence,
    claimants: pd.DataFrame,
    records: pd.DataFrame,
    spells: pd.DataFrame,
    claims: pd.DataFrame,
    earnings: pd.DataFrame,
    rng: np.random.Generator,
) -> list[_Customer]:
    """Each person with a (main) customer record, present some time in the window."""
    mine = records[records["provider"] == "employment"]
    owner = dict(zip(mine["local_key"], mine["person_id"], strict=True))
    main = mine[(mine["duplicate"] == "0") & mine["local_key"].isin(set(claimants["customer_ref"]))]
    chosen = main.sort_values("local_key").drop_duplicates("person_id")
    key_of = dict(zip(chosen["person_id"], chosen["local_key"], strict=True))
    spell_person = spells["customer_ref"].map(owner)
    open_spells: dict[str, list[int]] = defaultdict(list)
    for row in np.flatnonzero((spells["end_date"] == "").to_numpy()).tolist():
        open_spells[str(spell_person.iat[row])].append(int(row))
    claim_person = claims["customer_ref"].map(owner)
    open_claims: dict[str, list[int]] = defaultdict(list)
    for row in np.flatnonzero((claims["claim_end"] == "").to_numpy()).tolist():
        open_claims[str(claim_person.iat[row])].append(int(row))
    last_claim = (
        claims.assign(person=claim_person)
        .sort_values(["person", "claim_start", "claim_id"])
        .drop_duplicates("person", keep="last")
        .set_index("person")["sickness_related"]
        .to_dict()
    )
    last_hours = (
        spells.assign(person=spell_person)
        .sort_values(["person", "start_date", "spell_id"])
        .drop_duplicates("person", keep="last")
        .set_index("person")["hours"]
        .to_dict()
    )
    pay = earnings.assign(person=earnings["customer_ref"].map(owner))
    months_worked = pay.groupby("person").size().to_dict()
    last_pay = (
        pay.sort_values(["person", "pay_month"])
        .drop_duplicates("person", keep="last")
        .set_index("person")["gross_pay"]
        .to_dict()
    )
    where = presence.position()
    first, _ = previous.window
    customers = []
    for person in sorted(key_of):
        position = where.get(str(person))
        if position is None or presence.window_from[position] >= presence.window_to[position]:
            continue
        observed = presence.exposure[position] / DAYS_PER_MONTH
        worked = float(months_worked.get(person, 0))
        share = (worked + PRIOR_SHARE * PRIOR_MONTHS) / (observed + PRIOR_MONTHS)
        share = min(max(share, 0.02), 0.98)
        new = presence.window_from[position] > first + 1 and observed == 0
        employed = bool(open_spells.get(person)) or (new and rng.random() < PRIOR_SHARE)
        base = float(last_pay.get(person, 0.0)) or float(rng.lognormal(7.5, 0.4))
        customers.append(
            _Customer(
                person=str(person),
                key=str(key_of[person]),
                employed=employed,
                finding=min(JOB_LOSS * share / (1 - share), 0.3),
                pay=base,
                hours=str(last_hours.get(person, "full_time")),
                claimant=person in last_claim,
                sickness=str(last_claim.get(person, "N")),
                open_spells=list(open_spells.get(person, [])),
                open_claims=list(open_claims.get(person, [])),
                fresh=bool(new),
            )
        )
    return customers
