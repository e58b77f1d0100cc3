"""How often things happen between two extracts (per year unless said otherwise).

The defaults are shaped to a UK urban region (about 11 births per 1,000 people a year,
3-4% of households moving, about 1% leaving and as many arriving); they are stored in the
refreshed folder's ``manifest.json`` with the refresh, so a reader knows what made it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

Probability = float


class RefreshRates(BaseModel):
    """Rates of the changes a refresh draws."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    death_hazard_ratio: float = Field(
        1.0, ge=0, description="multiplies the region's Gompertz death hazard"
    )
    move_within_region: float = Field(0.026, ge=0, description="household moves, /year")
    move_out_of_region: float = Field(0.009, ge=0, description="households leaving, /year")
    arrivals: float = Field(
        0.009, ge=0, description="households arriving, per household present, /year"
    )
    births: float = Field(0.06, ge=0, description="births per woman aged 18-45, /year")
    name_changes: float = Field(
        0.02, ge=0, description="unmarried women aged 18-45 who marry and take a surname, /year"
    )
    corrections: float = Field(
        0.3, ge=0, description="people-file rows with an identifier error that gets fixed, /year"
    )
    withdrawals: float = Field(
        0.004, ge=0, description="people-file rows withdrawn by the provider, /year (>= 1 each)"
    )
    social_transfer: Probability = Field(
        0.5, ge=0, le=1, description="social tenants moving within the region to a new tenancy"
    )
    arrival_social: Probability = Field(
        0.2, ge=0, le=1, description="arriving households that take a social tenancy"
    )
    arrival_customer: Probability = Field(
        0.7, ge=0, le=1, description="arriving adults 16-66 known to the employment provider"
    )
