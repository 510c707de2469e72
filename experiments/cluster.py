"""Where a sweep runs: a local Dask cluster, a running scheduler, or batch jobs.

- Local (default): ``--workers N`` processes with one thread each, bound to
  127.0.0.1, no dashboard (the scheduler's HTTP service on a free loopback port).  The scheduler lives in the driver process, so
  :data:`ALLOWED_WORKER_DEATHS` is set for it here; with no dashboard, the
  workers' statistical profiler is off (:data:`LOCAL_CLUSTER_CONFIG`).
- **One thread per worker**, on every kind of cluster: a run is one Python
  thread, and BLAS, OpenMP or numba threads of its own would only contend
  with the other workers for the cores (a full-scale run with OpenBLAS's
  default of one thread per core used ~1.8 s of CPU per second).  The local
  cluster's worker processes start with :data:`SINGLE_THREAD_ENV`; every
  worker, also one of ``--scheduler`` or ``--jobqueue``, gets the
  :func:`pin_threads` plugin at start (threadpoolctl caps libraries already
  loaded, such as numpy's OpenBLAS); and each batch runs under
  :func:`single_threaded` (also in a ``--serial`` sweep, in this process).
- ``--scheduler tcp://HOST:PORT``: an existing cluster.  Its scheduler's own
  ``distributed.scheduler.allowed-failures`` applies.
- ``--jobqueue slurm|pbs``: workers as batch jobs through dask-jobqueue
  (an optional dependency, imported only here), configured by a YAML file
  such as ``experiments/jobqueue.yaml``.  See ``experiments/CLUSTER.md``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from model.validation import load_yaml

#: Times a task may be on a worker that dies before Dask gives up on it.
ALLOWED_WORKER_DEATHS = 3
#: Seconds to wait for a scheduler to answer.
CONNECT_TIMEOUT_S = 30
#: The local scheduler's small HTTP service (health checks; no dashboard) on a
#: free loopback port, so sweeps running side by side do not fight over 8787.
LOCAL_SCHEDULER_HTTP = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}
#: dask-jobqueue cluster classes by --jobqueue name.
JOBQUEUE_CLUSTERS = {"slurm": "SLURMCluster", "pbs": "PBSCluster"}
#: Environment of a worker process: one thread for BLAS, OpenMP and numba.
SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                     "MKL_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
#: Variables read when a library loads, before the worker's own code runs:
#: set before the process is spawned (numba's is set after: see _numba_unlaunched).
PRE_SPAWN = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: malloc's thresholds for workers.  Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536
#: (distributed.nanny.pre-spawn-environ), which also stops glibc from raising
#: its mmap threshold, so every array over 128 KB is mapped and unmapped
#: afresh: a full-scale run went from ~1.7 s to ~2.7 s, a third of it in the
#: kernel (page faults).  These keep arrays up to 32 MB (glibc's ceiling) on
#: the heap and memory with the worker between runs (~0.4 GB a run).
MALLOC_ENV = {"MALLOC_TRIM_THRESHOLD_": str(1 << 30), "MALLOC_MMAP_THRESHOLD_": str(32 << 20)}
#: Dask settings of the local cluster.  Its dashboard is off, so nobody can
#: read the workers' statistical profile, which samples the running task's
#: stack every 10 ms (taking the GIL from the run): off, too.
LOCAL_CLUSTER_CONFIG = {"distributed.scheduler.allowed-failures": ALLOWED_WORKER_DEATHS,
                        "distributed.worker.profile.enabled": False}
#: Name of the worker plugin that pins threads.
PIN_PLUGIN = "wengang-one-thread"


class JobqueueUnavailable(RuntimeError):
    """dask-jobqueue is not installed."""


def default_workers() -> int:
    """Worker processes for a local cluster: the cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _numba_unlaunched() -> bool:
    """True when NUMBA_NUM_THREADS may still change: numba is not imported, or
    its thread pool has not started (changing it after raises in numba)."""
    if "numba" not in sys.modules:
        return True
    try:
        from numba.np.ufunc import parallel
    except ImportError:
        return False
    return not getattr(parallel, "_is_initialized", True)


def pin_threads() -> bool:
    """One thread for native libraries in this process, for good: the
    environment for those not loaded yet, threadpoolctl for those loaded.
    For worker processes (a plugin runs it at worker start).  False when
    threadpoolctl is not installed (only the environment is set then)."""
    for name, value in SINGLE_THREAD_ENV.items():
        if name != "NUMBA_NUM_THREADS" or _numba_unlaunched():
            os.environ[name] = value
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    threadpool_limits(limits=1)
    return True


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Native thread pools capped at one thread while the block runs, then
    restored (threadpoolctl; about 0.5 ms; a no-op without threadpoolctl).
    Runs in the calling thread, which is where OpenMP's cap applies."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1):
        yield


def _register_pin(client) -> None:
    """Pin threads on every worker of ``client``, present and future."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class OneThread(WorkerPlugin):
        """Runs :func:`pin_threads` when a worker starts (or now, if it runs)."""

        def setup(self, worker) -> None:
            pin_threads()

    client.register_plugin(OneThread(), name=PIN_PLUGIN)


def jobqueue_cluster(kind: str, jobs: int, config: Path | None = None):
    """A dask-jobqueue cluster of ``kind`` scaled to ``jobs`` batch jobs.

    ``config`` is a YAML file in Dask's configuration layout (``jobqueue:
    slurm: ...``); its settings take precedence over ~/.config/dask.
    """
    import dask
    try:
        import dask_jobqueue
    except ImportError:
        raise JobqueueUnavailable("--jobqueue needs dask-jobqueue "
                                  "(pip install 'wengang[cluster]')") from None
    if config is not None:
        dask.config.update(dask.config.config, load_yaml(config), priority="new")
    prologue = dask.config.get(f"jobqueue.{kind}.job-script-prologue", None) or []
    prologue = [*prologue, *(f"export {k}={v}" for k, v in MALLOC_ENV.items())]  # see MALLOC_ENV
    cluster = getattr(dask_jobqueue, JOBQUEUE_CLUSTERS[kind])(job_script_prologue=prologue)
    cluster.scale(jobs=jobs)
    return cluster


@contextlib.contextmanager
def open_client(*, workers: int | None = None, scheduler: str | None = None,
                cluster: Any = None) -> Iterator[tuple[Any, str]]:
    """Yield ``(client, description)``: on ``scheduler`` if given, on ``cluster``
    (e.g. from :func:`jobqueue_cluster`) if given, else on a new local cluster."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout=CONNECT_TIMEOUT_S) as client:
            _register_pin(client)
            yield client, f"Dask scheduler {scheduler}"
        return
    if cluster is not None:
        with Client(cluster) as client:
            _register_pin(client)
            yield client, f"{type(cluster).__name__} at {cluster.scheduler_address}"
        return
    n = workers or default_workers()
    pre_spawn = {**dask.config.get("distributed.nanny.pre-spawn-environ", {}),
                 **{k: SINGLE_THREAD_ENV[k] for k in PRE_SPAWN}, **MALLOC_ENV}
    with dask.config.set({**LOCAL_CLUSTER_CONFIG, "distributed.nanny.pre-spawn-environ": pre_spawn}):
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=None,
                          scheduler_kwargs=LOCAL_SCHEDULER_HTTP, env=SINGLE_THREAD_ENV,
                          silence_logs=logging.ERROR) as local, Client(local) as client:
            _register_pin(client)
            yield client, f"local Dask cluster of {n} worker process{'es' if n > 1 else ''}"
