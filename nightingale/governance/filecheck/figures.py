"""Figures: PNG and SVG, each with the data file it was drawn from.

A figure leaves only with its data: a table file of the same name (``plot.png`` with
``plot.csv``, ``plot.tsv`` or ``plot.parquet``) in the same request, which gets every table
rule. The figure itself is read for what text it carries: a PNG's text chunks (``tEXt``,
``zTXt``, ``iTXt``: software writes titles and comments there, and anyone can hide a list of
pseudonyms there) and an SVG's text, attributes and comments. What is drawn in pixels is
for the checker's eyes.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from nightingale.governance.filecheck.kinds import PNG_SIGNATURE, TABLE_SUFFIXES
from nightingale.governance.filecheck.verdict import BLOCK, REVIEW, Finding

TEXT_CHUNKS = frozenset({b"tEXt", b"zTXt", b"iTXt"})
MAX_TEXT_CHUNK = 1 << 20  # never inflate more than 1 MiB of one chunk's text


def data_file_of(figure: Path, companions: Sequence[Path]) -> Path | None:
    """The table file submitted with ``figure`` (same stem, a table suffix), if any."""
    for other in companions:
        if other.stem == figure.stem and other.suffix.lower() in TABLE_SUFFIXES:
            return other
    return None


def require_data_file(figure: Path, companions: Sequence[Path]) -> Iterator[Finding]:
    if data_file_of(figure, companions) is None:
        stems = " or ".join(f"{figure.stem}{s}" for s in TABLE_SUFFIXES)
        yield Finding(
            "figure-without-data",
            "file",
            f"figure without its data file: submit {stems} with it",
            BLOCK,
        )


def _inflate(data: bytes) -> str:
    inflater = zlib.decompressobj()
    text = inflater.decompress(data, MAX_TEXT_CHUNK)
    return text.decode("latin-1")


def png_text_chunks(data: bytes) -> list[tuple[str, str]]:
    """``(keyword, text)`` of every text chunk in a PNG (its signature already checked)."""
    found = []
    offset = len(PNG_SIGNATURE)
    while offset + 8 <= len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IEND":
            break
        if kind not in TEXT_CHUNKS:
            continue
        keyword, _, rest = body.partition(b"\x00")
        name = keyword.decode("latin-1")
        try:
            if kind == b"tEXt":
                text = rest.decode("latin-1")
            elif kind == b"zTXt":
                text = _inflate(rest[1:])
            else:
                compressed, _method = rest[0], rest[1]
                _lang, _, rest = rest[2:].partition(b"\x00")
                _translated, _, payload = rest.partition(b"\x00")
                text = _inflate(payload) if compressed else payload.decode("utf-8", "replace")
        except (zlib.error, IndexError):
            text = rest.decode("latin-1")
        found.append((name, text))
    return found


def png_trailing_data(data: bytes) -> Finding | None:
    """Bytes after the PNG's end (a file appended to an image) are refused."""
    end = data.rfind(b"IEND")
    if end != -1 and len(data) > end + 8:
        return Finding(
            "hidden-data",
            "file",
            f"{len(data) - end - 8} bytes after the image's end",
            BLOCK,
        )
    return None


def figure_review() -> Finding:
    return Finding(
        "figure",
        "file",
        "what a figure draws (points, labels, small groups) is for the checker's eyes",
        REVIEW,
    )
