"""Nightingale: a prevention research data platform (a Trusted Research Environment).

Housing, employment and health extracts about the same people are pseudonymised and
linked into research cohorts; researchers analyse them in hosted notebooks; data
stewards approve every linkage request and every output; evaluators publish
cost-effectiveness results.

Sub-packages, with dependencies pointing one way:
``platform`` <- ``linkage``, ``governance``, ``cohorts`` <- ``analyses``.
The CLI (``nightingale.cli``) sits at the edge and may import everything.
"""

__version__ = "0.1.0"
