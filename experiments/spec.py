"""Experiment files (``experiments/specs/*.yaml``): schema, loading, validation.

An experiment names a model (``module:function``, registered or allowed: see
:mod:`experiments.modelref`), the parameters to sample and their ranges, a
sampler, replications, a seed and the outcomes to analyse.  Every number has
hard limits, ``name`` is a plain folder name (a sweep goes to
``results/<name>`` and must stay there), and a design too large for this
machine's memory is refused before any work, with its size.  Files are checked with the same error contract as
scenarios (``FILE: key.path: what is wrong``, unknown keys suggest the nearest
valid one) through :mod:`model.validation`.

A YAML mapping is an experiment spec when its top level has a ``sampler`` or a
``parameters`` key (:func:`is_experiment`); scenarios have neither.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from experiments.modelref import check_model as model_problems
from model.validation import InputError, Problem, load_yaml, pydantic_problems, suggest

#: Keys whose presence at the top level marks a YAML file as an experiment spec.
EXPERIMENT_MARKER_KEYS = ("sampler", "parameters")
#: Arguments a model receives from the spec itself when its signature names them.
RUN_ARGUMENTS = ("seed", "scenario", "scale", "months")
#: FAST needs N > 4 M^2 with SALib's interference factor M = 4.
FAST_INTERFERENCE = 4
#: Refuse full-factorial designs beyond this many points (a typo guard).
MAX_FULL_FACTORIAL_POINTS = 1_000_000
#: Fields that do not change any run; left out of the spec hash so that
#: analysis settings can be tuned without invalidating a sweep.
NON_RUN_FIELDS = ("name", "description", "batch_size", "analysis")
#: Result columns that parameters and outcomes may not be named after.
RESERVED_COLUMNS = ("point", "replication", "seed", "status", "error", "duration_s",
                    "worker", "session", "metrics")
_MODEL_REF = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
#: A spec's name is a plain folder name: no separators, no leading dot.
_NAME = re.compile(r"^[^\W_][\w.\-]{0,99}$")
#: Largest magnitude of a parameter's 'min' or 'max' (so that a range has a finite width).
MAX_BOUND = 1e15
#: Largest seed (a signed 64-bit Parquet integer).
MAX_SEED = 2**63 - 1
#: Memory a planned run costs the driver (its design row, its task item), and
#: per sampled parameter; with the share of this machine's memory a design may use.
BYTES_PER_RUN, BYTES_PER_PARAMETER, MEMORY_SHARE = 400, 120, 0.5

Sampler = Literal["sobol", "morris", "latin", "fast", "full_factorial"]
#: Samplers whose analysis can use parameter groups.
GROUP_SAMPLERS = ("sobol", "morris")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _same_scalar_type(values: list[Any]) -> bool:
    """All strings, or all numbers (not booleans): a Parquet column needs one type."""
    if all(isinstance(v, str) for v in values):
        return True
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


class ParameterSpec(_Strict):
    """One sampled input: a range (real or integer), a boolean or a set of values.

    ``{min, max}`` alone is a real parameter; ``values`` alone a categorical
    one.  Every parameter is sampled as a uniform number u in [0, 1) and mapped
    to its type (see :mod:`experiments.sampling`).
    """

    type: Literal["real", "integer", "boolean", "categorical"] | None = None
    min: float | None = None
    max: float | None = None
    values: list[Any] | None = Field(None, max_length=10_000)
    group: str | None = Field(None, description="Sobol/Morris group name")
    description: str | None = None
    unit: str | None = None

    @model_validator(mode="after")
    def _check(self) -> ParameterSpec:
        if self.type is None:
            self.type = "categorical" if self.values is not None else "real"
        if self.type in ("real", "integer"):
            if self.min is None or self.max is None:
                raise ValueError(f"a {self.type} parameter needs both 'min' and 'max'")
            if not self.min < self.max:
                raise ValueError(f"'min' ({self.min}) must be below 'max' ({self.max})")
            if max(abs(self.min), abs(self.max)) > MAX_BOUND:  # keeps max - min finite
                raise ValueError(f"'min' and 'max' must lie within +-{MAX_BOUND:g}")
            if self.values is not None:
                raise ValueError(f"a {self.type} parameter takes 'min'/'max', not 'values'")
            if self.type == "integer" and not (self.min.is_integer() and self.max.is_integer()):
                raise ValueError("an integer parameter needs whole-number 'min' and 'max'")
        else:
            if self.min is not None or self.max is not None:
                raise ValueError(f"a {self.type} parameter takes no 'min'/'max'")
            if self.type == "boolean":
                if self.values is not None:
                    raise ValueError("a boolean parameter takes no 'values'")
                self.values = [False, True]
            elif self.values is None or len(self.values) < 2:
                raise ValueError("a categorical parameter needs at least two 'values'")
            elif not _same_scalar_type(self.values):
                raise ValueError("categorical 'values' must be all strings or all numbers")
            elif len(set(self.values)) != len(self.values):
                raise ValueError("categorical 'values' must be distinct")
        return self

    @property
    def levels(self) -> int | None:
        """Number of distinct values (None for a real parameter)."""
        if self.type == "integer":
            return int(self.max - self.min) + 1
        return None if self.type == "real" else len(self.values)


class PrimSettings(_Strict):
    """Settings of PRIM (Friedman and Fisher 1999) for scenario discovery."""

    peel_alpha: float = Field(0.05, gt=0, lt=1, description="share peeled per step")
    paste_alpha: float = Field(0.05, gt=0, lt=1, description="share pasted per step")
    mass_min: float = Field(0.05, gt=0, lt=1, description="smallest box, as a share of points")
    min_density: float = Field(
        0.9, gt=0, le=1, description="pick the box of highest coverage with at least this density"
    )
    max_boxes: int = Field(3, ge=1, le=100, description="boxes to look for, one after the other")


class AnalysisSettings(_Strict):
    """How ``wengang analyze`` treats the results (changes no run)."""

    conf_level: float = Field(0.95, gt=0, lt=1)
    bootstrap_resamples: int = Field(1000, ge=10, le=100_000,
                                     description="resamples for confidence intervals")
    pawn_slides: int = Field(10, ge=2, le=1000, description="conditioning intervals of PAWN")
    zero_outcome: str = "zero_employment_households_peak"
    cost_outcome: str = "fiscal_cost_total_yuan"
    stay_probability: float = Field(
        1.0, gt=0, le=1,
        description="a design point keeps zero at zero when this share of its replications do",
    )
    wide_ci: float = Field(0.1, gt=0, description="flag index confidence half-widths above this")
    near_constant_share: float = Field(
        0.95, gt=0, le=1,
        description="an outcome whose most common value covers this share of points "
        "gets no variance-based indices",
    )
    prim: PrimSettings = PrimSettings()


class ExperimentSpec(_Strict):
    """A study: which model, which inputs over which ranges, how to sample them."""

    name: str = Field(min_length=1, description="a plain folder name: results/<name>")
    description: str | None = None
    model: str = "model:simulate"
    scenario: str | None = Field(None, description="scenario file, relative to the spec file")
    sampler: Sampler
    samples: int = Field(ge=2, description="base sample size N (levels for full_factorial)")
    second_order: bool = False
    morris_levels: int = Field(4, ge=2, le=1000, description="grid levels of the Morris design")
    replications: int = Field(1, ge=1, le=100_000)
    seed: int = Field(ge=0, le=MAX_SEED)
    common_random_numbers: bool = Field(
        False, description="same seed for replication r at every design point"
    )
    scale: float | None = Field(None, gt=0, le=1)
    months: int | None = Field(None, ge=1, le=600)
    batch_size: int | None = Field(None, ge=1, le=100_000,
                                   description="runs per Dask task; default automatic")
    parameters: dict[str, ParameterSpec] = Field(min_length=1, max_length=1000)
    outcomes: list[str] = Field(min_length=1, max_length=1000)
    analysis: AnalysisSettings = AnalysisSettings()

    #: Directory of the spec file; relative paths resolve against it.
    _base_dir: Path = PrivateAttr(default=Path("."))

    @model_validator(mode="after")
    def _check(self) -> ExperimentSpec:
        problems = []
        if not _NAME.match(self.name) or ".." in self.name:
            problems.append(f"'name' must be a plain folder name (letters, digits, '.', '-', "
                            f"'_'; no '/' or '..'), not {self.name!r}")
        if not _MODEL_REF.match(self.model):
            problems.append("'model' must be module:function, e.g. model:simulate")
        if len(set(self.outcomes)) != len(self.outcomes):
            problems.append("'outcomes' lists a name twice")
        clash = sorted(set(self.parameters) & set(RESERVED_COLUMNS))
        if clash:
            problems.append(f"parameter names {clash} are reserved result columns")
        clash = sorted(set(self.outcomes) & (set(self.parameters) | set(RESERVED_COLUMNS)))
        if clash:
            problems.append(f"outcome names {clash} clash with parameters or result columns")
        grouped = any(p.group for p in self.parameters.values())
        if grouped and self.sampler not in GROUP_SAMPLERS:
            problems.append(f"parameter groups need sampler sobol or morris, not {self.sampler}")
        if self.second_order and self.sampler != "sobol":
            problems.append("'second_order' applies to the sobol sampler only")
        if self.sampler == "sobol" and self.samples & (self.samples - 1):
            near = 2 ** round(math.log2(self.samples))
            problems.append(f"sobol needs 'samples' to be a power of 2 (e.g. {near})")
        if self.sampler == "sobol" and len(self.group_names) < 2:
            problems.append("sobol needs at least two parameters (or groups)")
        if self.sampler == "morris" and self.morris_levels % 2:
            problems.append("'morris_levels' must be even (an odd grid biases the design)")
        if self.sampler == "fast" and self.samples <= 4 * FAST_INTERFERENCE**2:
            problems.append(f"fast needs 'samples' above {4 * FAST_INTERFERENCE**2}")
        if self.sampler == "full_factorial":
            size = self.design_size
            if size > MAX_FULL_FACTORIAL_POINTS:
                problems.append(f"full factorial design has {size} points "
                                f"(limit {MAX_FULL_FACTORIAL_POINTS}); lower 'samples'")
        if not problems:
            problems += self._memory_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _memory_problems(self) -> list[str]:
        """A design too large for this machine's memory, with its size."""
        import psutil

        runs = self.design_size * self.replications
        need = runs * (BYTES_PER_RUN + BYTES_PER_PARAMETER * len(self.parameters))
        have = MEMORY_SHARE * psutil.virtual_memory().total
        if need <= have:
            return []
        return [f"the design has {runs:,} runs ({self.design_size:,} points x "
                f"{self.replications} replications), about {need / 2**30:,.1f} GiB to plan; "
                f"more than {MEMORY_SHARE:.0%} of this machine's memory "
                f"({have / MEMORY_SHARE / 2**30:,.1f} GiB): lower 'samples' or 'replications'"]

    @property
    def group_names(self) -> list[str]:
        """Analysis factors: group names, a parameter without a group being its own."""
        return list(dict.fromkeys(p.group or n for n, p in self.parameters.items()))

    @property
    def design_size(self) -> int:
        """Number of design points the sampler produces (before replications)."""
        n, d = self.samples, len(self.group_names)
        if self.sampler == "sobol":
            return n * (2 * d + 2 if self.second_order else d + 2)
        if self.sampler == "morris":
            return n * (d + 1)
        if self.sampler == "fast":
            return n * len(self.parameters)
        if self.sampler == "full_factorial":
            return math.prod(min(p.levels or n, n) if p.type == "integer" else (p.levels or n)
                             for p in self.parameters.values())
        return n

    @property
    def scenario_path(self) -> Path | None:
        """The scenario file, resolved against the spec's directory."""
        return None if self.scenario is None else (self._base_dir / self.scenario).resolve()

    @property
    def base_dir(self) -> Path:
        """Directory of the spec file."""
        return self._base_dir

    def run_fields(self) -> dict[str, Any]:
        """The fields that determine the runs (everything but :data:`NON_RUN_FIELDS`)."""
        return self.model_dump(mode="json", exclude=set(NON_RUN_FIELDS))

    def fields_hash(self) -> str:
        """SHA-256 of :meth:`run_fields` (the spec text only)."""
        return hashlib.sha256(json.dumps(self.run_fields(), sort_keys=True).encode()).hexdigest()

    def spec_hash(self) -> str:
        """SHA-256 of :meth:`run_fields` and of the scenario file's bytes, if any:
        what resume compares, since editing either changes the runs."""
        digest = hashlib.sha256(self.fields_hash().encode())
        path = self.scenario_path
        if path is not None and path.is_file():
            digest.update(path.read_bytes())
        return digest.hexdigest()


def is_experiment(data: dict[str, Any]) -> bool:
    """True when a loaded YAML mapping is an experiment spec (see module doc)."""
    return any(key in data for key in EXPERIMENT_MARKER_KEYS)


def _refine(problems: list[Problem]) -> list[Problem]:
    """Add key suggestions inside ``parameters.<name>``, which pydantic cannot reach."""
    fields = list(ParameterSpec.model_fields)
    out = []
    for p in problems:
        parts = p.path.split(".")
        if parts[0] == "parameters" and p.message == "unknown key" and len(parts) > 2:
            p = Problem(p.file, p.path, "unknown key" + suggest(parts[-1], fields))
        out.append(p)
    return out


def parse_spec(data: dict[str, Any], file: str, base_dir: Path, *,
               check_files: bool = True, check_model: bool = True,
               allow_models: Iterable[str] = ()) -> ExperimentSpec:
    """Validate a loaded mapping; raise :class:`InputError` with every problem.

    ``check_files`` checks that the scenario file exists; ``check_model``
    checks that the model is registered or allowed (``allow_models``: module
    names), then imports it and checks the spec against it
    (:func:`experiments.modelref.check_model`).
    """
    try:
        spec = ExperimentSpec.model_validate(data)
    except pydantic.ValidationError as exc:
        raise InputError(_refine(pydantic_problems(exc, ExperimentSpec, file))) from None
    spec._base_dir = Path(base_dir).resolve()
    problems = []
    if check_files and spec.scenario_path is not None and not spec.scenario_path.is_file():
        problems.append(Problem(file, "scenario", f"file not found: {spec.scenario_path}"))
    if check_model and not problems:
        problems += model_problems(spec, file, allow_models)
    if problems:
        raise InputError(problems)
    return spec


def load_spec(path: str | Path, *, check_files: bool = True, check_model: bool = True,
              allow_models: Iterable[str] = ()) -> ExperimentSpec:
    """Load and validate an experiment file; raise :class:`InputError` if invalid."""
    path = Path(path)
    data = load_yaml(path)
    if not is_experiment(data):
        raise InputError([Problem(str(path), "", "not an experiment file (it has neither "
                                  + " nor ".join(repr(k) for k in EXPERIMENT_MARKER_KEYS)
                                  + " at the top level)")])
    return parse_spec(data, str(path), path.parent, check_files=check_files,
                      check_model=check_model, allow_models=allow_models)


def validate_file(path: Path, data: dict[str, Any], *,
                  allow_models: Iterable[str] = ()) -> list[Problem] | None:
    """The ``wengang.validators`` entry point used by ``wengang validate``.

    Returns None when ``data`` is not an experiment spec, else the problems
    found (an empty list when the file is valid).  Imports no model that is
    not registered or allowed.  Optimisation files (``wengang optimize``),
    which live beside experiments in ``experiments/specs/``, are checked by
    :func:`experiments.optimize_spec.validate_file`.
    """
    if not is_experiment(data):
        from experiments.optimize_spec import validate_file as optimisation_problems
        return optimisation_problems(path, data, allow_models=allow_models)
    try:
        parse_spec(data, str(path), Path(path).parent, allow_models=allow_models)
    except InputError as exc:
        return exc.problems
    return []
