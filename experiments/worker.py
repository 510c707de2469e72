"""What runs on a worker: one batch of model runs, each giving exactly one row.

- The model (``module:function``) is imported once per process; a worker that
  cannot import it raises :class:`ModelUnavailable`, which stops the sweep
  (an environment problem, not a run's).
- It gets the sampled parameters as keyword arguments, and ``seed``,
  ``scenario``, ``scale`` and ``months`` only if its signature names them.
- **Scenario.** When the model's module has ``load_scenario`` (the Wengang
  model does), each worker process loads the scenario file once and passes
  the loaded scenario to every run instead of its path; the model promises
  the same result either way, and a run is then about 3 times faster.
- A run that raises, or returns something other than a mapping with every
  outcome of the spec, becomes a row with ``status: failed`` and the error.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import os
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.cluster import single_threaded
from experiments.modelref import resolve_model
from experiments.spec import RUN_ARGUMENTS, ExperimentSpec

#: A model module that has this function gets its scenario loaded once per
#: worker process (``loader(path)``) and passed to every run as ``scenario``.
SCENARIO_LOADER = "load_scenario"

Item = tuple[int, int, int, dict[str, Any]]  # point, replication, seed, parameters


class ModelUnavailable(RuntimeError):
    """A worker cannot import the model: an environment problem, not a run's."""


@dataclass(frozen=True)
class ModelCall:
    """What a worker needs to run the model; small, so it ships with each task."""

    model: str
    outcomes: tuple[str, ...]
    fixed: tuple[tuple[str, Any], ...] = ()  # scenario, scale, months (those set)

    @classmethod
    def from_spec(cls, spec: ExperimentSpec) -> ModelCall:
        """The call of a spec's model: its outcomes and the run arguments it sets."""
        fixed = {"scenario": str(spec.scenario_path) if spec.scenario_path else None,
                 "scale": spec.scale, "months": spec.months}
        return cls(spec.model, tuple(spec.outcomes),
                   tuple((k, v) for k, v in fixed.items() if v is not None))


@functools.lru_cache(maxsize=16)
def _load(ref: str) -> tuple[Any, frozenset[str]]:
    """Import the model once per process; also the run arguments it accepts."""
    try:
        func = resolve_model(ref)
    except Exception as exc:  # noqa: BLE001 - reported as an environment problem
        raise ModelUnavailable(f"cannot import model {ref!r} on worker "
                               f"({type(exc).__name__}: {exc}); is the package "
                               "installed where the workers run?") from None
    params = inspect.signature(func).parameters
    named = {n for n, p in params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    return func, frozenset(a for a in RUN_ARGUMENTS if a in named)


@functools.lru_cache(maxsize=8)
def _preloaded(ref: str, path: str, digest: str) -> Any:
    """The scenario loaded by the model's module, once per process and file
    content (``digest``); the path itself if the module has no loader or the
    loader fails (each run then reports the model's own error)."""
    loader = getattr(importlib.import_module(ref.partition(":")[0]), SCENARIO_LOADER, None)
    if not callable(loader):
        return path
    try:
        return loader(path)
    except Exception:  # noqa: BLE001 - the runs will raise it, as data
        return path


def _fixed_arguments(call: ModelCall, accepted: frozenset[str]) -> dict[str, Any]:
    """The run arguments the model accepts, with its scenario preloaded."""
    fixed = {k: v for k, v in call.fixed if k in accepted}
    path = fixed.get("scenario")
    if path is not None:
        try:
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            return fixed  # the model will say what is wrong with the path
        fixed["scenario"] = _preloaded(call.model, path, digest)
    return fixed


def _worker_name() -> str:
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return f"local:{os.getpid()}"


def error_text(exc: BaseException) -> str:
    """``Type: message (at file:line in function)`` for the innermost frame."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        f = frames[-1]
        text += f" (at {Path(f.filename).name}:{f.lineno} in {f.name})"
    return text


def _metrics(result: Any, outcomes: tuple[str, ...]) -> dict[str, float]:
    """Check and convert a model's return value to ``{name: float}``."""
    if not hasattr(result, "items"):
        raise TypeError(f"model returned {type(result).__name__}, not a mapping of outcomes")
    metrics = {str(k): float(v) for k, v in result.items()}
    missing = [o for o in outcomes if o not in metrics]
    if missing:
        raise KeyError(f"model returned no {missing} (it returned {sorted(metrics)})")
    return metrics


def run_batch(call: ModelCall, items: list[Item]) -> list[dict[str, Any]]:
    """Run a batch of runs (on a worker); every run gives exactly one row.
    Native thread pools run one thread meanwhile (see experiments.cluster)."""
    with single_threaded():
        return _run_batch(call, items)


def _run_batch(call: ModelCall, items: list[Item]) -> list[dict[str, Any]]:
    func, accepted = _load(call.model)
    fixed = _fixed_arguments(call, accepted)
    worker = _worker_name()
    rows = []
    for point, replication, seed, params in items:
        kwargs = {**params, **fixed, **({"seed": seed} if "seed" in accepted else {})}
        row = {"point": point, "replication": replication, "seed": seed, **params,
               "metrics": {}, "status": "ok", "error": None, "worker": worker}
        start = time.perf_counter()
        try:
            row["metrics"] = _metrics(func(**kwargs), call.outcomes)
        except Exception as exc:  # noqa: BLE001 - a failed run is data, not a crash
            row.update(status="failed", error=error_text(exc))
        row["duration_s"] = time.perf_counter() - start
        rows.append(row)
    return rows


def failed_rows(items: list[Item], message: str) -> list[dict[str, Any]]:
    """Rows for runs that could not be run at all (their worker kept dying)."""
    return [{"point": p, "replication": r, "seed": s, **params, "metrics": {},
             "status": "failed", "error": message, "duration_s": float("nan"),
             "worker": None} for p, r, s, params in items]
