"""Cohorts: reviewable cohort specs, compiled to SQL, built into pseudonymised releases.

The public API, in the order a release is made:

- :func:`load_spec` / :func:`parse_spec` read a YAML spec into a frozen
  :class:`CohortSpec` (errors name the file, line and field);
- :func:`default_catalogue` lists every table and column a spec may use and checks
  specs against it; :func:`validate_spec` (module ``validation``) does both and is what
  every place that accepts a spec asks;
- :func:`compile_spec` turns a spec into the ``persons`` and ``panel`` queries (sqlglot
  trees rendered for DuckDB or Spark);
- :func:`estimate_release` gives stewards the k-anonymity before approval;
- :func:`build_release` runs, pseudonymises, checks, measures and writes a release.

Both read the data root's zones through the shared contracts
(:mod:`nightingale.platform.contracts`); the demographics a spec may read come in as a
table that linkage publishes (:func:`demographics_needed_by` says which), because only
linkage opens the sealed identifier zone.

Modules: ``spec`` (the model), ``loading`` (YAML), ``catalogue``, ``schema`` (JSON Schema),
``sqlparts``/``ctes``/``compile`` (SQL), ``engines`` (DuckDB, Spark), ``zones`` (inputs in
the data root), ``run``, ``pseudonyms``, ``kanonymity``, ``build``. Nothing here imports
governance or linkage: the operation :mod:`nightingale.operations.cohorts` asks
governance's policy, fetches the demographics from linkage and records the release.
"""

from nightingale.cohorts.build import (
    Release,
    build_release,
    demographics_needed_by,
    estimate_k_anonymity,
    estimate_release,
)
from nightingale.cohorts.catalogue import Catalogue, default_catalogue
from nightingale.cohorts.compile import CompiledCohort, compile_spec
from nightingale.cohorts.loading import SpecError, load_spec, parse_spec
from nightingale.cohorts.spec import CohortSpec
from nightingale.cohorts.validation import validate_spec

__all__ = [
    "Catalogue",
    "CohortSpec",
    "CompiledCohort",
    "Release",
    "SpecError",
    "build_release",
    "compile_spec",
    "default_catalogue",
    "demographics_needed_by",
    "estimate_k_anonymity",
    "estimate_release",
    "load_spec",
    "parse_spec",
    "validate_spec",
]
