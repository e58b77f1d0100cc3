"""A project repository for the job tests: a git repository with a ``project.yaml``.

Its ``counts`` action names ``plans/plan.yaml``, whose text is :data:`PLAN`: a job of it
starts only once the project has lodged that text (:func:`lodge_plan`).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.workspace_world import World

PIPELINE = """\
version: 1
actions:
  counts:
    run: python analysis/counts.py
    needs: [release]
    plan: plans/plan.yaml
    outputs:
      moderately_sensitive:
        table: output/counts.csv
      highly_sensitive:
        frame: output/frame.csv
  summary:
    run: python analysis/summary.py
    needs: [counts]
    outputs:
      moderately_sensitive:
        summary: output/summary.txt
  probe:
    run: python analysis/probe.py
    needs: [release]
    outputs:
      moderately_sensitive:
        result: output/probe.txt
"""

COUNTS = """\
import pathlib
import pyarrow.parquet as pq

persons = pq.read_table("release/persons.parquet").to_pandas()
out = pathlib.Path("output")
out.mkdir(exist_ok=True)
persons.groupby("sex").size().rename("n").to_csv(out / "counts.csv")
persons[["sex", "treated"]].to_csv(out / "frame.csv", index=False)
pathlib.Path("scratch.txt").write_text("not an output")
"""

PLAN = "plan: dfh-pilot\nprimary: counts by sex\n"

SUMMARY = """\
import pathlib

rows = pathlib.Path("output/counts.csv").read_text().splitlines()
pathlib.Path("output/summary.txt").write_text(f"{len(rows) - 1} groups\\n")
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", f"safe.directory={repo}", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def make_repository(root: Path, probe: str = "print('nothing to probe')\n") -> Path:
    """A committed repository whose ``probe`` action runs ``probe`` (the adversarial part)."""
    repo = root / "analysis-repo"
    (repo / "analysis").mkdir(parents=True)
    (repo / "plans").mkdir()
    (repo / "project.yaml").write_text(PIPELINE)
    (repo / "analysis" / "counts.py").write_text(COUNTS)
    (repo / "analysis" / "summary.py").write_text(SUMMARY)
    (repo / "analysis" / "probe.py").write_text(probe)
    (repo / "plans" / "plan.yaml").write_text(PLAN)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(
        repo,
        "-c",
        "user.name=Rita",
        "-c",
        "user.email=rita@example.org",
        "commit",
        "-qm",
        "the analysis",
    )
    return repo


def commit_probe(repo: Path, probe: str) -> str:
    """Replace the probe script, commit it, and return the new commit."""
    (repo / "analysis" / "probe.py").write_text(probe)
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=Rita", "-c", "user.email=r@example.org", "commit", "-qm", "probe")
    return git(repo, "rev-parse", "HEAD")


def lodge_plan(world: World, text: str = PLAN, *, amend: str | None = None) -> None:
    """Rita, the PI of dfh-pilot, lodges ``text`` as its plan (or amends it, saying why)."""
    from nightingale.governance import plans
    from nightingale.platform.database import session_scope

    with session_scope(world.engine) as session:
        common = {"by": "rita", "project": "dfh-pilot", "plan_name": "dfh-pilot", "text": text}
        if amend is None:
            plans.lodge_plan(session, world.keystore, plan_version="1.0.0", **common)
        else:
            plans.amend_plan(session, world.keystore, plan_version="1.0.1", reason=amend, **common)
