"""Notebook templates researchers copy into their workspace (``dfh_pilot.ipynb``)."""
