"""The governance web service: pages for stewards, checkers, evaluators and researchers,
and a JSON API for the workspace client, run as a JupyterHub-managed service.

It is an edge (like the CLI): thin over :mod:`nightingale.governance` and
:mod:`nightingale.cohorts`, asking :mod:`nightingale.governance.policy` for every
permission decision. Identity always comes from the hub (:mod:`.auth`).
"""
