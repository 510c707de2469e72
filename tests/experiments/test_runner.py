"""Running designs: seeds, batches, failures as data, serial against Dask."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments import runner, store
from experiments.cluster import open_client
from experiments.runner import ModelCall, choose_batch_size, run_batch, run_seed, run_sweep
from experiments.spec import load_spec

from .conftest import write_spec

#: Columns that must agree between any two executions of the same spec.
RESULT_COLUMNS = ["point", "replication", "seed", "x1", "x2", "y", "zero_count", "cost", "status"]


def results(out_dir) -> pd.DataFrame:
    return store.load_runs(out_dir).table[RESULT_COLUMNS]


def test_seed_depends_only_on_spec_point_and_replication():
    seeds = {(p, r): run_seed(42, p, r) for p in range(50) for r in range(4)}
    again = {(p, r): run_seed(42, p, r) for r in reversed(range(4)) for p in reversed(range(50))}
    assert seeds == again
    assert len(set(seeds.values())) == len(seeds)
    assert all(0 <= s < 2**63 for s in seeds.values())
    assert run_seed(43, 0, 0) != run_seed(42, 0, 0)


def test_common_random_numbers_share_seeds_across_points():
    assert run_seed(42, 0, 1, common=True) == run_seed(42, 9, 1, common=True)
    assert run_seed(42, 0, 1, common=True) != run_seed(42, 0, 2, common=True)


def test_failures_become_rows():
    call = ModelCall("experiments.testfunctions:fails_where", ("y",))
    rows = run_batch(call, [(0, 0, 1, {"x1": 0.5, "x2": 0.1}), (1, 0, 2, {"x1": 0.9, "x2": 0.1})])
    assert [r["status"] for r in rows] == ["ok", "failed"]
    assert rows[0]["metrics"] == {"y": pytest.approx(0.6)} and rows[0]["error"] is None
    assert rows[1]["error"].startswith("ValueError: x1 = 0.9000 is above 0.8")
    assert "testfunctions.py" in rows[1]["error"] and rows[1]["metrics"] == {}
    assert all(r["duration_s"] >= 0 for r in rows)


@pytest.mark.parametrize("model, message", [
    ("tests.experiments.toy_models:returns_list", "not a mapping"),
    ("tests.experiments.toy_models:returns_too_little", "model returned no ['y']"),
])
def test_bad_return_values_fail_the_run(model, message):
    row = run_batch(ModelCall(model, ("y",)), [(0, 0, 1, {"x1": 1.0})])[0]
    assert row["status"] == "failed" and message in row["error"]


def test_only_accepted_run_arguments_are_passed():
    call = ModelCall("tests.experiments.toy_models:no_seed", ("y",), (("months", 3),))
    row = run_batch(call, [(0, 0, 7, {"x1": 1.0})])[0]
    assert row["status"] == "ok" and row["metrics"]["extra_arguments"] == 0


def test_scenario_is_loaded_once_per_process(tmp_path):
    from tests.experiments import toy_models

    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("a: 1\n")
    call = ModelCall("tests.experiments.toy_models:with_scenario", ("y",),
                     (("scenario", str(scenario)),))
    before = len(toy_models.LOADS)
    rows = run_batch(call, [(p, 0, p, {"x1": 0.1 * p}) for p in range(5)])
    rows += run_batch(call, [(5, 0, 5, {"x1": 0.5})])
    assert all(r["metrics"]["preloaded"] == 1.0 for r in rows)
    assert len(toy_models.LOADS) - before == 1
    scenario.write_text("a: 2\n")  # an edited file is loaded again
    run_batch(call, [(6, 0, 6, {"x1": 0.6})])
    assert len(toy_models.LOADS) - before == 2


def test_a_model_workers_cannot_import_aborts(tmp_path):
    spec = load_spec(write_spec(tmp_path)).model_copy(update={"model": "experiments.gone:run"})
    with pytest.raises(runner.ModelUnavailable, match="cannot import model"):
        run_sweep(spec, write_spec(tmp_path), tmp_path / "out", progress=False)


def test_batch_size_follows_run_time_and_balance():
    assert choose_batch_size(0.001, 100_000, 2) == runner.MAX_BATCH_SIZE
    assert choose_batch_size(0.01, 100_000, 2) == 100       # one second per task
    assert choose_batch_size(0.001, 80, 2) == 10            # at least 4 tasks per worker
    assert choose_batch_size(5.0, 1000, 2) == 1


def test_serial_sweep_writes_every_run(tmp_path):
    path = write_spec(tmp_path)
    spec = load_spec(path)
    result = run_sweep(spec, path, tmp_path / "out", progress=False)
    runs = store.load_runs(tmp_path / "out")
    assert result.ok == len(runs.table) == 40 and result.failed == 0
    assert runs.duplicates == 0
    assert (runs.table["seed"] == [run_seed(11, p, r) for p, r in
                                   zip(runs.table["point"], runs.table["replication"])]).all()
    # replications of a point differ (the model uses its seed); points' inputs are recorded
    first = runs.table[runs.table["point"] == 0]
    assert first["y"].nunique() == 2 and first["x1"].nunique() == 1


def test_failed_runs_are_recorded_and_the_sweep_goes_on(tmp_path):
    path = write_spec(tmp_path, model="experiments.testfunctions:fails_where", outcomes=["y"],
                      analysis={})
    result = run_sweep(load_spec(path), path, tmp_path / "out", progress=False, batch_size=3)
    table = store.load_runs(tmp_path / "out").table
    failed = table[table["status"] == "failed"]
    assert result.failed == len(failed) > 0 and result.ok + result.failed == 40
    assert (failed["x1"] > 0.8).all() and failed["y"].isna().all()
    assert failed["error"].str.contains("deliberate failure").all()


def test_local_dask_equals_serial_row_for_row(tmp_path):
    path = write_spec(tmp_path, samples=30)
    spec = load_spec(path)
    run_sweep(spec, path, tmp_path / "serial", progress=False)
    with open_client(workers=2) as (client, where):
        result = run_sweep(spec, path, tmp_path / "dask", client=client, where=where,
                           progress=False, batch_size=7)
        # everything listens on the loopback interface only
        assert client.scheduler_info()["address"].startswith("tcp://127.0.0.1:")
        http = client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.http_server.address)
        assert http == "127.0.0.1"
    assert result.ok == 60 and "2 worker processes" in where
    pd.testing.assert_frame_equal(results(tmp_path / "serial"), results(tmp_path / "dask"))
    workers = store.load_runs(tmp_path / "dask").table["worker"].unique()
    assert all(w.startswith("tcp://127.0.0.1:") for w in workers)


def test_resume_runs_only_what_is_missing(tmp_path):
    path = write_spec(tmp_path)
    spec = load_spec(path)
    out = tmp_path / "out"
    run_sweep(spec, path, out, progress=False, batch_size=8)
    parts = sorted((out / store.RUNS_DIR).glob(store.PART_GLOB))
    for part in parts[1::2]:
        part.unlink()  # as if the driver died before writing these
    missing = 40 - len(store.done_pairs(out))
    result = run_sweep(spec, path, out, progress=False, resume=True)
    assert result.submitted == missing > 0 and result.session == 1
    reference = tmp_path / "reference"
    run_sweep(spec, path, reference, progress=False)
    pd.testing.assert_frame_equal(results(out), results(reference))
    assert store.load_runs(out).duplicates == 0


def test_retry_failed_replaces_failed_rows(tmp_path):
    path = write_spec(tmp_path, model="experiments.testfunctions:fails_where", outcomes=["y"],
                      analysis={})
    spec = load_spec(path)
    out = tmp_path / "out"
    first = run_sweep(spec, path, out, progress=False)
    again = run_sweep(spec, path, out, progress=False, resume=True, retry_failed=True)
    assert again.submitted == first.failed  # only the failed runs, which fail again
    runs = store.load_runs(out)
    assert runs.superseded == first.failed and runs.duplicates == 0
    assert len(runs.table) == 40 and np.all(runs.failed["session"] == 1)


def test_batches_shrink_towards_the_end():
    items = [(p, 0, p, {}) for p in range(1000)]
    sizes = [len(c) for c in runner._chunks(items, 50, workers=2)]
    assert sum(sizes) == 1000 and max(sizes) == 50
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] == 1
    assert [len(c) for c in runner._chunks(items[:10], 4)] == [4, 3, 2, 1]
