"""Regions generated once per session: a small noisy one and a large noise-free one."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from nightingale.synth import SynthConfig, generate_region
from nightingale.synth.config import EffectParams, PilotParams

SMALL = SynthConfig(people=4_000, seed=11, chunk_size=1_500)


@pytest.fixture(scope="session")
def small_region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4,000 people in three chunks, with the default identifier errors."""
    out = tmp_path_factory.mktemp("synth") / "small"
    generate_region(SMALL, out)
    return out


@pytest.fixture(scope="session")
def clean_region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30,000 people, no identifier errors, a test-only larger pilot (more tenancies) and
    stronger effects on the rarer conditions (falls and respiratory admissions number a
    few hundred in its follow-up: enough to see a rate ratio of 0.4, not one of 0.7)."""
    config = SynthConfig(
        people=30_000,
        seed=7,
        pilot=PilotParams(new_tenancy_share=0.5, pilot_window_weight=1.0),
        effects=EffectParams(
            respiratory_admissions_rate_ratio=0.5, falls_admissions_rate_ratio=0.4
        ),
    ).without_noise()
    out = tmp_path_factory.mktemp("synth") / "clean"
    generate_region(config, out)
    return out


def rows(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a CSV file as dictionaries of strings."""
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))
