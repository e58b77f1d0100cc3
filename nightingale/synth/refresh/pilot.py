"""The pilot's follow-up through the window: EQ-5D questionnaires and truth/pilot.csv.

Tenants whose follow-up was cut by the previous extract date are followed on: their
follow-up now ends at moving out, death, four years after the index date or the new
extract date (the reasons of ``truth/pilot.csv``), and the questionnaires that come due in
the window are returned (10% not) with the answers of the tenant's latest questionnaire
and a little noise in the visual analogue scale. The pilot's effect is not simulated
afresh in a refresh: new events follow each person's own history, which includes the
effect while they lived in the home; ``employed_months_counterfactual`` grows by the
months observed in the window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nightingale.synth.dates import DAYS_PER_YEAR, ISO, YEAR_MONTH, month_index
from nightingale.synth.eq5d import VISIT_OFFSETS_DAYS, VISITS
from nightingale.synth.population import NEVER
from nightingale.synth.refresh.continuation import file_under
from nightingale.synth.refresh.source import Previous, format_day_numbers, parse_days


def follow_pilot(
    previous: Previous,
    people: pd.DataFrame,
    registrations: pd.DataFrame,
    eq5d: pd.DataFrame,
    earnings: pd.DataFrame,
    records: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(truth/pilot.csv after the window, the window's new EQ-5D rows)."""
    last = previous.window[1]
    pilot = previous.truth["pilot.csv"].copy()
    open_rows = (pilot["followup_end_reason"] == "extract_date").to_numpy()
    person = people.set_index("person_id")
    ids = pilot["person_id"].to_numpy(dtype=object)
    index_day = parse_days(pilot["index_date"], ISO)
    cap = index_day + int(previous.config.followup_years * DAYS_PER_YEAR)
    moved = np.minimum(
        person["_move"].reindex(ids).fillna(NEVER).to_numpy(np.int64),
        person["_left"].reindex(ids).fillna(NEVER).to_numpy(np.int64),
    )
    death = person["_death"].reindex(ids).fillna(NEVER).to_numpy(np.int64)
    effect_end = np.minimum.reduce([moved, death, np.full(len(ids), last + 1)])
    end = np.minimum(effect_end, cap)
    reason = np.full(len(ids), "extract_date", dtype=object)
    reason[end == cap] = "end_of_followup"
    reason[(end == moved) & (moved < cap)] = "moved_out"
    reason[(end == death) & (death < cap)] = "died"
    new_rows = _questionnaires(previous, pilot, open_rows, index_day, end, registrations, eq5d)
    if open_rows.any():
        months = np.maximum(month_index(end) - month_index(index_day) - 1, 0)
        extra = _employed_months(previous, pilot, end, earnings, records)
        pilot.loc[open_rows, "followup_end"] = format_day_numbers(end[open_rows] - 1, ISO)
        pilot.loc[open_rows, "followup_end_reason"] = reason[open_rows]
        pilot.loc[open_rows, "followup_months"] = months[open_rows].astype(str)
        for column in ("employed_months", "employed_months_counterfactual"):
            grown = pd.to_numeric(pilot[column]).to_numpy(np.int64) + extra
            pilot.loc[open_rows, column] = grown[open_rows].astype(str)
    return pilot, new_rows


def _questionnaires(
    previous: Previous,
    pilot: pd.DataFrame,
    open_rows: np.ndarray,
    index_day: np.ndarray,
    end: np.ndarray,
    registrations: pd.DataFrame,
    eq5d: pd.DataFrame,
) -> pd.DataFrame:
    rng = previous.rng("pilot:eq5d")
    first, last = previous.window
    offsets = np.array(VISIT_OFFSETS_DAYS[1:], dtype=np.int64)
    jitter = rng.integers(-14, 15, (len(pilot), len(offsets)))
    days = index_day[:, None] + offsets[None, :] + jitter
    due = (
        open_rows[:, None]
        & (days > first)
        & (days <= last)
        & (days < end[:, None])
        & (index_day[:, None] + offsets[None, :] + 14 > first)
    )
    returned = due & (rng.random(due.shape) >= previous.config.pilot.eq5d_nonresponse)
    member, visit = np.nonzero(returned)
    ids = pilot["person_id"].to_numpy(dtype=object)[member]
    when = days[member, visit]
    keys = file_under(registrations, ids, when)
    filed = keys != ""
    latest = _latest_answers(eq5d, registrations)
    rows = []
    pool = eq5d.to_dict("records")
    chosen = zip(ids[filed], keys[filed], when[filed], visit[filed], strict=True)
    for person, key, day_, v in chosen:
        answers = latest.get(str(person))
        if answers is None and pool:
            answers = {str(k): str(x) for k, x in pool[int(rng.integers(0, len(pool)))].items()}
        if answers is None:
            continue
        vas = int(np.clip(int(answers["eq_vas"]) + round(float(rng.normal(0, 5))), 0, 100))
        rows.append(
            {
                **{k: str(answers[k]) for k in eq5d.columns},
                "patient_id": str(key),
                "response_date": str(format_day_numbers([int(day_)], ISO)[0]),
                "visit": VISITS[int(v) + 1],
                "eq_vas": str(vas),
            }
        )
    return pd.DataFrame(rows, columns=list(eq5d.columns))


def _latest_answers(eq5d: pd.DataFrame, registrations: pd.DataFrame) -> dict[str, dict[str, str]]:
    owner = dict(zip(registrations["key"], registrations["person_id"], strict=True))
    frame = eq5d.assign(person=eq5d["patient_id"].map(owner)).dropna(subset=["person"])
    frame = frame.sort_values(["person", "response_date"]).drop_duplicates("person", keep="last")
    return {
        str(r["person"]): {str(k): str(v) for k, v in r.items()} for r in frame.to_dict("records")
    }


def _employed_months(
    previous: Previous,
    pilot: pd.DataFrame,
    end: np.ndarray,
    earnings: pd.DataFrame,
    records: pd.DataFrame,
) -> np.ndarray:
    """Months in work in the window inside each pilot member's follow-up."""
    first, _ = previous.window
    mine = records[records["provider"] == "employment"]
    owner = dict(zip(mine["local_key"], mine["person_id"], strict=True))
    after = format_day_numbers([first], YEAR_MONTH)[0]
    recent = earnings[earnings["pay_month"] > after]
    recent = recent.assign(person=recent["customer_ref"].map(owner))
    last_month = dict(
        zip(pilot["person_id"], format_day_numbers(np.asarray(end), YEAR_MONTH), strict=True)
    )
    inside = recent[recent["pay_month"] < recent["person"].map(last_month).fillna("")]
    counts = inside.drop_duplicates(["person", "pay_month"]).groupby("person").size()
    return pilot["person_id"].map(counts).fillna(0).to_numpy(np.int64)
