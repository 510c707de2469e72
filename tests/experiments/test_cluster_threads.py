"""One thread per worker: native thread pools capped in local workers and in batches."""

from __future__ import annotations

import os

import pytest

from experiments import cluster

from ..conftest import require

threadpoolctl = require("threadpoolctl", "pip install -e .")


def thread_state() -> tuple[dict[str, str | None], list[int]]:
    """This process's thread variables and its native pools' thread counts."""
    import numpy  # noqa: F401 - loads OpenBLAS, as a run does

    env = {k: os.environ.get(k) for k in cluster.SINGLE_THREAD_ENV}
    return env, [pool["num_threads"] for pool in threadpoolctl.threadpool_info()]


def test_local_workers_run_one_thread_even_when_the_shell_asks_for_more(monkeypatch):
    # a driver environment that asks for 2 threads wins over Dask's pre-spawn
    # default, so numpy's OpenBLAS starts with 2 in the worker: the plugin caps it
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    with cluster.open_client(workers=1) as (client, _):
        (env, pools), = client.run(thread_state).values()
    assert env["NUMBA_NUM_THREADS"] == "1" and env["OMP_NUM_THREADS"] == "1"
    assert pools and set(pools) == {1}


def test_a_batch_runs_single_threaded_and_restores_the_pools():
    with threadpoolctl.threadpool_limits(limits=2):  # as a process with 2 cores starts
        before = thread_state()[1]
        assert max(before) == 2
        with cluster.single_threaded():
            assert set(thread_state()[1]) == {1}
        assert thread_state()[1] == before


def malloc_env() -> dict[str, str | None]:
    return {k: os.environ.get(k) for k in cluster.MALLOC_ENV}


def test_local_workers_keep_malloc_from_mapping_every_array():
    """Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536, which made a full-scale
    run ~1 s slower in a worker (page faults); local workers start with
    cluster.MALLOC_ENV instead."""
    with cluster.open_client(workers=1) as (client, _):
        (env,) = client.run(malloc_env).values()
    assert env == {"MALLOC_TRIM_THRESHOLD_": "1073741824", "MALLOC_MMAP_THRESHOLD_": "33554432"}


def worker_callbacks(dask_worker) -> list[str]:
    return sorted(dask_worker.periodic_callbacks)


def test_local_workers_do_not_profile_the_runs():
    """A worker's statistical profile samples the run's stack every 10 ms;
    with no dashboard to show it, local workers do without."""
    with cluster.open_client(workers=1) as (client, _):
        (callbacks,) = client.run(worker_callbacks).values()
    assert "heartbeat" in callbacks  # the callbacks are the worker's own
    assert not [c for c in callbacks if c.startswith("profile")]
