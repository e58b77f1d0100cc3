"""Codelists: the OpenCodelists CSV files a cohort spec names to define coded outcomes.

A codelist is a CSV file with a header and a column of codes (``code`` unless the spec
names another, as OpenCodelists' downloads sometimes do) and any other columns
(descriptions) beside it. A spec names the file relative to itself; a spec that is only
text (a web form, a stored request) finds it in the shipped examples folder
(``nightingale/cohorts/examples``), and nowhere else, so a spec typed into a web form
cannot read files elsewhere on the server.

A codelist's *version hash* is the SHA-256 of its text (UTF-8, byte-order mark removed,
line endings ``\\n``): what the compiled SQL shows, the release manifest records and the
spec carries when the codelist is embedded in it
(:func:`nightingale.cohorts.loading.embed_codelists`), so that an approved spec covers the
codes it was approved with.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from nightingale.cohorts.codesystems import CodeProblem, CodingSystem, check_code, normalise
from nightingale.platform.errors import NightingaleError

#: Where a text-only spec's codelists are found (the shipped examples and their codelists).
EXAMPLES = Path(str(resources.files("nightingale.cohorts").joinpath("examples")))


class CodelistError(NightingaleError):
    """A codelist that cannot be read: missing, not UTF-8 CSV, no code column, no codes."""


@dataclass(frozen=True)
class Entry:
    """One code of a codelist, as written and normalised, with its line in the file."""

    line: int
    code: str
    normalised: str


@dataclass(frozen=True)
class Codelist:
    """A parsed codelist: its name (from the file name), file, version hash and codes."""

    name: str
    file: str
    sha256: str
    entries: tuple[Entry, ...]

    @property
    def codes(self) -> list[str]:
        """The distinct normalised codes, sorted (what the SQL matches)."""
        return sorted({entry.normalised for entry in self.entries})

    def problems(self, system: CodingSystem) -> list[tuple[Entry, CodeProblem]]:
        """Each entry that is malformed or unknown in ``system``, in file order."""
        found = [(entry, check_code(entry.code, system)) for entry in self.entries]
        return [(entry, problem) for entry, problem in found if problem is not None]

    def malformed(self, system: CodingSystem) -> list[str]:
        """``file:line: message`` for each malformed code (a spec using it is refused)."""
        return [
            f"{self.file}:{entry.line}: {problem.message}"
            for entry, problem in self.problems(system)
            if problem.kind == "malformed"
        ]


def codelist_name(file: str) -> str:
    """A codelist's name: its file name without ``.csv``, as a SQL-friendly word."""
    stem = Path(file).name.removesuffix(".csv")
    return re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_") or "codelist"


def text_sha256(text: str) -> str:
    """The version hash of a codelist's (normalised) text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decode(raw: bytes, file: str) -> str:
    """A codelist file's bytes as normalised text (what is hashed and embedded)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CodelistError(f"{file}: a codelist is UTF-8 text ({exc.reason})") from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def find_codelist(file: str, folder: Path | None) -> Path:
    """The path of codelist ``file``: beside the spec (``folder``), else the shipped examples.

    Only the spec's own folder may reach outside the examples: a text-only spec naming
    ``../something.csv`` is refused.
    """
    tried: list[Path] = []
    if folder is not None:
        beside = folder / file
        if beside.is_file():
            return beside
        tried.append(beside)
    shipped = (EXAMPLES / file).resolve()
    if shipped.is_relative_to(EXAMPLES.resolve()) and shipped.is_file():
        return shipped
    tried.append(EXAMPLES / file)
    looked = ", ".join(str(path) for path in tried)
    raise CodelistError(f"codelist {file} not found (looked for {looked})")


def read_codelist_text(file: str, folder: Path | None) -> str:
    """The normalised text of codelist ``file`` (see :func:`find_codelist`)."""
    path = find_codelist(file, folder)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CodelistError(f"{path}: cannot read the codelist ({exc.strerror})") from exc
    return decode(raw, file)


def parse_codelist(text: str, file: str, code_column: str = "code") -> Codelist:
    """Read codelist ``text`` (named ``file`` in messages); :class:`CodelistError` naming
    the file and line when it has no ``code_column``, a row without a code, or no codes."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise CodelistError(f"{file}:1: not CSV ({exc})") from exc
    if not header:
        raise CodelistError(f"{file}:1: empty; a codelist has a header and a row per code")
    names = [name.strip() for name in header]
    if code_column not in names:
        raise CodelistError(
            f"{file}:1: no column {code_column!r} (it has: {', '.join(names)}); name the "
            "column of codes with code_column in the spec, or --column"
        )
    position = names.index(code_column)
    entries: list[Entry] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            code = row[position].strip() if position < len(row) else ""
            if not code:
                raise CodelistError(f"{file}:{reader.line_num}: no code in column {code_column!r}")
            entries.append(Entry(reader.line_num, code, normalise(code)))
    except csv.Error as exc:
        raise CodelistError(f"{file}:{reader.line_num}: not CSV ({exc})") from exc
    if not entries:
        raise CodelistError(f"{file}: no codes (a codelist needs at least one)")
    return Codelist(codelist_name(file), file, text_sha256(text), tuple(entries))
