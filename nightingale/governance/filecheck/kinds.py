"""Which family a submitted file belongs to, decided by its suffix *and* its content.

The suffix names a family (table, figure, model, summary, notebook); the first bytes must
agree. A ZIP renamed ``.csv`` is still an archive, a PNG must start with the PNG signature,
a Parquet file with ``PAR1``, and a text file must decode as UTF-8 without NUL bytes.
Everything outside the list (archives, pickles, spreadsheets, R data, Feather, executables,
unknown suffixes) is refused with a message naming the allowed types.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nightingale.governance.filecheck.verdict import Finding

TABLE_SUFFIXES = (".csv", ".tsv", ".parquet")
FIGURE_SUFFIXES = (".png", ".svg")
SUMMARY_SUFFIXES = (".txt", ".md", ".html")
MODEL_SUFFIXES = (".json", ".csv", ".tsv", ".txt")
NOTEBOOK_SUFFIXES = (".ipynb",)
TEXT_SUFFIXES = frozenset({".csv", ".tsv", ".svg", ".txt", ".md", ".html", ".json", ".ipynb"})
ALLOWED_SUFFIXES = frozenset(
    TABLE_SUFFIXES + FIGURE_SUFFIXES + SUMMARY_SUFFIXES + MODEL_SUFFIXES + NOTEBOOK_SUFFIXES
)
ALLOWED_TYPES = (
    "tables .csv .tsv .parquet; figures .png .svg (each with its data file: the same name "
    "with a table suffix); model outputs (regression tables) .json .csv .tsv .txt; "
    "summaries .txt .md .html; notebooks .ipynb (checked and released as rendered HTML)"
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PARQUET_MAGIC = b"PAR1"

#: Leading bytes of formats that must never leave, with what to call them.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (or a ZIP-based file such as .xlsx or .docx)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x28\xb5\x2f\xfd", "a zstandard archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an OLE2 file (.xls, .doc)"),
    (b"ARROW1", "an Arrow/Feather file"),
    (b"\x89HDF", "an HDF5 file"),
    (b"SQLite format 3\x00", "a SQLite database"),
    (b"RDX", "an R data file"),
    (b"\x7fELF", "an executable (ELF)"),
    (b"MZ", "an executable (Windows)"),
    (b"\xca\xfe\xba\xbe", "an executable or Java class"),
    (b"\xcf\xfa\xed\xfe", "an executable (Mach-O)"),
    (b"%PDF", "a PDF"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (PNG_SIGNATURE, "a PNG image"),
    (PARQUET_MAGIC, "a Parquet file"),
)
PICKLE_PROTOCOLS = frozenset(range(2, 6))
SNIFF_BYTES = 512

REFUSED_SUFFIXES: dict[str, str] = {
    ".zip": "an archive",
    ".tar": "an archive",
    ".gz": "an archive",
    ".tgz": "an archive",
    ".bz2": "an archive",
    ".xz": "an archive",
    ".7z": "an archive",
    ".rar": "an archive",
    ".pkl": "a pickle",
    ".pickle": "a pickle",
    ".joblib": "a pickle",
    ".xlsx": "a spreadsheet",
    ".xls": "a spreadsheet",
    ".rds": "an R data file",
    ".rdata": "an R data file",
    ".feather": "a Feather file",
    ".arrow": "an Arrow file",
    ".exe": "an executable",
    ".so": "an executable",
    ".sh": "a script",
    ".py": "a script",
}


@dataclass(frozen=True)
class Sniffed:
    """What the first bytes of a file say it is (``None``: nothing recognised)."""

    binary_format: str | None
    looks_like_text: bool


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is still text
        return exc.start >= len(head) - 3
    return True


def sniff(head: bytes) -> Sniffed:
    """Recognise a format from a file's first bytes.

    A magic number made of printable letters (``MZ``, ``BZh``, ``%PDF``) counts only when
    the bytes are not text, so a CSV whose header starts with ``MZ`` is still a CSV.
    """
    text = _is_text(head)
    for magic, name in MAGIC:
        if head.startswith(magic) and not (text and magic.isascii() and magic.isalnum()):
            return Sniffed(name, False)
    if len(head) >= 2 and head[0] == 0x80 and head[1] in PICKLE_PROTOCOLS:
        return Sniffed("a Python pickle", False)
    if len(head) > 262 and head[257:262] == b"ustar":
        return Sniffed("a tar archive", False)
    return Sniffed(None, text)


def refuse_type(path: Path) -> Finding | None:
    """A block finding if the file's suffix or content is outside the allowed types."""
    suffix = path.suffix.lower()
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    sniffed = sniff(head)
    if suffix not in ALLOWED_SUFFIXES:
        what = REFUSED_SUFFIXES.get(suffix) or sniffed.binary_format or "this type"
        return Finding(
            "file-type",
            "file",
            f"{what} ({suffix or 'no suffix'}) may not leave; allowed: {ALLOWED_TYPES}",
        )
    if suffix == ".png":
        if not head.startswith(PNG_SIGNATURE):
            return Finding("disguised-file", "file", "a .png file without the PNG signature")
        return None
    if suffix == ".parquet":
        if not head.startswith(PARQUET_MAGIC):
            actual = sniffed.binary_format or "not Parquet"
            return Finding("disguised-file", "file", f"a .parquet file that is {actual}")
        return None
    if sniffed.binary_format is not None:
        return Finding(
            "disguised-file",
            "file",
            f"{sniffed.binary_format} renamed {suffix}; allowed: {ALLOWED_TYPES}",
        )
    if not sniffed.looks_like_text:
        return Finding(
            "disguised-file", "file", f"a {suffix} file with binary content (not UTF-8 text)"
        )
    return None
