"""Optimisation files (``experiments/specs/optimize_*.yaml``): schema, loading, validation.

An optimisation names a model and a scenario like an experiment, and then:

- ``levers``: the inputs the search chooses, with ranges (the same parameter
  syntax as an experiment's ``parameters``);
- ``uncertainties``: inputs no policy controls, sampled once (Latin hypercube,
  from ``seed``) into an ensemble of ``worlds`` scenarios of the world; every
  candidate is judged in the same worlds, each world with its own seed shared
  by every candidate (common random numbers);
- ``objectives``: an outcome, a sense (minimize or maximize) and a robustness
  rule that turns the ensemble into one number: ``mean``, ``percentile``
  (``q``), or ``share`` of worlds where the outcome is ``at_most`` or
  ``at_least`` a threshold (always maximised); an optional ``goal``
  (``at_least`` or ``at_most``) marks what counts as good enough;
- ``algorithm``: population and generations (the budget), and the method;
- ``report``: which objective is the cost and which the zero rule, for the
  report's "cheapest candidate that meets the zero rule".

A YAML mapping is an optimisation file when its top level has ``objectives``
(:func:`is_optimization`).  Problems are reported as ``FILE: key.path: what is
wrong``, as for scenarios and experiments.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from experiments.spec import ParameterSpec, parse_spec
from model.validation import InputError, Problem, load_yaml, pydantic_problems

#: The top-level key that marks an optimisation file.
MARKER_KEY = "objectives"
#: Fields that change no run nor the search (left out of the resume hash).
NON_SEARCH_FIELDS = ("name", "description", "batch_size", "report")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _one_threshold(obj, what: str) -> None:
    if (obj.at_most is None) == (obj.at_least is None):
        raise ValueError(f"{what} needs exactly one of 'at_most' and 'at_least'")


class Robustness(_Strict):
    """How an objective summarises the ensemble of worlds into one number."""

    rule: Literal["mean", "percentile", "share"] = "mean"
    q: float | None = Field(None, ge=0, le=100, description="percentile, for rule: percentile")
    at_most: float | None = Field(None, description="rule share: a world meets it at or below this")
    at_least: float | None = Field(None, description="rule share: a world meets it at or above this")

    @model_validator(mode="after")
    def _check(self) -> Robustness:
        if self.rule == "percentile" and self.q is None:
            raise ValueError("rule 'percentile' needs 'q' (0-100)")
        if self.rule != "percentile" and self.q is not None:
            raise ValueError("'q' applies to rule 'percentile' only")
        if self.rule == "share":
            _one_threshold(self, "rule 'share'")
        elif self.at_most is not None or self.at_least is not None:
            raise ValueError("'at_most'/'at_least' apply to rule 'share' only")
        return self


class Goal(_Strict):
    """What value of an objective is good enough (for the report)."""

    at_least: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _check(self) -> Goal:
        _one_threshold(self, "a goal")
        return self

    def met(self, value: float) -> bool:
        return value >= self.at_least if self.at_least is not None else value <= self.at_most


class Objective(_Strict):
    """One objective: an outcome of the model, a sense and a robustness rule."""

    name: str = Field(min_length=1)
    outcome: str = Field(min_length=1)
    sense: Literal["minimize", "maximize"]
    robustness: Robustness = Robustness()
    goal: Goal | None = None
    description: str | None = None
    unit: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Objective:
        if self.robustness.rule == "share" and self.sense != "maximize":
            raise ValueError("a 'share' objective counts worlds that meet a threshold: "
                             "its sense must be 'maximize'")
        return self


class AlgorithmSettings(_Strict):
    """The search: method and budget (population x generations candidates)."""

    name: Literal["auto", "nsga2", "nsga3"] = Field(
        "auto", description="auto: NSGA-II for 2 objectives, NSGA-III for 3 or more")
    population: int = Field(ge=4)
    generations: int = Field(ge=1)


class ReportSettings(_Strict):
    """Objective names the report uses: the cost, and the zero rule (with a goal)."""

    cost: str
    zero: str


class OptimizeSpec(_Strict):
    """A robust many-objective search over levers (see module doc)."""

    name: str = Field(min_length=1)
    description: str | None = None
    model: str = "model:simulate"
    scenario: str | None = Field(None, description="scenario file, relative to this file")
    seed: int = Field(ge=0, description="seeds the worlds, their runs and the algorithm")
    scale: float | None = Field(None, gt=0, le=1)
    months: int | None = Field(None, ge=1)
    batch_size: int | None = Field(None, ge=1)
    levers: dict[str, ParameterSpec] = Field(min_length=1)
    uncertainties: dict[str, ParameterSpec] = {}
    worlds: int = Field(1, ge=1, description="size of the ensemble of worlds")
    objectives: list[Objective] = Field(min_length=2)
    algorithm: AlgorithmSettings
    report: ReportSettings | None = None

    _base_dir: Path = PrivateAttr(default=Path("."))

    @model_validator(mode="after")
    def _check(self) -> OptimizeSpec:
        problems = []
        names = [o.name for o in self.objectives]
        if len(set(names)) != len(names):
            problems.append("two objectives have the same name")
        both = sorted(set(self.levers) & set(self.uncertainties))
        if both:
            problems.append(f"{both} are both levers and uncertainties")
        if self.report is not None:
            for role in ("cost", "zero"):
                if getattr(self.report, role) not in names:
                    problems.append(f"report.{role}: no objective named "
                                    f"{getattr(self.report, role)!r}")
            zero = self.objective(self.report.zero)
            if zero is not None and zero.goal is None:
                problems.append(f"report.zero: objective {zero.name!r} needs a 'goal'")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def objective(self, name: str) -> Objective | None:
        return next((o for o in self.objectives if o.name == name), None)

    @property
    def outcomes(self) -> list[str]:
        """The model outcomes the objectives read, each once."""
        return list(dict.fromkeys(o.outcome for o in self.objectives))

    @property
    def scenario_path(self) -> Path | None:
        return None if self.scenario is None else (self._base_dir / self.scenario).resolve()

    def search_hash(self) -> str:
        """SHA-256 of everything that changes the runs or the search, and of the
        scenario file's bytes: what ``--resume`` compares."""
        fields = self.model_dump(mode="json", exclude=set(NON_SEARCH_FIELDS))
        digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode())
        if self.scenario_path is not None and self.scenario_path.is_file():
            digest.update(self.scenario_path.read_bytes())
        return digest.hexdigest()

    def experiment_data(self) -> dict[str, Any]:
        """The runs as an experiment spec (plain data), for the sweep store and runner:
        parameters are the levers and uncertainties, replications are the worlds, and
        each world's seed is shared by every candidate."""
        data = {"name": self.name, "description": self.description, "model": self.model,
                "scenario": self.scenario, "sampler": "latin",
                "samples": self.algorithm.population, "replications": self.worlds,
                "seed": self.seed, "common_random_numbers": True, "scale": self.scale,
                "months": self.months, "batch_size": self.batch_size,
                "parameters": {k: p.model_dump(exclude_none=True)
                               for k, p in {**self.levers, **self.uncertainties}.items()},
                "outcomes": self.outcomes}
        return {k: v for k, v in data.items() if v is not None}


def is_optimization(data: dict[str, Any]) -> bool:
    """True when a loaded YAML mapping is an optimisation file."""
    return MARKER_KEY in data


def _experiment_problems(spec: OptimizeSpec, file: str, allow_models: Iterable[str]):
    """Check the levers, uncertainties and outcomes against the model, as an
    experiment's parameters are; report them under this file's own keys."""
    try:
        return parse_spec(spec.experiment_data(), file, spec._base_dir,
                          allow_models=allow_models), []
    except InputError as exc:
        out = []
        for p in exc.problems:
            path = p.path
            if path.startswith("parameters."):
                key = path[len("parameters."):]
                section = next((s for s in ("levers", "uncertainties")
                                if any(key == k or key.startswith(k + ".")
                                       for k in getattr(spec, s))), "levers")
                path = f"{section}.{key}"
            elif path.startswith("outcomes"):
                path = "objectives"
            out.append(Problem(p.file, path, p.message))
        return None, out


def parse_optimize(data: dict[str, Any], file: str, base_dir: Path,
                   allow_models: Iterable[str] = ()):
    """Validate a loaded mapping; return ``(OptimizeSpec, ExperimentSpec)`` or raise
    :class:`InputError` with every problem.  The model must be registered or its
    module in ``allow_models`` (see :mod:`experiments.modelref`)."""
    try:
        spec = OptimizeSpec.model_validate(data)
    except pydantic.ValidationError as exc:
        raise InputError(pydantic_problems(exc, OptimizeSpec, file)) from None
    spec._base_dir = Path(base_dir).resolve()
    experiment, problems = _experiment_problems(spec, file, allow_models)
    if problems:
        raise InputError(problems)
    return spec, experiment


def load_optimize(path: str | Path, allow_models: Iterable[str] = ()):
    """Load and validate an optimisation file: ``(OptimizeSpec, ExperimentSpec)``."""
    path = Path(path)
    data = load_yaml(path)
    if not is_optimization(data):
        raise InputError([Problem(str(path), "", f"not an optimisation file (no "
                                  f"{MARKER_KEY!r} at the top level)")])
    return parse_optimize(data, str(path), path.parent, allow_models)


def validate_file(path: Path, data: dict[str, Any], *,
                  allow_models: Iterable[str] = ()) -> list[Problem] | None:
    """Problems in an optimisation file for ``wengang validate`` (None if it is not one)."""
    if not is_optimization(data):
        return None
    try:
        parse_optimize(data, str(path), Path(path).parent, allow_models)
    except InputError as exc:
        return exc.problems
    return []


def world_values(spec: OptimizeSpec) -> list[dict[str, Any]]:
    """The ensemble: each world's uncertainty values (Latin hypercube from the seed)."""
    from scipy.stats import qmc

    from experiments.sampling import to_values

    if not spec.uncertainties:
        return [{} for _ in range(spec.worlds)]
    unit = qmc.LatinHypercube(d=len(spec.uncertainties), seed=spec.seed).random(spec.worlds)
    frame = to_values(SimpleNamespace(parameters=spec.uncertainties), unit)
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def lever_values(spec: OptimizeSpec, unit) -> list[dict[str, Any]]:
    """Candidates' lever values from points in [0, 1]^levers (as a sweep maps them)."""
    import numpy as np

    from experiments.sampling import to_values

    frame = to_values(SimpleNamespace(parameters=spec.levers), np.clip(unit, 0.0, 1.0))
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
