"""Fixtures for the economics tests: the published example data, read in place.

The files live in ``shared/data/cea/`` beside the repository (see its README). They are
not copied into the project. A checkout elsewhere (a clone under ``/tmp``) names the
shared data folder in ``NIGHTINGALE_SHARED_DATA``. Outside CI a missing folder skips the
published-figure tests with the reason; under ``CI=true`` it fails, so CI cannot pass by
skipping them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

REPOSITORY = Path(__file__).resolve().parents[3]
SHARED_DATA_VARIABLE = "NIGHTINGALE_SHARED_DATA"


def _shared_data() -> Path:
    named = os.environ.get(SHARED_DATA_VARIABLE)
    return Path(named) if named else REPOSITORY.parent / "shared" / "data"


CEA_DATA = _shared_data() / "cea"


def _published(name: str) -> Path:
    path = CEA_DATA / name
    if not path.is_file():
        message = (
            f"published example {path} is not available: the shared data folder lies "
            f"beside the repository, or is named by {SHARED_DATA_VARIABLE}"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def cdiff() -> pd.DataFrame:
    """dampack's C. difficile strategies with their published incremental analysis."""
    return pd.read_csv(_published("dampack_cdiff_icers.csv"))


@pytest.fixture(scope="session")
def vaccine() -> pd.DataFrame:
    """BCEA's Vaccine example: 1,000 PSA draws of costs and effects of two strategies."""
    return pd.read_csv(_published("vaccine_psa.csv"))


@pytest.fixture(scope="session")
def ben2023() -> pd.DataFrame:
    """Ben et al. (2023)'s simulated 200-patient trial with missing costs and utilities."""
    return pd.read_csv(_published("ben2023_dataset.csv"))
