"""The notebook client, for researchers: ``from nightingale import workspace as ws``.

The functions live in :mod:`nightingale.workspace.client`; they are re-exported here so
a notebook needs one import.
"""

from nightingale.workspace.client import Release, load, releases, show, submit, table

__all__ = ["Release", "load", "releases", "show", "submit", "table"]
