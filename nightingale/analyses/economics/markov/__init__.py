"""Cohort state-transition (Markov) models: declared in YAML or built in Python.

- :mod:`.model` — the vectorised engine (arrays in, discounted totals out);
- :mod:`.corrections` — within-cycle corrections, each stated explicitly;
- :mod:`.expressions` — the safe arithmetic used in model files;
- :mod:`.distributions` — PSA distributions (beta, gamma, lognormal, Dirichlet, ...);
- :mod:`.spec` — the YAML model file and its validation;
- :mod:`.run` — base case, PSA (CEAC, EVPI) and the JSON that ``nightingale model run``
  prints.
"""
