"""The synthetic Leeds City Region: people, three providers' extracts, and the truth.

Public API::

    from nightingale.synth import SynthConfig, generate_region
    generate_region(SynthConfig(people=20_000, seed=2026), Path("region"))

See docs/synthetic-region.md for the files, columns and formats.
"""

from nightingale.synth.config import ErrorRates, SynthConfig
from nightingale.synth.eq5d import utility
from nightingale.synth.region import RegionSummary, generate_region, is_complete

__all__ = [
    "ErrorRates",
    "RegionSummary",
    "SynthConfig",
    "generate_region",
    "is_complete",
    "utility",
]
