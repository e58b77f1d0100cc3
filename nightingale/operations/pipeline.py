"""A project's analysis as a pipeline of actions: the ``project.yaml`` in its repository.

OpenSAFELY-like: each action names the command it runs, what it needs (the project's
release, mounted read-only at ``release/``, and other actions, whose outputs are put in
its working folder where they wrote them) and the files it writes, by sensitivity::

    version: 1
    actions:
      counts:
        run: python analysis/counts.py
        needs: [release]
        plan: plans/dfh_pilot_plan.yaml      # optional: its SHA-256 is recorded
        outputs:
          moderately_sensitive:
            table: output/counts.csv          # may be requested for release (airlock)
          highly_sensitive:
            frame: output/frame.parquet       # stays inside; later actions may read it

Only ``moderately_sensitive`` outputs may go to the airlock. Commands run Python only
(``python SCRIPT ARGS``, the platform's interpreter with its libraries): a job image
catalogue, as OpenSAFELY has, is for the container deployments.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from pathlib import PurePosixPath
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from nightingale.platform.errors import NightingaleError

PIPELINE_FILE = "project.yaml"
RELEASE = "release"
"""The name under which an action needs the project's release (and the folder it reads)."""
LEVELS = ("moderately_sensitive", "highly_sensitive")
RELEASABLE = "moderately_sensitive"
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
INTERPRETERS = ("python",)


class PipelineError(NightingaleError):
    """A ``project.yaml`` that cannot be run, naming the file and the field."""


def _relative_path(value: str) -> str:
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or not path.parts or str(path) in {".", ""}:
        raise ValueError(f"{value!r} must be a relative path inside the working folder")
    if path.parts[0] == RELEASE:
        raise ValueError(f"{value!r} is inside {RELEASE}/, which is read-only")
    if str(path) == PIPELINE_FILE:
        raise ValueError(f"{value!r} is the pipeline itself")
    return str(path)


class Outputs(BaseModel):
    """The files an action writes, by sensitivity: ``{label: relative path}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    moderately_sensitive: dict[str, str] = Field(default_factory=dict)
    highly_sensitive: dict[str, str] = Field(default_factory=dict)

    @field_validator("moderately_sensitive", "highly_sensitive")
    @classmethod
    def _paths(cls, value: dict[str, str]) -> dict[str, str]:
        for label in value:
            if not NAME.match(label):
                raise ValueError(f"output label {label!r}: lower-case letters, digits, _ or -")
        return {label: _relative_path(path) for label, path in value.items()}

    def by_path(self) -> dict[str, tuple[str, str]]:
        """Every declared path with its (label, level)."""
        found: dict[str, tuple[str, str]] = {}
        for level in LEVELS:
            for label, path in getattr(self, level).items():
                if path in found:
                    raise ValueError(f"{path} is declared twice")
                found[path] = (label, level)
        return found


class Action(BaseModel):
    """One step: a command, what it needs, what it writes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run: str
    needs: list[str] = Field(default_factory=list)
    outputs: Outputs
    plan: str | None = None

    @field_validator("run")
    @classmethod
    def _command(cls, value: str) -> str:
        try:
            words = shlex.split(value)
        except ValueError as exc:
            raise ValueError(f"cannot split the command ({exc})") from exc
        if len(words) < 2 or words[0] not in INTERPRETERS:
            raise ValueError("a command is 'python SCRIPT [ARGUMENTS]'")
        return value

    @field_validator("plan")
    @classmethod
    def _plan(cls, value: str | None) -> str | None:
        return None if value is None else _relative_path(value)

    @model_validator(mode="after")
    def _some_output(self) -> Action:
        paths = self.outputs.by_path()
        if not paths:
            raise ValueError("an action must declare at least one output")
        return self

    @property
    def command(self) -> list[str]:
        return shlex.split(self.run)

    @property
    def needs_release(self) -> bool:
        return RELEASE in self.needs

    @property
    def needed_actions(self) -> list[str]:
        return [n for n in self.needs if n != RELEASE]


class Pipeline(BaseModel):
    """A project's ``project.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    actions: dict[str, Action]

    @model_validator(mode="after")
    def _graph(self) -> Pipeline:
        owners: dict[str, str] = {}
        for name, action in self.actions.items():
            if not NAME.match(name) or name == RELEASE:
                raise ValueError(f"action name {name!r}: lower-case letters, digits, _ or -")
            for needed in action.needed_actions:
                if needed not in self.actions:
                    raise ValueError(f"action {name} needs {needed!r}, which is not an action")
            for path in action.outputs.by_path():
                if path in owners:
                    raise ValueError(f"{path} is an output of both {owners[path]} and {name}")
                owners[path] = name
        for name in self.actions:
            self._acyclic(name, ())
        return self

    def _acyclic(self, name: str, trail: tuple[str, ...]) -> None:
        if name in trail:
            raise ValueError(f"actions need each other in a cycle: {' -> '.join((*trail, name))}")
        for needed in self.actions[name].needed_actions:
            self._acyclic(needed, (*trail, name))

    def action(self, name: str) -> Action:
        if name not in self.actions:
            known = ", ".join(sorted(self.actions)) or "none"
            raise PipelineError(f"{PIPELINE_FILE}: no action {name!r} (actions: {known})")
        return self.actions[name]


def parse_pipeline(text: str, source: str = PIPELINE_FILE) -> Pipeline:
    """The pipeline in ``text``; :class:`PipelineError` names ``source`` and the field."""
    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PipelineError(f"{source}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise PipelineError(f"{source}: must be a mapping with 'version' and 'actions'")
    try:
        return Pipeline.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'pipeline'}: "
            f"{str(err['msg']).removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise PipelineError(f"{source}: {problems}") from exc


def sha256_text(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()
