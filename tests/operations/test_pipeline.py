"""project.yaml: the pipeline a job runs, refused with the file and the field when wrong."""

from __future__ import annotations

import pytest

from nightingale.operations.pipeline import PipelineError, parse_pipeline
from tests.operations.jobs_world import PIPELINE


def test_the_worked_example_parses() -> None:
    pipeline = parse_pipeline(PIPELINE)
    counts = pipeline.action("counts")
    assert counts.needs_release and counts.command == ["python", "analysis/counts.py"]
    assert counts.outputs.by_path() == {
        "output/counts.csv": ("table", "moderately_sensitive"),
        "output/frame.csv": ("frame", "highly_sensitive"),
    }
    assert pipeline.action("summary").needed_actions == ["counts"]
    assert not pipeline.action("summary").needs_release


def action(body: str) -> str:
    return f"version: 1\nactions:\n  a:\n{body}"


OUT = "    outputs: {moderately_sensitive: {t: output/t.csv}}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "must be a mapping"),
        ("version: 2\nactions: {}", "version"),
        (action("    run: python a.py\n    outputs: {}\n"), "at least one output"),
        (action("    run: rm -rf /\n" + OUT), "'python SCRIPT"),
        (action("    run: python a.py\n    needs: [b]\n" + OUT), "needs 'b'"),
        (
            action("    run: python a.py\n    outputs: {moderately_sensitive: {t: ../t}}\n"),
            "relative",
        ),
        (
            action("    run: python a.py\n    outputs: {moderately_sensitive: {t: /etc/x}}\n"),
            "relative",
        ),
        (
            action("    run: python a.py\n    outputs: {moderately_sensitive: {t: release/x}}\n"),
            "read-only",
        ),
        (action("    run: python a.py\n    outputs: {secret: {t: x}}\n"), "secret"),
        (action("    run: python a.py\n    shell: true\n" + OUT), "shell"),
        (
            "version: 1\nactions:\n"
            "  a: {run: python a.py, needs: [b], outputs: {highly_sensitive: {x: x}}}\n"
            "  b: {run: python b.py, needs: [a], outputs: {highly_sensitive: {y: y}}}\n",
            "cycle",
        ),
        (
            "version: 1\nactions:\n"
            "  a: {run: python a.py, outputs: {highly_sensitive: {x: out/x}}}\n"
            "  b: {run: python b.py, outputs: {moderately_sensitive: {y: out/x}}}\n",
            "both a and b",
        ),
    ],
)
def test_a_pipeline_that_cannot_run_is_refused_naming_the_file_and_field(
    text: str, message: str
) -> None:
    with pytest.raises(PipelineError, match="repo/project.yaml") as refused:
        parse_pipeline(text, "repo/project.yaml")
    assert message in str(refused.value)


def test_an_unknown_action_lists_the_known_ones() -> None:
    with pytest.raises(
        PipelineError, match="no action 'nope' \\(actions: counts, probe, summary\\)"
    ):
        parse_pipeline(PIPELINE).action("nope")
