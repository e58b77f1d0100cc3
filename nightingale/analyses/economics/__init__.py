"""Health economics: costs, QALYs, cost-effectiveness with uncertainty, long-term models.

Modules, one idea each:

- :mod:`.unit_costs` — versioned unit-cost table (price year, source) and inflation
  re-basing; :mod:`.intervention_costs` — annuitised capital plus running costs.
- :mod:`.eq5d` — UK EQ-5D-3L tariff (Dolan 1997) and the configurable 5L step;
  :mod:`.qalys` — area under the utility curve; :mod:`.discounting`.
- :mod:`.incremental` — ICERs, INMB and dominance (dampack's algorithm), with the
  reference-minus-comparator sign convention; :mod:`.ceac` — CEAC, EIB, EVPI.
- :mod:`.sur` — seemingly unrelated regression for incremental costs and QALYs;
  :mod:`.bootstrap` — paired, seeded, vectorised bootstrap; :mod:`.imputed` — multiple
  imputation pooled by Rubin's rules; :mod:`.within_study` — the trial-based analysis.
- :mod:`.pilot` — the homes pilot's release to per-person costs and QALYs;
  :mod:`.evaluation` — its economic evaluation as a results bundle; :mod:`.plots` — CE
  plane and CEAC; :mod:`.cheers` — the CHEERS 2022 checklist.
- :mod:`.markov` — cohort state-transition models declared in YAML, with PSA and EVPI.

Everything here works on pandas frames, arrays and model files; nothing reaches into
governance or linkage.
"""
