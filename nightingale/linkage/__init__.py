"""The secure linkage layer: ingest, separate, normalise, pseudonymise, link, report.

Extracts come in through :mod:`~nightingale.linkage.ingest`, which validates rows
against the provider's schema, quarantines what fails, and splits identifiers (sealed,
into the linkage zone) from content (into the content zone). :mod:`~.link` normalises
identifiers, turns them into keyed tokens (:mod:`~.tokens`, :mod:`~.matchkeys`) and
links them with Splink (:mod:`~.model`, :mod:`~.engine`), writes the spine
(:mod:`~.spine`) and a quality report (:mod:`~.report`). Splink only ever sees
tokens, never cleartext identifiers.

This package depends on :mod:`nightingale.platform` only; ingest and link are
registered and audited together by :mod:`nightingale.operations.linkage`.
"""

from nightingale.linkage.fields import IDENTIFIER_FIELDS

__all__ = ["IDENTIFIER_FIELDS"]
