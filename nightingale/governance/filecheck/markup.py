"""HTML and SVG read for the check: visible text, hidden text, tables, embedded images.

The standard library's tolerant HTML parser reads both (it needs no network, resolves no
entities from outside and cannot be made to expand an XML bomb). What it yields:

- ``texts``: visible text and comments, with their line, for every scanner;
- ``hidden``: attribute values, scripts and styles, with their line, hunted only for exact
  identifier values (patterns would fire on styling);
- ``tables``: every ``<table>`` as a :class:`~.grid.Grid` (first row the header), so a
  notebook's rendered DataFrame gets the table rules (row-level, free text);
- ``images``: lines of embedded images (``data:`` URIs, ``<image>``), which only a person
  can look at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from nightingale.governance.filecheck.grid import Grid

#: Scripts, styles and a figure's creation date (matplotlib writes ``<dc:date>``) are hunted
#: for identifiers only.
_HIDDEN_TAGS = frozenset({"script", "style", "dc:date"})
_GEOMETRY = frozenset({"d", "points", "transform", "viewbox", "style", "class", "fill", "stroke"})


@dataclass
class Markup:
    texts: list[tuple[int, str]] = field(default_factory=list)
    hidden: list[tuple[int, str]] = field(default_factory=list)
    tables: list[Grid] = field(default_factory=list)
    images: list[int] = field(default_factory=list)


@dataclass
class _Table:
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    cell: list[str] | None = None


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = Markup()
        self.hidden_depth = 0
        self.tables: list[_Table] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        if tag in _HIDDEN_TAGS:
            self.hidden_depth += 1
        if tag in {"image", "img"}:
            self.found.images.append(line)
        for name, value in attrs:
            if not value or name in _GEOMETRY:
                continue
            if value.startswith("data:"):
                if tag not in {"image", "img"}:
                    self.found.images.append(line)
            else:
                self.found.hidden.append((line, value))
        if tag == "table":
            self.tables.append(_Table())
        elif self.tables and tag == "tr":
            self.tables[-1].rows.append([])
            self.tables[-1].lines.append(line)
        elif self.tables and tag in {"td", "th"} and self.tables[-1].rows:
            self.tables[-1].cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS and self.hidden_depth:
            self.hidden_depth -= 1
        if not self.tables:
            return
        table = self.tables[-1]
        if tag in {"td", "th"} and table.cell is not None:
            table.rows[-1].append(" ".join("".join(table.cell).split()))
            table.cell = None
        elif tag == "table":
            self.tables.pop()
            rows = [r for r in table.rows if r]
            if rows:
                width = max(len(r) for r in rows)
                header = tuple(h or f"#{j + 1}" for j, h in enumerate(rows[0] + [""] * width))
                self.found.tables.append(
                    Grid(
                        header[:width],
                        tuple(tuple(r) for r in rows[1:]),
                        tuple(line for r, line in zip(table.rows, table.lines, strict=True) if r)[
                            1:
                        ],
                    )
                )

    def handle_data(self, data: str) -> None:
        if not data.strip():
            return
        line = self.getpos()[0]
        if self.hidden_depth:
            self.found.hidden.append((line, data))
        elif self.tables and self.tables[-1].cell is not None:
            self.tables[-1].cell.append(data)
        else:
            self.found.texts.append((line, data))

    def handle_comment(self, data: str) -> None:
        self.found.texts.append((self.getpos()[0], data))


def read_markup(text: str) -> Markup:
    """Read HTML or SVG text (never fails: the parser is tolerant by design)."""
    reader = _Reader()
    reader.feed(text)
    reader.close()
    return reader.found
