"""Running a design: seeds, batches, Dask, and failures as data.

- **Seeds.** A run's seed is ``SeedSequence([spec.seed, point, replication])``
  (``[spec.seed, replication]`` with ``common_random_numbers``), whose first
  64-bit word, shifted right by one bit so it fits a signed Parquet integer,
  is passed to the model.  It depends on nothing but the spec, the point and
  the replication: not on workers, batches or order.  It is in every row.
- **Batches.** Runs are grouped into tasks so that scheduling costs little
  per run.  Unless the spec or ``--batch-size`` fixes it, the size follows a
  probe: :data:`PROBE_RUNS` runs are timed on a worker first, then tasks aim at
  :data:`TARGET_TASK_SECONDS`, with at least :data:`MIN_TASKS_PER_WORKER`
  tasks per worker; the last batches shrink so that workers finish together.
- **Failures.** A run that raises becomes a row with ``status: failed`` and
  the error text (see :mod:`experiments.worker`, which runs the batches).  A
  worker that dies has its task re-run elsewhere by Dask (up to
  ``distributed.scheduler.allowed-failures`` times); a batch Dask gives up on
  is split into single runs so one bad run cannot take others with it.
- **Streaming.** Each finished task is written at once as a Parquet part
  (:mod:`experiments.store`), so a killed sweep loses only runs in flight.
- **One driver.** The store's lock is held for the whole sweep; a refused
  sweep removes the folder it created.  Ctrl-C and SIGTERM end the session
  the same way: it is recorded in the manifest as interrupted, with the signal.
"""

from __future__ import annotations

import math
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from experiments import store
from experiments.modelref import metric_columns
from experiments.sampling import build_design
from experiments.spec import ExperimentSpec
from model.signals import Terminated, deferred_signals, stop_if_signalled
from model.validation import InputError
from experiments.worker import (Item, ModelCall, ModelUnavailable, error_text, failed_rows,
                                run_batch)

#: Aim for tasks this long, so per-task scheduling (milliseconds) is noise.
TARGET_TASK_SECONDS = 1.0
#: ...but give every worker at least this many tasks, to balance the load.
MIN_TASKS_PER_WORKER = 4
#: Cap on runs per task: bounds the work lost in flight if the driver dies.
MAX_BATCH_SIZE = 1000
#: Runs timed on a worker before the batch size is chosen (the fastest counts:
#: the first run in a fresh process also pays for lazy imports).
PROBE_RUNS = 2
#: Near the end, a batch holds at most 1/(TAIL_SHARE x workers) of the runs left.
TAIL_SHARE = 2
#: Seconds to wait for the first worker to join the scheduler.
WORKER_WAIT_S = 120
#: Seconds between looks for finished tasks (and for Ctrl-C or SIGTERM).
SIGNAL_POLL_S = 0.05

__all__ = ["ModelCall", "ModelUnavailable", "SweepResult", "choose_batch_size", "plan",
           "run_batch", "run_seed", "run_sweep"]


def run_seed(spec_seed: int, point: int, replication: int, common: bool = False) -> int:
    """The seed of one run (see module doc); a non-negative 63-bit integer."""
    key = [spec_seed, replication] if common else [spec_seed, point, replication]
    return int(np.random.SeedSequence(key).generate_state(1, np.uint64)[0] >> np.uint64(1))


def plan(spec: ExperimentSpec, done: set[tuple[int, int]]) -> list[Item]:
    """The runs still to do, ordered by replication then point."""
    design = build_design(spec)
    return [(p, r, run_seed(spec.seed, p, r, spec.common_random_numbers), design.point(p))
            for r in range(spec.replications) for p in range(design.n_points)
            if (p, r) not in done]


def choose_batch_size(run_seconds: float, n_runs: int, n_workers: int) -> int:
    """Runs per task from a run's duration (see module doc)."""
    by_time = math.ceil(TARGET_TASK_SECONDS / max(run_seconds, 1e-6))
    by_balance = max(1, n_runs // (max(1, n_workers) * MIN_TASKS_PER_WORKER))
    return max(1, min(by_time, by_balance, MAX_BATCH_SIZE))


@dataclass
class SweepResult:
    """What a sweep session did."""

    out_dir: Path
    session: int
    total_runs: int
    already_done: int
    submitted: int = 0
    ok: int = 0
    failed: int = 0
    batch_size: int = 0
    elapsed_s: float = 0.0
    interrupted: bool = False
    where: str = "this process"
    signal: str | None = None
    corrupt_parts: tuple[str, ...] = ()


class Writer:
    """Writes each finished batch as a part; keeps the tallies and the progress bar."""

    def __init__(self, spec, result: SweepResult, progress: bool, metrics: list[str]):
        self.spec, self.result, self.next_id, self.metrics = spec, result, 0, metrics
        self.bar = tqdm(total=result.submitted, desc=spec.name, unit="run", dynamic_ncols=True,
                        disable=not (progress and sys.stderr.isatty()))

    def batch_id(self) -> int:
        """A new batch number, unique within the session (it names the part file)."""
        self.next_id += 1
        return self.next_id - 1

    def __call__(self, batch: int, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row["session"] = self.result.session
        store.write_part(self.result.out_dir, store.part_name(self.result.session, batch),
                         rows, self.spec, self.metrics)
        failed = sum(r["status"] != "ok" for r in rows)
        self.result.failed += failed
        self.result.ok += len(rows) - failed
        self.bar.update(len(rows))
        self.bar.set_postfix(failed=self.result.failed, refresh=False)


def _chunks(items: list[Item], size: int, workers: int = 1) -> Iterator[list[Item]]:
    """Batches of at most ``size`` runs that shrink towards the end ("guided"
    scheduling: never more than 1/(TAIL_SHARE x workers) of what is left), so
    that workers finish together instead of waiting on one last big batch."""
    start = 0
    while start < len(items):
        left = len(items) - start
        step = max(1, min(size, math.ceil(left / (TAIL_SHARE * max(1, workers)))))
        yield items[start:start + step]
        start += step


def run_serial(call, items, batch_size, write: Writer) -> int:
    """Run ``items`` in this process, batch by batch, writing each batch as it ends; returns the batch size used."""
    if batch_size is None:
        probe = items[:PROBE_RUNS]
        rows = run_batch(call, probe)
        write(write.batch_id(), rows)
        batch_size = choose_batch_size(_probe_seconds(rows), len(items), 1)
        items = items[PROBE_RUNS:]
    for chunk in _chunks(items, batch_size):
        write(write.batch_id(), run_batch(call, chunk))
    return batch_size


def _probe_seconds(rows: list[dict[str, Any]]) -> float:
    """Model time per run seen in the probe rows (the task target if none)."""
    times = [r["duration_s"] for r in rows if np.isfinite(r["duration_s"])]
    return float(min(times)) if times else TARGET_TASK_SECONDS


def run_dask(client, call, items, batch_size, write: Writer) -> int:
    """Run ``items`` on a Dask client in batches, writing each batch as it ends; returns the batch size used."""
    from distributed import as_completed

    prefix = f"wengang-{uuid.uuid4().hex[:8]}"
    pending: dict[Any, tuple[int, list[Item]]] = {}

    def submit(chunk: list[Item]):
        """Send one batch to the cluster and remember what it holds."""
        bid = write.batch_id()
        fut = client.submit(run_batch, call, chunk, key=f"{prefix}-b{bid}", pure=False)
        pending[fut] = (bid, chunk)
        return fut

    def collect(fut, done) -> list[dict[str, Any]]:
        """Write one finished task; a lost batch is split into single runs."""
        bid, chunk = pending.pop(fut)
        try:
            rows = fut.result()
        except ModelUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - worker deaths, lost tasks
            if len(chunk) > 1:  # split, so that one poisonous run fails alone
                for item in chunk:
                    done.add(submit([item]))
                return []
            rows = failed_rows(chunk, f"worker lost while running it ({error_text(exc)})")
        write(bid, rows)
        return rows

    def drain(futures: list[Any], caught: list[int]) -> list[dict[str, Any]]:
        """Write tasks as they finish; return the rows of the first one.  A
        signal is acted on here, between tasks, never inside Dask's own code."""
        first: list[dict[str, Any]] = []
        done = as_completed(futures)
        while not done.is_empty():
            stop_if_signalled(caught)
            ready = done.next_batch(block=False)
            if not ready:
                time.sleep(SIGNAL_POLL_S)
            for fut in ready:
                rows = collect(fut, done)
                first = first or rows
        return first

    try:
        with deferred_signals() as caught:
            if batch_size is None:
                client.wait_for_workers(1, timeout=WORKER_WAIT_S)
                seconds = _probe_seconds(drain([submit(items[:PROBE_RUNS])], caught))
                batch_size = choose_batch_size(seconds, len(items),
                                               len(client.scheduler_info()["workers"]))
                items = items[PROBE_RUNS:]
            workers = max(1, len(client.scheduler_info()["workers"]))
            drain([submit(chunk) for chunk in _chunks(items, batch_size, workers)], caught)
    except BaseException:
        client.cancel(list(pending))
        raise
    return batch_size


def run_sweep(spec: ExperimentSpec, spec_file: Path, out_dir: Path, *, client=None,
              where: str = "this process", resume: bool = False, force: bool = False,
              retry_failed: bool = False, batch_size: int | None = None,
              progress: bool = True, allow_models: tuple[str, ...] = ()) -> SweepResult:
    """Run the spec's design into ``out_dir``; ``client=None`` runs in this process.

    Returns a :class:`SweepResult`; raises :class:`model.validation.InputError`
    when the directory does not fit the request (see :func:`store.prepare`)
    or another driver holds its lock; a folder this call created is then removed.
    """
    out_dir = Path(out_dir)
    created = not out_dir.exists()
    try:
        with store.locked(out_dir):
            return _run_locked(spec, spec_file, out_dir, client=client, where=where,
                               resume=resume, force=force, retry_failed=retry_failed,
                               batch_size=batch_size, progress=progress,
                               allow_models=allow_models)
    except InputError:
        if created:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise


def _run_locked(spec, spec_file, out_dir, *, client, where, resume, force, retry_failed,
                batch_size, progress, allow_models) -> SweepResult:
    columns = None if resume else metric_columns(spec, allow_models)
    manifest, session = store.prepare(out_dir, spec, spec_file, resume=resume, force=force,
                                      metric_columns=columns)
    moved = store.quarantine_corrupt(out_dir)
    for path in moved:
        print(f"warning: {path.with_name(path.name[1:]).with_suffix('')} is unreadable; moved "
              f"aside to {path.name}, its runs run again", file=sys.stderr)
    done = store.done_pairs(out_dir, include_failed=not retry_failed)
    items = plan(spec, done)
    result = SweepResult(out_dir, session, spec.design_size * spec.replications, len(done),
                         submitted=len(items), where=where,
                         corrupt_parts=tuple(p.name for p in moved))
    write = Writer(spec, result, progress, store.metric_columns(out_dir, spec))
    call = ModelCall.from_spec(spec)
    size = batch_size or spec.batch_size
    start = time.perf_counter()
    try:
        if items:
            size = (run_serial(call, items, size, write) if client is None
                    else run_dask(client, call, items, size, write))
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (model.arguments.Terminated)
        result.interrupted = True
        result.signal = "SIGTERM" if isinstance(exc, Terminated) else "SIGINT"
    finally:
        write.bar.close()
        result.elapsed_s = time.perf_counter() - start
        result.batch_size = size or 0
        store.finish_session(out_dir, session, where=where, submitted=result.submitted,
                             ok=result.ok, failed=result.failed, batch_size=result.batch_size,
                             elapsed_s=round(result.elapsed_s, 3),
                             interrupted=result.interrupted, signal=result.signal,
                             corrupt_parts=list(result.corrupt_parts))
    return result
