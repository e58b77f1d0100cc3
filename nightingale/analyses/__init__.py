"""Analyses on released data (pandas frames): evaluation methods and economics.

Evaluation methods, one module each (typed functions taking column names, returning an
:class:`~nightingale.analyses.results.AnalysisResult`): ``propensity``, ``matching``,
``weighting``, ``balance``, ``counts``, ``linear``, ``did``, ``mixed``, ``survival``,
``imputation``; the pre-registered plan in ``plan``; named evaluations in
``evaluations`` (the designed-for-health homes pilot). Cost-effectiveness lives in
``economics``. Nothing is re-exported here, so importing a subpackage does not load
statsmodels and matplotlib.
"""
