"""Refreshes of the synthetic region: the next extract of every provider, truth carried over.

Public API::

    from nightingale.synth.refresh import write_refresh
    write_refresh(Path("region"), months=6, out=Path("region-2"))

See docs/synthetic-region.md ("Refreshes").
"""

from nightingale.synth.refresh.rates import RefreshRates
from nightingale.synth.refresh.write import RefreshSummary, write_refresh

__all__ = ["RefreshRates", "RefreshSummary", "write_refresh"]
