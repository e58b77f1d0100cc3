"""Benchmark: build the homes pilot's cohort over 1,000,000 people, DuckDB against pandas.

Generates a seeded synthetic region straight into the zone layout (content Parquet, a
spine, demographics), builds the pilot's release with the DuckDB engine (the whole
``build_release``: queries, pseudonyms, checks, k-anonymity, atomic write), computes the
same spec with a straightforward pandas implementation, checks both give identical
tables, and prints one result line. Targets (issue 6): the build in at most 2 minutes
and at least 5 times faster than pandas.

    .venv/bin/python benchmarks/cohort_build.py [--people 1000000] [--seed 2026]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nightingale.cohorts.build import build_release, demographics_needed_by
from nightingale.cohorts.catalogue import default_catalogue
from nightingale.cohorts.compile import compile_spec
from nightingale.cohorts.engines import DuckDBEngine
from nightingale.cohorts.loading import parse_spec
from nightingale.cohorts.run import run_cohort
from nightingale.linkage.demographics import publish_demographics
from nightingale.platform.contracts import set_current_spine
from nightingale.platform.encryption import seal
from nightingale.platform.keystore import MemoryKeyStore
from nightingale.platform.settings import Settings
from nightingale.platform.storage import (
    DataRoot,
    atomic_write_bytes,
    write_parquet,
)

SPEC_PATH = Path(__file__).resolve().parents[1] / "nightingale/cohorts/examples/dfh_pilot.yaml"
DAY = np.timedelta64(1, "D")


# -- the synthetic region ------------------------------------------------------------------


def _dates(rng: np.random.Generator, start: str, days: int, n: int) -> np.ndarray:
    return np.datetime64(start, "D") + rng.integers(0, days, n).astype("timedelta64[D]")


def _some(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    return rng.random(n) < share


def generate(people: int, seed: int) -> tuple[pa.Table, dict[str, pa.Table]]:
    """The spine and every table the pilot reads; event counts scale with ``people``."""
    rng = np.random.default_rng(seed)
    ids = np.arange(people)
    person = pa.array([f"N{i:08d}" for i in ids])
    housing, health, work = (pa.array([f"{p}{i}" for i in ids]) for p in "hge")
    spine = pa.table(
        {
            "source": pa.array(
                ["housing"] * people + ["health"] * people + ["employment"] * people
            ),
            "record_id": pa.concat_arrays([housing, health, work]),
            "person_id": pa.concat_arrays([person, person, person]),
        }
    )

    def events(records: pa.Array, per_person: float) -> tuple[pa.Array, int]:
        n = int(people * per_person)
        return records.take(pa.array(rng.integers(0, people, n))), n

    start = _dates(rng, "2019-10-01", 3 * 365 + 180, people)
    ends = start + rng.integers(30, 2500, people).astype("timedelta64[D]")
    end = np.where(_some(rng, people, 0.3), ends, np.datetime64("NaT"))
    tables: dict[str, pa.Table] = {
        "housing.tenancies": pa.table(
            {
                "record_id": housing,
                "tenancy_start": start,
                "tenancy_end": end,
                "scheme": np.where(_some(rng, people, 0.3), "designed_for_health", "standard"),
            }
        ),
        "linkage.demographics": pa.table(
            {
                "record_id": health,
                "date_of_birth": np.where(
                    _some(rng, people, 0.02),
                    np.datetime64("NaT"),
                    _dates(rng, "1940-01-01", 60 * 365, people),
                ),
                "sex": np.where(_some(rng, people, 0.5), "F", "M"),
                "source": ["health"] * people,
            }
        ),
        "health.gp_registrations": pa.table(
            {
                "record_id": health,
                "registration_date": _dates(rng, "2005-01-01", 17 * 365, people),
                "imd_decile": rng.integers(1, 11, people),
                "ltc_count": rng.poisson(1.2, people),
            }
        ),
    }
    records, n = events(health, 1.0)
    admitted = _dates(rng, "2018-01-01", 3100, n)
    tables["health.admissions"] = pa.table(
        {
            "record_id": records,
            "admission_date": admitted,
            "discharge_date": admitted + rng.integers(0, 12, n).astype("timedelta64[D]"),
            "admission_method": np.where(_some(rng, n, 0.6), "emergency", "elective"),
        }
    )
    for name, column, rate in [
        ("health.ae_attendances", "arrival_date", 1.0),
        ("health.gp_consultations", "consultation_date", 3.0),
    ]:
        records, n = events(health, rate)
        tables[name] = pa.table({"record_id": records, column: _dates(rng, "2018-01-01", 3100, n)})
    records, n = events(health, 0.6)
    levels = {
        name: rng.integers(1, 6, n)
        for name in ("mobility", "self_care", "usual_activities", "pain_discomfort")
    }
    tables["health.eq5d"] = pa.table(
        {
            "record_id": records,
            "response_date": _dates(rng, "2019-06-01", 2500, n),
            **levels,
            "anxiety_depression": rng.integers(1, 6, n),
        }
    )
    records, n = events(health, 0.04)
    tables["health.deaths"] = pa.table(
        {"record_id": records, "date_of_death": _dates(rng, "2018-01-01", 3100, n)}
    )
    for name, first, last, rate, extra in [
        ("employment.employment_spells", "start_date", "end_date", 0.7, {}),
        ("employment.benefit_claims", "claim_start", "claim_end", 0.3, {"sickness_related": 0.4}),
    ]:
        records, n = events(work, rate)
        began = _dates(rng, "2015-01-01", 4000, n)
        stop = began + rng.integers(10, 1500, n).astype("timedelta64[D]")
        columns = {
            "record_id": records,
            first: began,
            last: np.where(_some(rng, n, 0.6), stop, np.datetime64("NaT")),
        }
        for column, share in extra.items():
            columns[column] = np.where(_some(rng, n, share), "Y", "N")
        tables[name] = pa.table(columns)
    records, n = events(work, 2.0)
    months = np.datetime64("2018-01", "M") + rng.integers(0, 100, n).astype("timedelta64[M]")
    tables["employment.earnings"] = pa.table(
        {
            "record_id": records,
            "pay_month": months.astype("datetime64[D]"),
            "gross_pay": np.round(rng.uniform(300, 4000, n), 2),
        }
    )
    return spine, {name: _as_dates(table) for name, table in tables.items()}


def _as_dates(table: pa.Table) -> pa.Table:
    """Timestamps as Arrow dates, as ingest writes them."""
    for position, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            table = table.set_column(position, field.name, table[field.name].cast(pa.date32()))
    return table


def write_region(root: DataRoot, keystore: MemoryKeyStore, spine: pa.Table, tables: dict) -> None:
    """The region in the zone layout the builder reads."""
    for name, table in tables.items():
        provider, stem = name.split(".")
        if provider == "linkage":
            sink = pa.BufferOutputStream()
            import pyarrow.parquet as pq

            pq.write_table(table.drop_columns(["source"]), sink)
            blob = seal(sink.getvalue().to_pybytes(), keystore, "identifiers/health")
            atomic_write_bytes(root.linkage / "identifiers" / "health" / "v1.bin", blob)
            continue
        write_parquet(root.content_version(provider, "v1") / f"{stem}.parquet", table)
    write_parquet(root.linkage / "spine" / "run1" / "spine.parquet", spine)
    set_current_spine(root, "run1")


# -- the same spec, straightforwardly in pandas -------------------------------------------


def add_months(days: pd.Series, months: int) -> pd.Series:
    """Calendar months added, clamped to the month's last day (as DuckDB and Spark do)."""
    values = days.to_numpy(dtype="datetime64[D]")
    month = values.astype("datetime64[M]") + np.timedelta64(months, "M")
    last_day = (month + np.timedelta64(1, "M")).astype("datetime64[D]") - DAY
    wanted = month.astype("datetime64[D]") + (values - values.astype("datetime64[M]"))
    return pd.Series(np.minimum(wanted, last_day), index=days.index).astype("datetime64[ns]")


def _frames(spine: pa.Table, tables: dict[str, pa.Table]) -> dict[str, pd.DataFrame]:
    links = spine.to_pandas()
    frames = {}
    for name, table in tables.items():
        frame = table.to_pandas()
        for column in frame.columns:
            if column != "record_id" and table.schema.field(column).type == pa.date32():
                frame[column] = pd.to_datetime(frame[column])
        if "source" not in frame:
            frame["source"] = name.split(".")[0]
        frames[name] = frame.merge(links, on=["source", "record_id"])
    return frames


def _window(events: pd.DataFrame, column: str, low: pd.Series, high: pd.Series) -> pd.DataFrame:
    return events[(events[column] >= low) & (events[column] < high)]


def _latest(rows: pd.DataFrame, keys: list[str], date: str, value: str) -> pd.DataFrame:
    ordered = rows.sort_values([*keys, date, value], ascending=[True] * len(keys) + [False, False])
    return ordered.drop_duplicates(keys)[[*keys, value]]


def _profile(frame: pd.DataFrame) -> pd.Series:
    columns = ["mobility", "self_care", "usual_activities", "pain_discomfort", "anxiety_depression"]
    return frame[columns].astype(str).agg("".join, axis=1)


def pandas_cohort(
    spine: pa.Table, tables: dict[str, pa.Table]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pilot spec (nightingale/cohorts/examples/dfh_pilot.yaml), one step at a time."""
    f = _frames(spine, tables)
    far = pd.Timestamp("2200-01-01")  # "never" within pandas' nanosecond range
    end_of_data = pd.Timestamp("2026-06-30")
    t = f["housing.tenancies"]
    t = t[t["scheme"].isin(["designed_for_health", "standard"])]
    t = t[t["tenancy_start"].between("2020-01-01", "2022-12-31")]
    t = t.sort_values(["person_id", "tenancy_start", "record_id"]).drop_duplicates("person_id")
    pop = pd.DataFrame(
        {
            "person_id": t["person_id"],
            "index_date": t["tenancy_start"],
            "end_date": t["tenancy_end"],
            "treated": (t["scheme"] == "designed_for_health").astype("int64"),
        }
    )
    deaths = f["health.deaths"].groupby("person_id")["date_of_death"].min().rename("death_date")
    pop = pop.merge(deaths, on="person_id", how="left")
    pop = pop[
        (pop["index_date"] <= end_of_data)
        & (pop["end_date"].fillna(far) >= pop["index_date"])
        & (pop["death_date"].isna() | (pop["death_date"] >= pop["index_date"]))
    ].reset_index(drop=True)
    horizon = add_months(pop["index_date"], 48) - pd.Timedelta(days=1)
    pop["exit_date"] = pd.concat(
        [
            pd.Series(end_of_data, index=pop.index),
            horizon,
            pop["end_date"].fillna(far),
            pop["death_date"].fillna(far),
        ],
        axis=1,
    ).min(axis=1)
    index = pop.set_index("person_id")["index_date"]

    def joined(name: str) -> pd.DataFrame:
        events = f[name].merge(pop[["person_id", "index_date", "exit_date"]], on="person_id")
        return events

    persons = pop[["person_id", "treated"]].copy()
    persons["index_month"] = pop["index_date"].dt.strftime("%Y-%m")
    demo = joined("linkage.demographics")

    def most_common(column: str) -> pd.Series:
        rows = demo.dropna(subset=[column])
        counts = rows.groupby(["person_id", column]).size().rename("n").reset_index()
        counts = counts.sort_values(["person_id", "n", column], ascending=[True, False, True])
        return counts.drop_duplicates("person_id").set_index("person_id")[column]

    born = persons["person_id"].map(most_common("date_of_birth"))
    at = persons["person_id"].map(index)
    age = (
        at.dt.year
        - born.dt.year
        - ((at.dt.month * 100 + at.dt.day) < (born.dt.month * 100 + born.dt.day)).astype(int)
    )
    bands = [16, 25, 35, 45, 55, 65, 75]
    labels = [f"{lo}-{hi - 1}" for lo, hi in itertools.pairwise(bands)] + ["75+"]
    persons["age_band"] = pd.cut(age, [*bands, 1000], right=False, labels=labels).astype(object)
    persons.loc[persons["age_band"].isna(), "age_band"] = None
    persons["sex"] = persons["person_id"].map(most_common("sex"))
    reg = joined("health.gp_registrations")
    reg = reg[reg["registration_date"] <= reg["index_date"]]
    for name, column in [("imd_quintile", "imd_decile"), ("ltc_count", "ltc_count")]:
        latest = _latest(reg, ["person_id"], "registration_date", column)
        persons[name] = persons["person_id"].map(latest.set_index("person_id")[column])
    persons["imd_quintile"] = (persons["imd_quintile"] + 1) // 2
    persons["ltc_count"] = persons["ltc_count"].clip(upper=3)
    spells = joined("employment.employment_spells")
    day_before = spells["index_date"] - pd.Timedelta(days=1)
    working = spells[
        (spells["start_date"] <= day_before)
        & (spells["end_date"].isna() | (spells["end_date"] >= day_before))
    ]
    persons["employed_pre"] = persons["person_id"].isin(working["person_id"]).astype("int64")

    def before(name: str, column: str, events: pd.DataFrame | None = None) -> pd.DataFrame:
        rows = joined(name) if events is None else events
        return _window(rows, column, add_months(rows["index_date"], -12), rows["index_date"])

    earnings = before("employment.earnings", "pay_month").groupby("person_id")["gross_pay"].sum()
    persons["earnings_pre"] = persons["person_id"].map(earnings).fillna(0.0)
    admissions = joined("health.admissions")
    emergency = admissions[admissions["admission_method"] == "emergency"]
    for name, table, column, rows in [
        ("emergency_admissions_pre", "health.admissions", "admission_date", emergency),
        ("ae_attendances_pre", "health.ae_attendances", "arrival_date", None),
        ("gp_consultations_pre", "health.gp_consultations", "consultation_date", None),
    ]:
        counts = before(table, column, rows).groupby("person_id").size()
        persons[name] = persons["person_id"].map(counts).fillna(0).astype("int64")
    eq5d = joined("health.eq5d")
    eq5d["profile"] = _profile(eq5d)
    pre = _window(
        eq5d,
        "response_date",
        add_months(eq5d["index_date"], -12),
        eq5d["index_date"] + pd.Timedelta(days=1),
    )
    latest = _latest(pre, ["person_id"], "response_date", "profile").set_index("person_id")
    persons["eq5d_pre"] = persons["person_id"].map(latest["profile"])
    persons["died"] = (pop["death_date"] <= pop["exit_date"]).astype("int64")
    persons["followup_days"] = (pop["exit_date"] + pd.Timedelta(days=1) - pop["index_date"]).dt.days

    # Panel: population x periods, with time at risk.
    periods = [(0, 0, 6), (1, 6, 12), (2, 12, 24), (3, 24, 36), (4, 36, 48)]
    parts = []
    for number, first, last in periods:
        part = pop[["person_id", "index_date", "exit_date"]].copy()
        part["period"], part["period_start_month"], part["period_end_month"] = number, first, last
        part["start"] = add_months(part["index_date"], first)
        part["stop"] = np.minimum(
            add_months(part["index_date"], last), part["exit_date"] + pd.Timedelta(days=1)
        )
        parts.append(part[part["stop"] > part["start"]])
    panel = pd.concat(parts, ignore_index=True)
    panel["time_at_risk_days"] = (panel["stop"] - panel["start"]).dt.days
    keys = ["person_id", "period"]
    windows = panel[[*keys, "start", "stop"]]

    def in_period(events: pd.DataFrame, column: str) -> pd.DataFrame:
        rows = events.merge(windows, on="person_id")
        return rows[(rows[column] >= rows["start"]) & (rows[column] < rows["stop"])]

    def attach(name: str, values: pd.Series, fill: float | None) -> None:
        merged = panel[keys].merge(values.rename(name).reset_index(), on=keys, how="left")[name]
        panel[name] = merged.fillna(fill) if fill is not None else merged

    adm = f["health.admissions"]
    attach(
        "emergency_admissions",
        in_period(adm[adm["admission_method"] == "emergency"], "admission_date")
        .groupby(keys)
        .size(),
        0,
    )
    attach(
        "ae_attendances",
        in_period(f["health.ae_attendances"], "arrival_date").groupby(keys).size(),
        0,
    )
    attach(
        "gp_consultations",
        in_period(f["health.gp_consultations"], "consultation_date").groupby(keys).size(),
        0,
    )
    stays = in_period(adm, "admission_date")
    stays = stays.assign(days=(stays["discharge_date"] - stays["admission_date"]).dt.days)
    attach("bed_days", stays.groupby(keys)["days"].sum(), 0)
    q = in_period(f["health.eq5d"], "response_date")
    q = q.assign(profile=_profile(q))
    attach("eq5d", _latest(q, keys, "response_date", "profile").set_index(keys)["profile"], None)

    def days_in_state(events: pd.DataFrame, first: str, last: str) -> pd.Series:
        rows = events.merge(windows, on="person_id")
        rows = rows[
            (rows[first] < rows["stop"]) & (rows[last].isna() | (rows[last] >= rows["start"]))
        ]
        until = np.minimum((rows[last] + pd.Timedelta(days=1)).fillna(rows["stop"]), rows["stop"])
        rows = rows.assign(days=(until - np.maximum(rows[first], rows["start"])).dt.days)
        summed = rows.groupby(keys).agg(
            days=("days", "sum"), span=("stop", "max"), begin=("start", "max")
        )
        return np.minimum(summed["days"], (summed["span"] - summed["begin"]).dt.days)

    spells = f["employment.employment_spells"]
    attach("employed_days", days_in_state(spells, "start_date", "end_date"), 0)
    attach(
        "earnings",
        in_period(f["employment.earnings"], "pay_month").groupby(keys)["gross_pay"].sum(),
        0.0,
    )
    claims = f["employment.benefit_claims"]
    sick = claims[claims["sickness_related"] == "Y"]
    attach("sickness_benefit_days", days_in_state(sick, "claim_start", "claim_end"), 0)
    panel = panel.drop(columns=["index_date", "exit_date", "start", "stop"])
    columns = ["person_id", "period", "period_start_month", "period_end_month", "time_at_risk_days"]
    outcomes = ["emergency_admissions", "ae_attendances", "gp_consultations", "bed_days", "eq5d"]
    outcomes += ["employed_days", "earnings", "sickness_benefit_days"]
    return persons, panel[columns + outcomes]


# -- comparing and timing -------------------------------------------------------------------


def same(left: pd.DataFrame, right: pd.DataFrame, keys: list[str]) -> list[str]:
    """Columns that differ (numbers to 1e-9 relative; missing equals missing)."""
    if list(left.columns) != list(right.columns) or len(left) != len(right):
        return [f"shape {list(left.columns)} x {len(left)} != {list(right.columns)} x {len(right)}"]
    left = left.sort_values(keys).reset_index(drop=True)
    right = right.sort_values(keys).reset_index(drop=True)
    differ = []
    for column in left.columns:
        a, b = left[column], right[column]
        numeric = pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b)
        if numeric:
            ok = np.allclose(a.astype(float), b.astype(float), rtol=1e-9, atol=1e-6, equal_nan=True)
        else:
            missing = "\x00"  # a marker no value has: missing equals missing
            ok = bool((a.astype(object).fillna(missing) == b.astype(object).fillna(missing)).all())
        if not ok:
            differ.append(column)
    return differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    spine, tables = generate(args.people, args.seed)
    events = sum(t.num_rows for t in tables.values())
    keystore = MemoryKeyStore()
    for purpose in ("pseudonym", "encryption"):
        keystore.ensure(purpose)
    spec_text = SPEC_PATH.read_text()
    with tempfile.TemporaryDirectory(prefix="nightingale-bench-") as folder:
        root = DataRoot(Path(folder))
        write_region(root, keystore, spine, tables)
        settings = Settings(data_root=root.path, duckdb_threads=2, duckdb_memory_limit="6GB")

        engine = DuckDBEngine.from_settings(settings)
        began = time.perf_counter()
        # As `nightingale build` does: linkage publishes the demographics, cohorts builds.
        versions = demographics_needed_by(root, spec_text)
        demographics = publish_demographics(root, keystore, versions or {})
        release = build_release(
            root,
            keystore,
            engine,
            spec_text=spec_text,
            project="bench",
            request_id="bench",
            demographics=demographics,
            now=datetime.now(UTC),
        )
        build_seconds = time.perf_counter() - began
        engine.close()

        # The same queries without pseudonyms, to compare with pandas on person_id.
        engine = DuckDBEngine.from_settings(settings)
        compiled = compile_spec(parse_spec(spec_text), default_catalogue())
        began = time.perf_counter()
        plain = run_cohort(engine, compiled, spine, tables)
        query_seconds = time.perf_counter() - began
        engine.close()

    began = time.perf_counter()
    persons, panel = pandas_cohort(spine, tables)
    pandas_seconds = time.perf_counter() - began

    differ = same(plain.persons.to_pandas(), persons, ["person_id"])
    differ += same(plain.panel.to_pandas(), panel, ["person_id", "period"])
    rows = release.manifest.rows
    verdict = "identical" if not differ else f"DIFFERENT in {differ}"
    print(
        f"cohort_build: {args.people:,} people, {events:,} event rows -> {rows.persons:,} "
        f"persons, {rows.panel:,} person-periods; duckdb build {build_seconds:.1f} s "
        f"(target <= 120 s; its queries alone {query_seconds:.1f} s), pandas "
        f"{pandas_seconds:.1f} s: build {pandas_seconds / build_seconds:.1f}x faster "
        f"(target >= 5x), queries {pandas_seconds / query_seconds:.1f}x; tables {verdict}"
    )
    if differ:
        sys.exit(1)


if __name__ == "__main__":
    main()
