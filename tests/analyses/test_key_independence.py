"""Published numbers do not depend on the pseudonym key or on the order of rows.

The same pilot, released under two keystores (two data roots: different ``pid`` values,
so rows in a different order), must give byte-identical evaluation and economics
bundles apart from the release's id and checksum; so must the same release with its
rows shuffled.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nightingale.analyses.economics.evaluation import EconomicsRun, evaluate_pilot
from nightingale.analyses.economics.evaluation import write_bundle as write_economics
from nightingale.analyses.evaluations.dfh_pilot import Release, evaluate
from nightingale.analyses.evaluations.dfh_pilot import write_bundle as write_evaluation
from nightingale.analyses.plan import parse_plan
from tests.analyses.economics.release_frames import pilot_release as economics_release
from tests.analyses.evaluations.test_bundle import SMALL_PLAN
from tests.analyses.keyed_release import fresh_keystore, keyed_release
from tests.analyses.pilot_release import pilot_release

RELEASE_FIELDS = {"release_id", "release_manifest_sha256"}
RUN = EconomicsRun(replicates=300, imputations=3, burn_in=2, skip=0)


def _bundle(folder: Path) -> dict[str, bytes | dict[str, object]]:
    """Every file's bytes; ``bundle.json`` without the fields naming the release."""
    files: dict[str, bytes | dict[str, object]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name == "bundle.json":
            manifest = json.loads(path.read_text())
            files[name] = {k: v for k, v in manifest.items() if k not in RELEASE_FIELDS}
        else:
            files[name] = path.read_bytes()
    return files


def _evaluation_bundle(persons: pd.DataFrame, panel: pd.DataFrame, out: Path) -> Path:
    plan = parse_plan(SMALL_PLAN)
    result = evaluate(persons, panel, plan)
    release = Release(out.name, persons, panel, f"sha-{out.name}", {})
    return write_evaluation(result, out, plan, release)


def _economics_bundle(persons: pd.DataFrame, panel: pd.DataFrame, out: Path) -> Path:
    return write_economics(evaluate_pilot(persons, panel, run=RUN), out, out.name, out.name)


def _shuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    order = np.random.default_rng(seed).permutation(len(frame))
    return frame.iloc[order].reset_index(drop=True)


# Module-scoped: each test compares against the bundle of the pilot released under one
# key, which is built once (the evaluations and economics runs are the slow part).
Frames = tuple[pd.DataFrame, pd.DataFrame]
Bundle = dict[str, bytes | dict[str, object]]


@pytest.fixture(scope="module")
def pilot() -> Frames:
    persons, panel, _truth = pilot_release(900, seed=19)
    return persons, panel


@pytest.fixture(scope="module")
def keyed_pilot(pilot: Frames) -> Frames:
    return keyed_release(*pilot, fresh_keystore())


@pytest.fixture(scope="module")
def evaluation_bundle(keyed_pilot: Frames, tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    return _bundle(_evaluation_bundle(*keyed_pilot, tmp_path_factory.mktemp("evaluation")))


@pytest.fixture(scope="module")
def economics() -> Frames:
    return economics_release(500, seed=4)


@pytest.fixture(scope="module")
def keyed_economics(economics: Frames) -> Frames:
    return keyed_release(*economics, fresh_keystore())


@pytest.fixture(scope="module")
def economics_bundle(keyed_economics: Frames, tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    return _bundle(_economics_bundle(*keyed_economics, tmp_path_factory.mktemp("economics")))


def test_two_keys_give_the_same_evaluation_bundle(
    pilot: Frames, keyed_pilot: Frames, evaluation_bundle: Bundle, tmp_path: Path
) -> None:
    second = keyed_release(*pilot, fresh_keystore())
    assert set(keyed_pilot[0]["pid"]).isdisjoint(second[0]["pid"])  # two keys, two sets of ids
    assert list(keyed_pilot[0]["treated"]) != list(second[0]["treated"])  # another row order
    a = evaluation_bundle
    b = _bundle(_evaluation_bundle(*second, tmp_path / "b"))
    assert sorted(a) == sorted(b)
    assert {name for name in a if a[name] != b[name]} == set()


def test_shuffled_rows_give_the_same_evaluation_bundle(
    keyed_pilot: Frames, evaluation_bundle: Bundle, tmp_path: Path
) -> None:
    persons, panel = keyed_pilot
    a = evaluation_bundle
    b = _bundle(_evaluation_bundle(_shuffled(persons, 1), _shuffled(panel, 2), tmp_path / "b"))
    assert {name for name in a if a[name] != b[name]} == set()


def test_two_keys_give_the_same_economics_bundle(
    economics: Frames, economics_bundle: Bundle, tmp_path: Path
) -> None:
    second = keyed_release(*economics, fresh_keystore())
    a = economics_bundle
    b = _bundle(_economics_bundle(*second, tmp_path / "b"))
    assert "tables/economics_scenarios.csv" in a
    assert {name for name in a if a[name] != b[name]} == set()


def test_shuffled_rows_give_the_same_economics_bundle(
    keyed_economics: Frames, economics_bundle: Bundle, tmp_path: Path
) -> None:
    persons, panel = keyed_economics
    a = economics_bundle
    b = _bundle(_economics_bundle(_shuffled(persons, 3), _shuffled(panel, 4), tmp_path / "b"))
    assert {name for name in a if a[name] != b[name]} == set()
