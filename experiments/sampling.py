"""Designs: which parameter values each design point gets.

Every sampler works in the unit hypercube: SALib (``sobol``, ``morris``,
``latin``, ``fast``) draws ``u`` in [0, 1]^D from a problem whose bounds are
all [0, 1], and :func:`to_values` maps each column to its parameter:

- real: ``min + u (max - min)``;
- integer: ``min + floor(u * levels)`` (each integer gets an equal share of
  [0, 1)), with u = 1 mapped to ``max``;
- boolean and categorical: ``values[floor(u * k)]``, likewise.

Keeping the unit design lets the analysis use it directly (Morris elementary
effects are then "per step of the grid across the lever's whole range", which
compares levers with different units), and the design is rebuilt exactly from
the spec at analysis time: it depends only on the spec and its seed.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from SALib.sample import fast_sampler, latin, morris
from SALib.sample import sobol as sobol_sampler

from experiments.spec import FAST_INTERFERENCE, ExperimentSpec, ParameterSpec


@dataclass(frozen=True)
class Design:
    """A design: one row per design point.

    ``unit`` holds the points in [0, 1]^D (columns in the order of
    ``names``), ``values`` the parameter values the model receives, and
    ``problem`` the SALib problem (unit bounds, with groups if any) that the
    analysers need.
    """

    sampler: str
    problem: dict[str, Any]
    unit: np.ndarray
    values: pd.DataFrame

    @property
    def names(self) -> list[str]:
        """Parameter key paths, in column order."""
        return list(self.problem["names"])

    @property
    def n_points(self) -> int:
        """Number of design points."""
        return int(self.unit.shape[0])

    def point(self, i: int) -> dict[str, Any]:
        """The parameters of point ``i`` as plain Python values (for the model)."""
        return {name: _plain(self.values.iat[i, j]) for j, name in enumerate(self.names)}


def _plain(value: Any) -> Any:
    """numpy scalar -> Python scalar, so models see int/float/bool/str."""
    return value.item() if isinstance(value, np.generic) else value


def salib_problem(spec: ExperimentSpec) -> dict[str, Any]:
    """The SALib problem for the spec: unit bounds, names, and groups if any."""
    names = list(spec.parameters)
    problem: dict[str, Any] = {"num_vars": len(names), "names": names,
                               "bounds": [[0.0, 1.0]] * len(names)}
    if any(p.group for p in spec.parameters.values()):
        problem["groups"] = [p.group or n for n, p in spec.parameters.items()]
    return problem


def _column(param: ParameterSpec, u: np.ndarray) -> pd.Series:
    """Map unit samples to one parameter's values (see module doc)."""
    if param.type == "real":
        return pd.Series(param.min + u * (param.max - param.min), dtype="float64")
    k = param.levels
    index = np.minimum(np.floor(u * k).astype(np.int64), k - 1)
    if param.type == "integer":
        return pd.Series(int(param.min) + index, dtype="int64")
    if param.type == "boolean":
        return pd.Series(index.astype(bool), dtype="bool")
    values = np.empty(len(index), dtype=object)
    values[:] = [param.values[i] for i in index]
    return pd.Series(values, dtype=object)


def to_values(spec: ExperimentSpec, unit: np.ndarray) -> pd.DataFrame:
    """Map a unit design (points x parameters) to typed parameter values."""
    return pd.DataFrame({name: _column(param, unit[:, j])
                         for j, (name, param) in enumerate(spec.parameters.items())})


def _full_factorial_unit(spec: ExperimentSpec) -> np.ndarray:
    """A full grid: ``samples`` evenly spaced levels per real parameter, every
    value of a boolean or categorical one, and up to ``samples`` evenly spaced
    integers of an integer one.  Unit coordinates sit at the centres of the
    value's share of [0, 1) so :func:`to_values` maps them back exactly."""
    axes = []
    for param in spec.parameters.values():
        if param.type == "real":
            axes.append(np.linspace(0.0, 1.0, spec.samples))
        elif param.type == "integer":
            chosen = np.unique(np.round(np.linspace(param.min, param.max, spec.samples)))
            axes.append((chosen - param.min + 0.5) / param.levels)
        else:
            axes.append((np.arange(param.levels) + 0.5) / param.levels)
    return np.array(list(itertools.product(*axes)), dtype=float)


def unit_design(spec: ExperimentSpec) -> np.ndarray:
    """The design in [0, 1]^D, deterministic given the spec's seed."""
    problem = salib_problem(spec)
    n, seed = spec.samples, spec.seed
    with warnings.catch_warnings():
        # SALib warns about things the spec schema already rules out.
        warnings.simplefilter("ignore", UserWarning)
        if spec.sampler == "sobol":
            return sobol_sampler.sample(problem, n, calc_second_order=spec.second_order,
                                        scramble=True, seed=seed)
        if spec.sampler == "morris":
            return morris.sample(problem, n, num_levels=spec.morris_levels, seed=seed)
        if spec.sampler == "latin":
            return latin.sample(problem, n, seed=seed)
        if spec.sampler == "fast":
            return fast_sampler.sample(problem, n, M=FAST_INTERFERENCE, seed=seed)
    if spec.sampler == "full_factorial":
        return _full_factorial_unit(spec)
    raise ValueError(f"unknown sampler {spec.sampler!r}")


def build_design(spec: ExperimentSpec) -> Design:
    """Build the spec's design (see :class:`Design`)."""
    unit = np.clip(unit_design(spec), 0.0, 1.0)
    if unit.shape[0] != spec.design_size:
        raise RuntimeError(f"{spec.sampler} produced {unit.shape[0]} points, "
                           f"expected {spec.design_size}")
    return Design(spec.sampler, salib_problem(spec), unit, to_values(spec, unit))


def coded_values(spec: ExperimentSpec, values: pd.DataFrame) -> pd.DataFrame:
    """Parameter values as numbers: booleans as 0/1, categories as their index
    in ``values``; for plots and statistics that need a number line."""
    out = {}
    for name, param in spec.parameters.items():
        col = values[name]
        if param.type == "categorical":
            lookup = {repr(v): i for i, v in enumerate(param.values)}
            out[name] = col.map(lambda v: lookup.get(repr(v), np.nan)).astype(float)
        else:
            out[name] = col.astype(float)
    return pd.DataFrame(out, index=values.index)
