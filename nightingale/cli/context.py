"""What every command shares: the global options and lazily built settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer

from nightingale.platform.settings import Settings, load_settings


@dataclass
class CliState:
    """Global options of one invocation; settings are built on first use."""

    data_root: Path | None = None
    debug: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(data_root=self.data_root)
        return self._settings


def state(ctx: typer.Context) -> CliState:
    """The invocation's :class:`CliState` (set by the app's callback)."""
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState()
        ctx.find_root().obj = obj
    return obj
