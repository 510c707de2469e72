"""Results on disk: provenance, refusing to mix sweeps, atomic parts, dedupe."""

from __future__ import annotations

import json

import pytest
import yaml

from experiments import store
from experiments.runner import run_sweep
from experiments.spec import load_spec
from model.validation import InputError

from .conftest import write_spec


def row(point: int, replication: int, session: int = 0, status: str = "ok", y: float = 1.0):
    return {"point": point, "replication": replication, "seed": 1, "x1": 0.5, "x2": 0.5,
            "metrics": {"y": y, "zero_count": 0.0, "cost": 1.0} if status == "ok" else {},
            "status": status, "error": None if status == "ok" else "boom",
            "duration_s": 0.1, "worker": "w", "session": session}


@pytest.fixture
def prepared(tmp_path):
    path = write_spec(tmp_path)
    spec = load_spec(path)
    out = tmp_path / "out"
    manifest, session = store.prepare(out, spec, path, resume=False, force=False)
    return spec, path, out, manifest, session


def test_prepare_records_the_inputs(prepared):
    spec, path, out, manifest, session = prepared
    assert session == 0
    assert (out / store.SPEC_COPY).read_bytes() == path.read_bytes()
    saved = json.loads((out / store.MANIFEST).read_text())
    assert saved["spec_hash"] == spec.spec_hash()
    assert saved["design_size"] == {"points": 20, "replications": 2, "runs": 40}
    assert saved["sampler"] == "latin" and "package_version" in saved
    assert "git_commit" in saved and saved["libraries"]["SALib"]
    assert saved["sessions"][0]["session"] == 0


def test_a_directory_with_runs_is_not_overwritten(prepared):
    spec, path, out, _, _ = prepared
    store.write_part(out, store.part_name(0, 0), [row(0, 0)], spec)
    with pytest.raises(InputError, match="use --resume to complete it"):
        store.prepare(out, spec, path, resume=False, force=False)
    other = load_spec(write_spec(path.parent, name="other", samples=21))
    with pytest.raises(InputError, match="different spec"):
        store.prepare(out, other, path, resume=False, force=False)


def test_force_clears_what_sweeps_wrote(prepared):
    spec, path, out, _, _ = prepared
    store.write_part(out, store.part_name(0, 0), [row(0, 0)], spec)
    (out / store.ANALYSIS_DIR).mkdir()
    (out / store.ANALYSIS_DIR / "sobol.csv").write_text("a,b\n")
    store.record_written(out, [out / store.ANALYSIS_DIR / "sobol.csv"])
    store.prepare(out, spec, path, resume=False, force=True)
    assert not store.has_runs(out) and not (out / store.ANALYSIS_DIR).exists()
    assert store.read_manifest(out)["sessions"][0]["session"] == 0  # a new sweep


@pytest.mark.parametrize("foreign", ["notes.txt", "runs/mine.parquet", "analysis/own.csv"])
def test_force_refuses_a_folder_with_foreign_files_and_deletes_nothing(prepared, foreign):
    spec, path, out, _, _ = prepared
    part = store.write_part(out, store.part_name(0, 0), [row(0, 0)], spec)
    (out / foreign).parent.mkdir(exist_ok=True)
    (out / foreign).write_text("mine")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    with pytest.raises(InputError, match=f"--force refused: 1 file.*{foreign}"):
        store.prepare(out, spec, path, resume=False, force=True)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert part.exists() and (out / foreign).read_text() == "mine"


def test_force_refuses_a_folder_that_is_not_a_store(tmp_path):
    path = write_spec(tmp_path)
    mine = tmp_path / "mine"
    (mine / "runs").mkdir(parents=True)
    (mine / "runs" / "part-s000-b0000000.parquet").write_text("not a sweep's")
    (mine / "report.md").write_text("my report")
    with pytest.raises(InputError, match="--force refused"):
        store.prepare(mine, load_spec(path), path, resume=False, force=True)
    assert (mine / "report.md").read_text() == "my report"


def test_resume_refuses_a_changed_spec(prepared):
    spec, path, out, _, _ = prepared
    data = yaml.safe_load(path.read_text())
    data["samples"], data["seed"] = 25, 12
    changed = path.with_name("changed.yaml")
    changed.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError) as info:
        store.prepare(out, load_spec(changed), changed, resume=True, force=False)
    message = str(info.value)
    assert "cannot resume: the spec has changed" in message and "samples, seed" in message


def test_resume_of_a_missing_sweep_says_so(tmp_path):
    path = write_spec(tmp_path)
    with pytest.raises(InputError, match="not a sweep directory"):
        store.prepare(tmp_path / "nothing", load_spec(path), path, resume=True, force=False)


def test_resume_opens_a_new_session_and_clears_temp_files(prepared):
    spec, path, out, _, _ = prepared
    stale = out / store.RUNS_DIR / ".part-s000-b0000001.parquet.tmp-123"
    stale.write_bytes(b"half a file")
    manifest, session = store.prepare(out, spec, path, resume=True, force=False)
    assert session == 1 and len(manifest["sessions"]) == 2 and not stale.exists()


def test_parts_are_typed_and_atomic(prepared):
    spec, _, out, _, _ = prepared
    final = store.write_part(out, store.part_name(0, 3), [row(0, 0), row(1, 0, status="failed")],
                             spec)
    assert final.name == "part-s000-b0000003.parquet"
    assert [p.name for p in (out / store.RUNS_DIR).iterdir()] == [final.name]
    table = store.load_runs(out).table
    assert str(table["y"].dtype) == "float64" and table.loc[1, "y"] != table.loc[1, "y"]
    assert table["status"].tolist() == ["ok", "failed"]


def test_load_runs_counts_duplicates_and_superseded_rows(prepared):
    spec, _, out, _, _ = prepared
    store.write_part(out, store.part_name(0, 0), [row(0, 0), row(1, 0, status="failed")], spec)
    store.write_part(out, store.part_name(0, 1), [row(0, 0, y=2.0)], spec)  # same session
    store.write_part(out, store.part_name(1, 0), [row(1, 0, session=1)], spec)  # a retry
    runs = store.load_runs(out)
    assert len(runs.table) == 2 and runs.duplicates == 1 and runs.superseded == 1
    assert runs.table["status"].tolist() == ["ok", "ok"]


def test_done_pairs_with_and_without_failures(prepared):
    spec, _, out, _, _ = prepared
    store.write_part(out, store.part_name(0, 0), [row(0, 0), row(1, 1, status="failed")], spec)
    assert store.done_pairs(out) == {(0, 0), (1, 1)}
    assert store.done_pairs(out, include_failed=False) == {(0, 0)}


def test_sessions_are_closed_with_their_tallies(tmp_path):
    path = write_spec(tmp_path)
    run_sweep(load_spec(path), path, tmp_path / "out", progress=False)
    session = store.read_manifest(tmp_path / "out")["sessions"][0]
    assert session["ok"] == 40 and session["failed"] == 0 and not session["interrupted"]
    assert session["finished"] >= session["started"]
