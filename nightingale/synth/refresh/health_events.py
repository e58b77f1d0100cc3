"""The health provider's new events: admissions, A&E, GP consultations, EQ-5D, deaths.

Events fall on days the person is alive and in the region, and are filed under the GP
registration open that day (people not registered have none in the extract, as in the
generated region). A death is filed under the registration it ended.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nightingale.synth.conditions import death_causes
from nightingale.synth.dates import ISO
from nightingale.synth.health_extract import chapters
from nightingale.synth.refresh.continuation import (
    IntArray,
    Presence,
    draw_events,
    examples,
    file_under,
    history_counts,
    person_rates,
)
from nightingale.synth.refresh.rows import fresh_keys
from nightingale.synth.refresh.source import Previous, format_day_numbers, parse_days

#: Event files with their id column (and its key shape), if any.
KINDS = {
    "admissions.csv": ("admission_id", "A", 10, "admission_date"),
    "ae_attendances.csv": ("attendance_id", "E", 10, "arrival_date"),
    "gp_consultations.csv": (None, "", 0, "consultation_date"),
}


def registration_intervals(frame: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """person_id, key, start, end (exclusive) of every main (not duplicate) registration."""
    mine = records[(records["provider"] == "health") & (records["duplicate"] == "0")]
    owner = dict(zip(mine["local_key"], mine["person_id"], strict=True))
    main = frame[frame["patient_id"].isin(owner)]
    return pd.DataFrame(
        {
            "person_id": main["patient_id"].map(owner).to_numpy(dtype=object),
            "key": main["patient_id"].to_numpy(dtype=object),
            "start": parse_days(main["registration_date"], ISO),
            "end": parse_days(main["deregistration_date"], ISO),
        }
    )


def new_health_events(
    previous: Previous,
    people: pd.DataFrame,
    presence: Presence,
    registrations: pd.DataFrame,
    history: dict[str, pd.DataFrame],
    owners: dict[str, str],
) -> dict[str, pd.DataFrame]:
    """The window's new rows of each health event file (deaths included)."""
    where = presence.position()
    out: dict[str, pd.DataFrame] = {}
    for name, (id_column, prefix, digits, date_column) in KINDS.items():
        rng = previous.rng(f"health:{name}")
        earlier = history[name]
        owner = earlier["patient_id"].map(owners)
        counts = history_counts(owner, where, len(presence.person_ids))
        person, days = draw_events(person_rates(counts, presence.exposure), presence, rng)
        keys = file_under(registrations, presence.person_ids[person], days)
        filed = keys != ""
        person, days, keys = person[filed].astype(np.int64), days[filed], keys[filed]
        owner_positions: IntArray = np.asarray(owner.map(where).fillna(-1), dtype=np.int64)
        template = earlier.iloc[examples(owner_positions, person, rng)].reset_index(drop=True)
        rows = template.copy()
        rows["patient_id"] = keys
        rows[date_column] = format_day_numbers(days, ISO)
        if name == "admissions.csv":
            stay = parse_days(template["discharge_date"], ISO) - parse_days(
                template["admission_date"], ISO
            )
            end = np.minimum(days + np.maximum(stay, 0), presence.window_to[person] - 1)
            rows["discharge_date"] = format_day_numbers(np.maximum(end, days), ISO)
        if id_column is not None:
            taken = set(previous.extracts["health"][name][id_column])
            rows[id_column] = fresh_keys(prefix, digits, len(rows), taken, rng)
        out[name] = rows[list(earlier.columns)]
    out["deaths.csv"] = _deaths(previous, people, registrations, history["deaths.csv"])
    return out


def _deaths(
    previous: Previous, people: pd.DataFrame, registrations: pd.DataFrame, earlier: pd.DataFrame
) -> pd.DataFrame:
    """A death in the window, on the registration it ended (if the person had one)."""
    first, last = previous.window
    rng = previous.rng("health:deaths")
    dead = people[(people["_death"] > first) & (people["_death"] <= last)].sort_values("person_id")
    ended = registrations.merge(
        pd.DataFrame({"person_id": dead["person_id"], "death": dead["_death"]}), on="person_id"
    )
    ended = ended[ended["end"] == ended["death"]].drop_duplicates("person_id")
    cause = death_causes(len(ended), rng)
    frame = pd.DataFrame(
        {
            "patient_id": ended["key"].to_numpy(dtype=object),
            "date_of_death": format_day_numbers(ended["death"].to_numpy(), ISO),
            "underlying_cause": cause,
            "icd10_chapter": np.asarray(chapters(cause), dtype=object),
        }
    )
    return frame[list(earlier.columns)]
