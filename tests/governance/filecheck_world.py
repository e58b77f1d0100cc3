"""Shared material for the file-check tests: a release, files of every family, a PNG writer."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from nightingale.governance.filecheck import ReleaseEvidence

AGE_BANDS = ["16-24", "25-34", "35-44", "45-54", "85+"]


def persons(n: int = 400, seed: int = 7) -> pd.DataFrame:
    """A release's persons frame: 32-hex pids, treatment, sex, an age band (85+ is rare)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "pid": [bytes(rng.integers(0, 256, 16, dtype=np.uint8)).hex() for _ in range(n)],
            "treated": rng.integers(0, 2, n),
            "sex": rng.choice(["F", "M"], n),
            "age_band": rng.choice(AGE_BANDS, n, p=[0.25, 0.25, 0.25, 0.235, 0.015]),
            "cost": rng.gamma(2.0, 50.0, n).round(2),
        }
    )


def panel(people: pd.DataFrame, periods: int = 3) -> pd.DataFrame:
    """One row per person and period."""
    rows = [
        {"pid": pid, "period": period, "admissions": (i + period) % 3}
        for i, pid in enumerate(people["pid"])
        for period in range(periods)
    ]
    return pd.DataFrame(rows)


def release(n: int = 400, seed: int = 7) -> ReleaseEvidence:
    people = persons(n, seed)
    return ReleaseEvidence("r1", people, panel(people))


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def png_bytes(
    text: dict[str, str] | None = None,
    ztext: dict[str, str] | None = None,
    itext: dict[str, str] | None = None,
) -> bytes:
    """A 1x1 grey PNG with the given tEXt, zTXt and iTXt chunks."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    chunks = [_chunk(b"IHDR", header)]
    for key, value in (text or {}).items():
        chunks.append(_chunk(b"tEXt", key.encode() + b"\x00" + value.encode("latin-1")))
    for key, value in (ztext or {}).items():
        chunks.append(_chunk(b"zTXt", key.encode() + b"\x00\x00" + zlib.compress(value.encode())))
    for key, value in (itext or {}).items():
        body = key.encode() + b"\x00\x01\x00" + b"\x00" + b"\x00" + zlib.compress(value.encode())
        chunks.append(_chunk(b"iTXt", body))
    chunks.append(_chunk(b"IDAT", zlib.compress(b"\x00\x80")))
    chunks.append(_chunk(b"IEND", b""))
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)
