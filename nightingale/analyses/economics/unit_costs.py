"""Unit costs with their price year and source, and re-basing prices with an index.

A cost is resource use times a unit cost. Unit costs come from a *versioned table*
(YAML) that records, for every item, the amount, unit, source and perspective, and
for the table the currency and price year; results carry the table's version so a
reader can see which prices were used. Prices from different years are brought to one
price year with an inflation index (for NHS costs, the NHS Cost Inflation Index,
NHSCII, published with the PSSRU Unit Costs of Health and Social Care):
``cost_in_target_year = cost * index[target] / index[source]``.

The shipped table (``data/unit_costs.yaml``) and index (``data/nhscii.csv``) are marked
*illustrative* (see their headers); the report states that status.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nightingale.platform.errors import NightingaleError


class UnitCost(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: str
    cost: float = Field(ge=0)
    source: str = Field(min_length=1)
    perspective: str = "nhs"


class UnitCostTable(BaseModel):
    """A versioned table of unit costs in one currency and price year."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    status: str = "published"
    currency: str = "GBP"
    price_year: str
    items: dict[str, UnitCost]

    def cost_of(self, item: str) -> float:
        if item not in self.items:
            raise NightingaleError(f"unit-cost table {self.version} has no item {item!r}")
        return self.items[item].cost

    def rebased(self, index: InflationIndex, price_year: str) -> UnitCostTable:
        """The same table with every cost moved to ``price_year``."""
        factor = index.factor(self.price_year, price_year)
        items = {
            name: item.model_copy(update={"cost": item.cost * factor})
            for name, item in self.items.items()
        }
        return self.model_copy(
            update={
                "items": items,
                "price_year": price_year,
                "version": f"{self.version} rebased to {price_year} ({index.name})",
            }
        )

    def cost_frame(self, use: pd.DataFrame, mapping: Mapping[str, str]) -> pd.DataFrame:
        """Cost of each resource: ``use[column] * unit cost[item]`` for ``column -> item``."""
        missing = [c for c in mapping if c not in use.columns]
        if missing:
            raise NightingaleError(f"resource-use columns {missing} are not in the data")
        return pd.DataFrame(
            {
                f"cost_{column}": use[column] * self.cost_of(item)
                for column, item in mapping.items()
            },
            index=use.index,
        )

    def sources(self) -> pd.DataFrame:
        """The table as a frame, for reports."""
        return pd.DataFrame(
            [
                {"item": name, "unit": item.unit, "cost": item.cost, "source": item.source}
                for name, item in self.items.items()
            ]
        ).assign(price_year=self.price_year, currency=self.currency, version=self.version)


@dataclass(frozen=True)
class InflationIndex:
    """An index of prices by year (e.g. NHSCII); only ratios matter."""

    name: str
    values: Mapping[str, float]

    def factor(self, from_year: str, to_year: str) -> float:
        for year in (from_year, to_year):
            if year not in self.values:
                raise NightingaleError(f"{self.name} has no value for {year}")
        return self.values[to_year] / self.values[from_year]

    @classmethod
    def from_csv(cls, path: Path, name: str) -> InflationIndex:
        frame = pd.read_csv(path, dtype={"financial_year": str})
        return cls(
            name, dict(zip(frame["financial_year"], frame["index"].astype(float), strict=True))
        )


def load_unit_costs(path: Path | None = None) -> UnitCostTable:
    """A unit-cost table from YAML (default: the one shipped with Nightingale)."""
    text = (
        path.read_text()
        if path is not None
        else resources.files("nightingale.analyses.economics")
        .joinpath("data/unit_costs.yaml")
        .read_text()
    )
    try:
        return UnitCostTable.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        raise NightingaleError(f"{path or 'shipped unit-cost table'}: {exc}") from exc


def load_nhscii() -> InflationIndex:
    """The shipped (illustrative) NHS Cost Inflation Index."""
    with resources.as_file(
        resources.files("nightingale.analyses.economics").joinpath("data/nhscii.csv")
    ) as path:
        return InflationIndex.from_csv(path, "NHSCII (illustrative)")
