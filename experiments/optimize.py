"""``wengang optimize SPEC.yaml``: the cheapest lever mix that keeps zero at zero, whatever the economy does.

A robust many-objective search (spec: :mod:`experiments.optimize_spec`).
Every candidate (a set of lever values) is run in each of the K worlds of
the ensemble; each objective's robustness rule turns those K runs into one
number; the optimiser proposes the next candidates.

**Why pymoo.** It is maintained (releases through 2025, NumFOCUS-affiliated),
it has NSGA-II and NSGA-III with reference directions for three or more
objectives, it offers an ask-and-tell interface (``algorithm.ask()`` /
``algorithm.tell()``), so this module, not the library, decides how a
generation is evaluated (on Dask, stored like a sweep), and it is seeded: the
algorithm draws only from its own ``numpy.random.Generator`` built from the
seed.  platypus (EMA Workbench's choice) has had no release since 2020 and
its evaluators own the loop; optuna's multi-objective samplers are built
around a study database rather than around a batch of candidates.

**Evaluation and storage.** A candidate is keyed by a hash of its lever
values (``point``), a world by its index (``replication``): runs go to the
sweep store (:mod:`experiments.store`) through the sweep runner's batches
(:mod:`experiments.runner`, on Dask or in this process), with failures as
rows.  A world's seed is the same for every candidate (common random
numbers), so differences between candidates are not noise of the draws.

**Resume.** ``--resume`` replays the search from the seed: each generation
asks the algorithm for candidates, reads the stored runs and runs only those
missing.  The algorithm sees the same objective values in the same order, so
after ``kill -9`` the Pareto set is identical to an uninterrupted run's.

A candidate with a failed run (or an outcome that is not a number) in any
world is infeasible (pymoo's constraint ``G`` = number of such worlds) and
never on the Pareto set.  The Pareto set is the non-dominated feasible
candidates among all evaluated, not only the last population.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments import store
from experiments.optimize_spec import OptimizeSpec, lever_values, world_values
from model.validation import InputError, Problem

#: Records the search settings of an optimisation directory, for --resume.
SEARCH_FILE = "optimize.json"
#: Objective values that pymoo sees for a candidate with no usable world.
MISSING_OBJECTIVE = 1e300


def candidate_key(levers: dict[str, Any]) -> int:
    """A candidate's ``point``: 63 bits of the SHA-256 of its lever values."""
    blob = json.dumps(levers, sort_keys=True, default=str).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "big") >> 1


def robust_value(values: np.ndarray, robustness) -> float:
    """The robustness rule applied to an objective's outcome over the worlds."""
    if robustness.rule == "mean":
        return float(np.mean(values))
    if robustness.rule == "percentile":
        return float(np.percentile(values, robustness.q))
    meets = values <= robustness.at_most if robustness.at_most is not None else \
        values >= robustness.at_least
    return float(np.mean(meets))


def evaluate(spec: OptimizeSpec, results: list[dict[str, float] | None]) -> tuple[dict[str, float], int]:
    """Objective values of a candidate from its worlds' outcomes (None: the run
    failed), and the number of worlds missing for any objective."""
    missing = sum(r is None or not all(math.isfinite(r.get(o, math.nan)) for o in spec.outcomes)
                  for r in results)
    good = [r for r in results if r is not None and
            all(math.isfinite(r.get(o, math.nan)) for o in spec.outcomes)]
    values = {o.name: robust_value(np.array([r[o.outcome] for r in good]), o.robustness)
              if good else math.nan for o in spec.objectives}
    return values, missing


def make_algorithm(spec: OptimizeSpec):
    """NSGA-II for two objectives, NSGA-III (Das-Dennis directions, as many as the
    population allows) for three or more, unless the spec names one."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.algorithms.moo.nsga3 import NSGA3
    from pymoo.util.ref_dirs import get_reference_directions

    name = spec.algorithm.name
    if name == "auto":
        name = "nsga2" if len(spec.objectives) <= 2 else "nsga3"
    pop = spec.algorithm.population
    if name == "nsga2":
        return NSGA2(pop_size=pop, seed=spec.seed)
    m, partitions = len(spec.objectives), 1
    while math.comb(partitions + 1 + m - 1, m - 1) <= pop:
        partitions += 1
    ref_dirs = get_reference_directions("das-dennis", m, n_partitions=partitions)
    return NSGA3(ref_dirs=ref_dirs, pop_size=pop, seed=spec.seed)


def _problem(spec: OptimizeSpec):
    from pymoo.core.problem import Problem as PymooProblem

    return PymooProblem(n_var=len(spec.levers), n_obj=len(spec.objectives), n_ieq_constr=1,
                        xl=0.0, xu=1.0)


def _check_search(out_dir: Path, spec: OptimizeSpec, resume: bool) -> None:
    """On --resume, refuse a spec whose search differs from the stored one."""
    path = out_dir / SEARCH_FILE
    if resume and path.exists():
        stored = json.loads(path.read_text(encoding="utf-8")).get("search_hash")
        if stored != spec.search_hash():
            raise InputError([Problem(str(out_dir), "", "cannot resume: the optimisation spec "
                                      "(or its scenario) changed since this search started; "
                                      "use a new --out directory, or --force")])


class _Index:
    """Stored outcomes by (candidate, world): read from the store, then kept up to date."""

    def __init__(self, out_dir: Path, outcomes: list[str]):
        self.outcomes, self.data = outcomes, {}
        table = store.load_runs(out_dir).table
        for row in table.to_dict("records"):
            self.add(row)

    def add(self, row: dict[str, Any]) -> None:
        metrics = row.get("metrics", row)
        value = None if row["status"] != "ok" else {o: float(metrics.get(o, math.nan))
                                                    for o in self.outcomes}
        self.data[(int(row["point"]), int(row["replication"]))] = value


@dataclass
class Search:
    """What a search session did, and its results."""

    out_dir: Path
    candidates: pd.DataFrame
    pareto: pd.DataFrame
    runs_done: int
    runs_reused: int
    failed: int
    interrupted: bool
    files: list[Path]


class _PartWriter:
    """Writes each finished batch as a part of the store (as a sweep does), counts
    the runs, and keeps the index of outcomes up to date."""

    def __init__(self, out_dir: Path, session: int, spec_x, metrics: list[str], index: _Index):
        self.out_dir, self.session, self.spec_x, self.metrics = out_dir, session, spec_x, metrics
        self.index, self.next_id, self.ok, self.failed = index, 0, 0, 0

    def batch_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def __call__(self, batch: int, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row["session"] = self.session
        store.write_part(self.out_dir, store.part_name(self.session, batch), rows,
                         self.spec_x, self.metrics)
        for row in rows:
            self.index.add(row)
        self.failed += sum(r["status"] != "ok" for r in rows)
        self.ok += sum(r["status"] == "ok" for r in rows)


def run_optimize(spec: OptimizeSpec, spec_x, spec_file: Path, out_dir: Path, *, client=None,
                 where: str = "this process", resume: bool = False, force: bool = False,
                 progress: bool = False, allow_models: tuple[str, ...] = ()) -> Search:
    """Search, storing every run under ``out_dir`` (locked, as a sweep's store);
    then write the outputs.  ``spec_x`` is the spec's runs as an experiment spec
    (from :func:`experiments.optimize_spec.load_optimize`).  Raises
    :class:`InputError` when the directory does not fit; a folder this call
    created is then removed."""
    out_dir = Path(out_dir)
    created = not out_dir.exists()
    try:
        _check_search(out_dir, spec, resume)
        with store.locked(out_dir):
            return _search(spec, spec_x, spec_file, out_dir, client=client, where=where,
                           resume=resume, force=force, progress=progress,
                           allow_models=allow_models)
    except InputError:
        if created:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise


def _search(spec, spec_x, spec_file, out_dir, *, client, where, resume, force, progress,
            allow_models) -> Search:
    from experiments import optimize_report, runner
    from experiments.modelref import metric_columns
    from experiments.worker import ModelCall

    columns = None if resume else metric_columns(spec_x, allow_models)
    _, session = store.prepare(out_dir, spec_x, spec_file, resume=resume, force=force,
                               metric_columns=columns)
    store.quarantine_corrupt(out_dir)  # their runs are missing, so they run again
    (out_dir / SEARCH_FILE).write_text(json.dumps({"search_hash": spec.search_hash()}) + "\n")
    store.record_written(out_dir, [out_dir / SEARCH_FILE])  # so that --force may delete it
    index = _Index(out_dir, spec.outcomes)
    write = _PartWriter(out_dir, session, spec_x, store.metric_columns(out_dir, spec_x), index)
    call, worlds = ModelCall.from_spec(spec_x), world_values(spec)
    seeds = [runner.run_seed(spec.seed, 0, w, common=True) for w in range(spec.worlds)]
    algorithm = make_algorithm(spec)
    algorithm.setup(_problem(spec), termination=("n_gen", spec.algorithm.generations))
    history, reused, size = [], 0, spec.batch_size
    start, interrupted = time.perf_counter(), False
    try:
        for generation in range(spec.algorithm.generations):
            pop = algorithm.ask()
            levers = lever_values(spec, pop.get("X"))
            keys = [candidate_key(c) for c in levers]
            todo, seen = [], set()
            for key, cand in zip(keys, levers):
                for w in range(spec.worlds):
                    if (key, w) in index.data:
                        reused += (key, w) not in seen
                    elif (key, w) not in seen:
                        todo.append((key, w, seeds[w], {**cand, **worlds[w]}))
                    seen.add((key, w))
            if todo:  # the sweep runner's batches: in this process, or on Dask
                size = (runner.run_serial(call, todo, size, write) if client is None
                        else runner.run_dask(client, call, todo, size, write))
            F, G = [], []
            for key, cand in zip(keys, levers):
                values, missing = evaluate(spec, [index.data.get((key, w))
                                                  for w in range(spec.worlds)])
                history.append({"generation": generation, "candidate": f"{key:016x}",
                                **cand, **values, "missing_worlds": missing})
                F.append([MISSING_OBJECTIVE if not math.isfinite(values[o.name]) else
                          (values[o.name] if o.sense == "minimize" else -values[o.name])
                          for o in spec.objectives])
                G.append([float(missing)])
            pop.set("F", np.array(F, dtype=float), "G", np.array(G, dtype=float))
            algorithm.tell(infills=pop)
            if progress and todo:
                print(f"generation {generation + 1}/{spec.algorithm.generations}: "
                      f"{len(keys)} candidates, {len(todo)} runs", file=sys.stderr)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: what is stored stays, --resume goes on
        interrupted = True
    finally:
        store.finish_session(out_dir, session, where=where, submitted=write.ok + write.failed,
                             ok=write.ok, failed=write.failed, batch_size=size or 0,
                             elapsed_s=round(time.perf_counter() - start, 3),
                             interrupted=interrupted)
    candidates = pareto_candidates(spec, pd.DataFrame(history))
    files = [] if interrupted else optimize_report.write_outputs(out_dir, spec, candidates)
    store.record_written(out_dir, files)
    return Search(out_dir, candidates, candidates[candidates["pareto"]], write.ok + write.failed,
                  reused, write.failed, interrupted, files)


def pareto_candidates(spec: OptimizeSpec, history: pd.DataFrame) -> pd.DataFrame:
    """Each candidate once (first generation it appeared), with ``feasible`` and
    ``pareto``: non-dominated among the feasible candidates evaluated."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    if history.empty:
        return history.assign(feasible=[], pareto=[])
    table = history.drop_duplicates("candidate", keep="first").reset_index(drop=True)
    names = [o.name for o in spec.objectives]
    table["feasible"] = (table["missing_worlds"] == 0) & table[names].notna().all(axis=1)
    table["pareto"] = False
    feasible = table.index[table["feasible"]]
    if len(feasible):
        F = np.column_stack([table.loc[feasible, o.name] * (1 if o.sense == "minimize" else -1)
                             for o in spec.objectives])
        front = NonDominatedSorting().do(F, only_non_dominated_front=True)
        table.loc[feasible[front], "pareto"] = True
    return table
