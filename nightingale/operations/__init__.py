"""Each user-facing operation once, for every edge.

The CLI, the web service, the hub and notebooks do not assemble sessions, keystores,
audit entries and cross-package sequences themselves: they open a unit of work
(:func:`~nightingale.operations.unit.open_unit`) and call one operation here. An
operation is where two domain packages meet (linkage and governance at ingest, cohorts
and governance at build), so the meeting is written once and audited the same way
whoever calls it.
"""
