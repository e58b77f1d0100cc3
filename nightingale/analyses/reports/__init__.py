"""Publishable reports: an approved results bundle rendered as one standalone HTML page.

:mod:`.render` turns a list of airlock-approved files (tables, figures, the CHEERS
items) into HTML with the figures embedded as base64 PNG and every table labelled with
its SDC outcome. It never decides what is approved: the caller (``nightingale report``)
verifies each file against the governance record and passes only approved ones in.
"""
