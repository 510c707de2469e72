"""Real clusters and faults: a scheduler and workers as separate processes on
127.0.0.1, ``kill -9`` of a worker and of the driver mid-sweep, failing runs.

Every process a test starts runs in its own session and is killed at teardown
(the ``processes`` fixture); ports are free ports on 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import subprocess

import pandas as pd
import pytest

from experiments import store
from experiments.cluster import open_client
from experiments.report import analyze_dir
from experiments.runner import run_sweep
from experiments.spec import load_spec

from .conftest import VENV_BIN, cli, free_port, subprocess_env, wait_for, write_spec

CLUSTER_START_S = 60
SWEEP_TIMEOUT_S = 300
#: The rows of two executions must agree on these (not on worker, timing, session).
SAME = ["point", "replication", "seed", "x1", "x2", "y", "status", "error"]
#: Parts written before a kill: enough to be "mid-sweep", well short of the end.
PARTS_BEFORE_KILL = 10


def busy_spec(directory, name="busy", samples=300):
    """600 runs of a CPU-bound model (``busy``: 10 ms of work each)."""
    return write_spec(directory, name=name, model="experiments.testfunctions:busy",
                      samples=samples, outcomes=["y"], analysis={})


def rows(out_dir) -> pd.DataFrame:
    return store.load_runs(out_dir).table[SAME].reset_index(drop=True)


def parts(out_dir) -> int:
    return len(list((out_dir / store.RUNS_DIR).glob(store.PART_GLOB)))


def sweep_cli(*argv: str) -> subprocess.CompletedProcess:
    done = subprocess.run(cli("sweep", *argv, "--quiet"), capture_output=True, text=True,
                          timeout=SWEEP_TIMEOUT_S, env=subprocess_env())
    assert done.returncode == 0, done.stderr
    return done


def start_cluster(processes, workers: int = 2, nanny: bool = True) -> tuple[str, list]:
    """A ``dask scheduler`` and ``workers`` ``dask worker`` processes; their address."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(VENV_BIN / "dask")
    processes.start([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                     "--no-dashboard"])
    started = [processes.start([dask, "worker", address, "--nthreads", "1", "--host",
                                "127.0.0.1", "--no-dashboard",
                                "--nanny" if nanny else "--no-nanny"])
               for _ in range(workers)]
    from distributed import Client

    with Client(address, timeout=CLUSTER_START_S) as client:
        client.wait_for_workers(workers, timeout=CLUSTER_START_S)
    return address, started


def reference(tmp_path, spec_path) -> pd.DataFrame:
    """The same spec run serially in this process."""
    run_sweep(load_spec(spec_path), spec_path, tmp_path / "reference", progress=False)
    return rows(tmp_path / "reference")


@pytest.mark.slow
def test_real_cluster_equals_local_cluster_and_one_worker(tmp_path, processes):
    spec = write_spec(tmp_path, sampler="sobol", samples=32, replications=3,
                      outcomes=["y", "zero_count", "cost"])
    address, _ = start_cluster(processes)
    sweep_cli(str(spec), "--out", str(tmp_path / "remote"), "--scheduler", address)
    sweep_cli(str(spec), "--out", str(tmp_path / "local"), "--workers", "2")
    sweep_cli(str(spec), "--out", str(tmp_path / "single"), "--workers", "1")
    remote = rows(tmp_path / "remote")
    assert len(remote) == 32 * 4 * 3 and (remote["status"] == "ok").all()
    pd.testing.assert_frame_equal(remote, rows(tmp_path / "local"))
    pd.testing.assert_frame_equal(remote, rows(tmp_path / "single"))
    workers = store.load_runs(tmp_path / "remote").table["worker"].nunique()
    assert workers == 2  # both external workers took part


@pytest.mark.slow
def test_kill_9_a_worker_mid_sweep(tmp_path, processes):
    spec = busy_spec(tmp_path)
    address, workers = start_cluster(processes, nanny=False)
    out = tmp_path / "out"
    driver = processes.start(cli("sweep", str(spec), "--out", str(out), "--scheduler", address,
                                 "--batch-size", "5", "--quiet"))
    wait_for(lambda: parts(out) >= PARTS_BEFORE_KILL, SWEEP_TIMEOUT_S, "the first parts")
    os.kill(workers[0].pid, signal.SIGKILL)
    # the kill must land mid-sweep: runs still missing after it (rows only ever grow)
    missing_at_kill = 600 - len(store.done_pairs(out))
    assert missing_at_kill > 0, "the sweep had finished before the worker died"
    assert driver.wait(timeout=SWEEP_TIMEOUT_S) == 0, driver.stdout.read()
    assert parts(out) > PARTS_BEFORE_KILL
    runs = store.load_runs(out)
    assert runs.duplicates == 0 and runs.superseded == 0
    assert len(runs.table) == 600 and (runs.table["status"] == "ok").all()
    assert not runs.table.duplicated(["point", "replication"]).any()
    pd.testing.assert_frame_equal(rows(out), reference(tmp_path, spec))


@pytest.mark.slow
def test_kill_9_the_driver_then_resume(tmp_path, processes):
    spec = busy_spec(tmp_path)
    out = tmp_path / "out"
    driver = processes.start(cli("sweep", str(spec), "--out", str(out), "--workers", "2",
                                 "--batch-size", "5", "--quiet"))
    wait_for(lambda: parts(out) >= PARTS_BEFORE_KILL, SWEEP_TIMEOUT_S, "the first parts")
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait(timeout=SWEEP_TIMEOUT_S)
    os.killpg(driver.pid, signal.SIGKILL)  # its local workers, in the session it led
    done_before = len(store.done_pairs(out))
    assert 0 < done_before < 600
    sweep_cli(str(spec), "--out", str(out), "--workers", "2", "--resume")
    sessions = store.read_manifest(out)["sessions"]
    assert [s["session"] for s in sessions] == [0, 1]
    assert "finished" not in sessions[0]          # the killed session never closed
    assert sessions[1]["submitted"] == 600 - done_before
    runs = store.load_runs(out)
    assert runs.duplicates == 0 and len(runs.table) == 600
    pd.testing.assert_frame_equal(rows(out), reference(tmp_path, spec))


def test_failing_runs_on_dask_are_rows_and_analyze_counts_them(tmp_path):
    spec_path = write_spec(tmp_path, model="experiments.testfunctions:fails_where",
                           sampler="sobol", samples=32, replications=1, outcomes=["y"],
                           analysis={})
    spec = load_spec(spec_path)
    with open_client(workers=2) as (client, where):
        result = run_sweep(spec, spec_path, tmp_path / "out", client=client, where=where,
                           progress=False)
    assert result.failed > 0 and result.ok + result.failed == 128
    runs = store.load_runs(tmp_path / "out")
    assert len(runs.failed) == result.failed
    assert runs.failed["error"].str.startswith("ValueError: x1 = ").all()
    text = analyze_dir(tmp_path / "out").report.read_text()
    assert f"{result.failed} failed runs are excluded" in text


@pytest.mark.slow
def test_ctrl_c_keeps_what_was_written_and_resume_completes(tmp_path, processes):
    spec = busy_spec(tmp_path)
    out = tmp_path / "out"
    driver = processes.start(cli("sweep", str(spec), "--out", str(out), "--workers", "2",
                                 "--batch-size", "5"))
    wait_for(lambda: parts(out) >= PARTS_BEFORE_KILL, SWEEP_TIMEOUT_S, "the first parts")
    os.killpg(driver.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the driver and its workers
    assert driver.wait(timeout=SWEEP_TIMEOUT_S) == 130
    lines = driver.stdout.read().strip().splitlines()
    assert lines[0].startswith("busy: running on local Dask cluster")  # printed before the signal
    assert len(lines) == 2 and lines[1].startswith("interrupted (SIGINT) after "), lines
    assert lines[1].endswith("--resume")
    session = store.read_manifest(out)["sessions"][0]
    assert session["interrupted"] and session["signal"] == "SIGINT"
    assert session["ok"] == len(store.done_pairs(out)) < 600
    sweep_cli(str(spec), "--out", str(out), "--workers", "2", "--resume")
    pd.testing.assert_frame_equal(rows(out), reference(tmp_path, spec))
