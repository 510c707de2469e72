"""Where a sweep runs: a local Dask cluster, a running scheduler, or batch jobs.

- Local (default): ``--workers N`` processes with one thread each, bound to
  127.0.0.1, no dashboard (the scheduler's HTTP service on a free loopback port).  The scheduler lives in the driver process, so
  :data:`ALLOWED_WORKER_DEATHS` is set for it here.
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


class JobqueueUnavailable(RuntimeError):
    """dask-jobqueue is not installed."""


def default_workers() -> int:
    """Worker processes for a local cluster: the cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


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
    cluster = getattr(dask_jobqueue, JOBQUEUE_CLUSTERS[kind])()
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
            yield client, f"Dask scheduler {scheduler}"
        return
    if cluster is not None:
        with Client(cluster) as client:
            yield client, f"{type(cluster).__name__} at {cluster.scheduler_address}"
        return
    n = workers or default_workers()
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_WORKER_DEATHS}):
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=None,
                          scheduler_kwargs=LOCAL_SCHEDULER_HTTP,
                          silence_logs=logging.ERROR) as local, Client(local) as client:
            yield client, f"local Dask cluster of {n} worker process{'es' if n > 1 else ''}"
