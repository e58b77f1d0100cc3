"""Analysis jobs: run a pipeline's action isolated, record its outputs and where they came from.

Real components: an initialised data root with the workspace world's people, projects and
a release, a real git repository, and the real isolated runner (root: new network, mount
and pid namespaces, the person's uid). The adversarial jobs try to reach the network and
to write to the release; both must fail.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from nightingale.governance import audit, jobs
from nightingale.governance.audit_reconcile import differences
from nightingale.governance.errors import InvalidInput, PermissionDenied
from nightingale.governance.models import AuditEntry
from nightingale.hub.jobs import IsolatedRunner
from nightingale.operations import airlock, reports
from nightingale.operations.jobs import JobError, Limits, run_job
from nightingale.platform.errors import NightingaleError
from nightingale.platform.settings import Settings
from nightingale.platform.storage import DataRoot, sha256_file
from tests.operations.jobs_world import PLAN, commit_probe, git, lodge_plan, make_repository
from tests.workspace_world import World, build_world

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true",
    reason="isolated jobs need root (CI runs as root)",
)
pytestmark = needs_root
CHANGED_PLAN = PLAN + "secondary: counts by age band\n"


@pytest.fixture
def world(settings: Settings) -> World:
    return build_world(settings)


@pytest.fixture
def release(world: World) -> str:
    return world.released("dfh-pilot", "rita")


@pytest.fixture
def repo(world: World, tmp_path: Path) -> Path:
    lodge_plan(world)
    return make_repository(tmp_path)


def run(world: World, repo: Path, action: str, *, actor: str = "rita", **kwargs: object) -> int:
    return run_job(
        world.settings,
        actor,
        project="dfh-pilot",
        action=action,
        repository=repo,
        runner=IsolatedRunner(),
        engine=world.engine,
        keystore=world.keystore,
        **kwargs,  # type: ignore[arg-type]
    )


def job_of(world: World, job_id: int) -> dict[str, object]:
    with world.unit("otto") as unit:
        job = jobs.get_job(unit.session, job_id)
        return {
            "status": job.status,
            "reason": job.reason,
            "outputs": {o.path: (o.level, o.sha256) for o in job.outputs},
            "provenance": jobs.job_provenance(job),
            "log": (DataRoot(world.settings.data_root).path / job.location / "job.log").read_text(),
            "location": job.location,
        }


def test_a_job_records_its_outputs_with_their_provenance(
    world: World, release: str, repo: Path
) -> None:
    job_id = run(world, repo, "counts")
    job = job_of(world, job_id)
    assert job["status"] == "succeeded", job["log"]
    folder = world.settings.data_root / str(job["location"])
    outputs = job["outputs"]
    assert isinstance(outputs, dict)
    assert set(outputs) == {"output/counts.csv", "output/frame.csv"}
    assert outputs["output/counts.csv"] == (
        "moderately_sensitive",
        sha256_file(folder / "outputs" / "output" / "counts.csv"),
    )
    assert (folder / "outputs" / "output" / "counts.csv").read_text().startswith("sex,n")
    assert not (folder / "work").exists()  # the scratch (and scratch.txt) is gone
    provenance = job["provenance"]
    assert isinstance(provenance, dict)
    assert provenance["commit"] == git(repo, "rev-parse", "HEAD")
    assert provenance["release_id"] == release
    assert provenance["job_id"] == job_id
    assert provenance["dirty"] is False
    assert len(str(provenance["plan_sha256"])) == 64
    on_disk = json.loads((folder / "provenance.json").read_text())
    assert on_disk["commit"] == provenance["commit"]
    assert on_disk["outputs"]["output/counts.csv"]["level"] == "moderately_sensitive"
    with world.unit("ada") as unit:
        entries = list(unit.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        actions = [e.action for e in entries if e.object_type == "job"]
        assert actions == ["job.running", "job.succeeded"]
        assert differences(unit.session) == []
        assert audit.verify(unit.session, world.keystore).ok


def test_an_action_reads_the_outputs_of_the_actions_it_needs(
    world: World, release: str, repo: Path
) -> None:
    with pytest.raises(InvalidInput, match="needs counts, which has no successful job"):
        run(world, repo, "summary")
    first = run(world, repo, "counts")
    second = run(world, repo, "summary")
    job = job_of(world, second)
    assert job["status"] == "succeeded", job["log"]
    folder = world.settings.data_root / str(job["location"])
    assert (folder / "outputs" / "output" / "summary.txt").read_text() == "2 groups\n"
    provenance = job["provenance"]
    assert isinstance(provenance, dict)
    assert provenance["inputs"] == [first]
    assert provenance["release_id"] is None  # it did not read the release itself


@pytest.fixture
def host_service() -> Iterator[int]:
    """A TCP service on the host's loopback, reachable from the test itself."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = int(server.getsockname()[1])
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
                connection.close()
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass  # reachable from outside the job
    yield port
    stop.set()
    thread.join()
    server.close()


def test_a_job_that_tries_to_reach_the_network_fails(
    world: World, release: str, repo: Path, host_service: int
) -> None:
    commit_probe(
        repo,
        "import pathlib, socket\n"
        f"socket.create_connection(('127.0.0.1', {host_service}), timeout=5)\n"
        "pathlib.Path('output').mkdir()\n"
        "pathlib.Path('output/probe.txt').write_text('reached the host')\n",
    )
    job = job_of(world, run(world, repo, "probe"))
    assert job["status"] == "failed"
    assert "exited with status 1" in str(job["reason"])
    assert "Connection refused" in str(job["log"]) or "unreachable" in str(job["log"])
    assert job["outputs"] == {}


def test_a_job_that_tries_to_write_to_the_release_fails(
    world: World, release: str, repo: Path
) -> None:
    folder = world.settings.data_root / "projects" / "dfh-pilot" / "releases" / release
    before = sha256_file(folder / "persons.parquet")
    commit_probe(
        repo,
        "import pathlib\npathlib.Path('release/persons.parquet').write_bytes(b'overwritten')\n",
    )
    job = job_of(world, run(world, repo, "probe"))
    assert job["status"] == "failed"
    assert "Read-only file system" in str(job["log"])
    assert sha256_file(folder / "persons.parquet") == before


def test_a_job_cannot_read_the_data_root_or_act_as_root(
    world: World, release: str, repo: Path
) -> None:
    keys = str(world.settings.data_root / "keys")
    commit_probe(
        repo,
        "import os, pathlib\n"
        f"keys = {keys!r}\n"
        "pathlib.Path('output').mkdir()\n"
        "seen = [str(os.getuid()), str(os.access(keys, os.R_OK)), *sorted(os.environ)]\n"
        "pathlib.Path('output/probe.txt').write_text(' '.join(seen))\n",
    )
    job = job_of(world, run(world, repo, "probe"))
    assert job["status"] == "succeeded", job["log"]
    text = (
        world.settings.data_root / str(job["location"]) / "outputs" / "output" / "probe.txt"
    ).read_text()
    uid, readable, *_ = text.split(" ", 2)
    assert int(uid) >= 20000 and readable == "False"
    assert "NIGHTINGALE_DATABASE_URL" not in text and "JUPYTERHUB_API_TOKEN" not in text


def test_an_output_that_is_a_link_is_never_followed(world: World, release: str, repo: Path) -> None:
    keys = world.settings.data_root / "keys"
    commit_probe(
        repo,
        "import os, pathlib\n"
        "pathlib.Path('output').mkdir()\n"
        f"os.symlink({str(keys)!r}, 'output/probe.txt')\n",
    )
    job = job_of(world, run(world, repo, "probe"))
    assert job["status"] == "failed"
    assert "output/probe.txt" in str(job["reason"])
    assert job["outputs"] == {}


def test_a_job_is_stopped_at_its_time_limit(world: World, release: str, repo: Path) -> None:
    commit_probe(repo, "import os, time\nif os.fork() == 0:\n    time.sleep(60)\ntime.sleep(60)\n")
    job = job_of(world, run(world, repo, "probe", limits=Limits(seconds=2)))
    assert job["status"] == "failed"
    assert "time limit" in str(job["reason"])


def test_a_dirty_tree_is_refused_unless_allowed(world: World, release: str, repo: Path) -> None:
    (repo / "analysis" / "counts.py").write_text("raise SystemExit(3)\n")
    with pytest.raises(JobError, match="uncommitted changes"):
        run(world, repo, "counts")
    job = job_of(world, run(world, repo, "counts", allow_dirty=True))
    assert job["status"] == "failed" and "status 3" in str(job["reason"])
    provenance = job["provenance"]
    assert isinstance(provenance, dict) and provenance["dirty"] is True


def test_only_project_members_run_its_jobs(world: World, release: str, repo: Path) -> None:
    with pytest.raises(PermissionDenied, match="not a member of project dfh-pilot"):
        run(world, repo, "counts", actor="ray")
    with world.unit("ada") as unit:
        refused = unit.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "job.run.refused")
        ).all()
        assert [e.actor for e in refused] == ["ray"]
        assert jobs.list_jobs(unit.session) == []


def test_job_outputs_go_to_the_airlock_with_their_provenance_to_publication(
    world: World, release: str, repo: Path
) -> None:
    job_id = run(world, repo, "counts")
    with world.unit("rita") as unit, pytest.raises(InvalidInput, match="highly_sensitive"):
        airlock.submit_job_outputs(unit, job_id=job_id, paths=["output/frame.csv"], title="x")
    with world.unit("rita") as unit:
        output = airlock.submit_job_outputs(
            unit, job_id=job_id, paths=["output/counts.csv"], title="Counts by sex"
        )
        output_id = output.id
        assert jobs.provenance_of(unit.session, output_id)["counts.csv"]["job_id"] == job_id
    for checker in ("otto", "owen"):  # two independent output checkers release it
        with world.unit(checker) as unit:
            airlock.decide(unit, output_id, "approve", "counts are safe", override=True)
    with world.unit("eve") as unit:
        result = airlock.publish(unit, title="Counts", output_ids=[output_id], result_id="counts")
        location = result.location
    folder = world.settings.data_root / location
    manifest = json.loads((folder / "manifest.json").read_text())
    stated = manifest["provenance"][f"{output_id}-counts.csv"]
    assert stated["job_id"] == job_id
    assert stated["commit"] == git(repo, "rev-parse", "HEAD")
    assert stated["release_id"] == release
    assert len(stated["plan_sha256"]) == 64
    assert stated["plan"]["status"] == "lodged"
    # The published HTML report carries the same provenance, in its own block per output.
    with world.unit("eve") as unit:
        html = reports.write_report(unit, folder).read_text()
    block = html[html.index(f'id="provenance-{output_id}-counts.csv"') :]
    block = block[: block.index("</section>")]
    for fact in (git(repo, "rev-parse", "HEAD"), release, stated["plan_sha256"]):
        assert fact in block
    assert f"<td>{job_id} (action counts" in block
    assert "dfh-pilot version 1.0.0 (revision 0), lodged with governance" in block
    assert "amended since" not in block
    # Once the plan is amended, the report says the job followed a superseded version.
    lodge_plan(world, CHANGED_PLAN, amend="a secondary outcome")
    with world.unit("eve") as unit:
        html = reports.write_report(unit, folder).read_text()
    assert '<span class="flag">dfh-pilot version 1.0.0 (revision 0)' in html
    assert "amended since: revision 1" in html
    # A manifest whose provenance was edited (another commit claimed) is refused.
    manifest["provenance"][f"{output_id}-counts.csv"]["commit"] = "0" * 40
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with (
        world.unit("eve") as unit,
        pytest.raises(NightingaleError, match="provenance is not what governance recorded"),
    ):
        reports.write_report(unit, folder)


def test_a_file_no_job_produced_is_refused_where_the_deployment_requires_jobs(
    world: World, release: str, repo: Path, tmp_path: Path
) -> None:
    from nightingale.governance.outputs import OutputFileSpec

    scratch = tmp_path / "notebook.csv"
    scratch.write_text("sex,n\nF,100\nM,100\n")
    with world.unit("rita") as unit:  # the default: notebooks' submissions keep working
        airlock.submit(unit, project="dfh-pilot", title="t", files=[OutputFileSpec(scratch)])
    strict = world.settings.model_copy(update={"governance": {"require_job_outputs": True}})
    strict_world = World(strict, world.engine, world.keystore)
    with (
        strict_world.unit("rita") as unit,
        pytest.raises(InvalidInput, match="only the outputs of analysis jobs"),
    ):
        airlock.submit(unit, project="dfh-pilot", title="t", files=[OutputFileSpec(scratch)])
    job_id = run(world, repo, "counts")
    with strict_world.unit("rita") as unit:
        done = airlock.submit_job_outputs(
            unit, job_id=job_id, paths=["output/counts.csv"], title="from a job"
        )
        assert [f.name for f in done.files] == ["counts.csv"]


def test_a_job_output_changed_after_the_job_is_refused(
    world: World, release: str, repo: Path
) -> None:
    job_id = run(world, repo, "counts")
    job = job_of(world, job_id)
    file = world.settings.data_root / str(job["location"]) / "outputs" / "output" / "counts.csv"
    file.chmod(0o640)
    file.write_text("sex,n\nF,1\n")
    with world.unit("rita") as unit, pytest.raises(InvalidInput, match="changed or vanished"):
        airlock.submit_job_outputs(unit, job_id=job_id, paths=["output/counts.csv"], title="x")


def _commit_plan(repo: Path, text: str) -> None:
    (repo / "plans" / "plan.yaml").write_text(text)
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=Rita", "-c", "user.email=r@example.org", "commit", "-qm", "plan")


def test_a_job_whose_plan_is_not_a_lodged_text_is_refused(
    world: World, release: str, repo: Path
) -> None:
    _commit_plan(repo, CHANGED_PLAN)
    with pytest.raises(InvalidInput, match="not a plan lodged for project dfh-pilot"):
        run(world, repo, "counts")
    with world.unit("ada") as unit:
        refused = unit.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "job.run.refused")
        ).all()
        assert [e.actor for e in refused] == ["rita"]
        assert "not a plan lodged" in audit.details_of(refused[0])["reason"]
        assert jobs.list_jobs(unit.session) == []
    # Lodged as an amendment (dated, with its reason), the same commit runs against it.
    lodge_plan(world, CHANGED_PLAN, amend="a secondary outcome")
    job = job_of(world, run(world, repo, "counts"))
    assert job["status"] == "succeeded", job["log"]
    provenance = job["provenance"]
    assert isinstance(provenance, dict)
    assert provenance["plan"]["status"] == "lodged"
    assert provenance["plan"]["revision"] == 1


def test_a_job_against_a_plan_amended_since_says_it_is_superseded(
    world: World, release: str, repo: Path
) -> None:
    lodge_plan(world, CHANGED_PLAN, amend="a secondary outcome")
    job = job_of(world, run(world, repo, "counts"))  # the commit still has revision 0
    assert job["status"] == "succeeded", job["log"]
    provenance = job["provenance"]
    assert isinstance(provenance, dict)
    plan = provenance["plan"]
    assert plan["status"] == "superseded" and plan["revision"] == 0
    assert plan["superseded_by"]["revision"] == 1
    on_disk = json.loads(
        (world.settings.data_root / str(job["location"]) / "provenance.json").read_text()
    )
    assert on_disk["plan"]["status"] == "superseded"
