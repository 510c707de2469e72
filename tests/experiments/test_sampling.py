"""Designs: sizes, determinism, the unit-to-value mapping, full factorial grids."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.sampling import build_design, coded_values, to_values
from experiments.spec import load_spec

from .conftest import write_spec

MIXED = {"x1": {"min": -2, "max": 2},
         "n": {"type": "integer", "min": 3, "max": 6},
         "flag": {"type": "boolean"},
         "rule": {"values": ["first", "second", "third"]}}


def mixed_spec(tmp_path, **fields):
    return load_spec(write_spec(tmp_path, model="experiments.testfunctions:busy",
                                parameters=MIXED, outcomes=["y"], **fields), check_model=False)


@pytest.mark.parametrize("sampler, samples", [("sobol", 16), ("morris", 6), ("latin", 40),
                                              ("fast", 70), ("full_factorial", 3)])
def test_every_sampler_gives_the_announced_design(tmp_path, sampler, samples):
    spec = mixed_spec(tmp_path, sampler=sampler, samples=samples)
    design = build_design(spec)
    assert design.n_points == spec.design_size
    assert design.unit.min() >= 0 and design.unit.max() <= 1
    assert list(design.values.columns) == list(MIXED)
    again = build_design(spec)
    np.testing.assert_array_equal(design.unit, again.unit)


def test_seed_changes_the_design(tmp_path):
    a = build_design(mixed_spec(tmp_path, sampler="sobol", samples=16, seed=1))
    b = build_design(mixed_spec(tmp_path, sampler="sobol", samples=16, seed=2))
    assert not np.allclose(a.unit, b.unit)


def test_unit_to_value_mapping(tmp_path):
    spec = mixed_spec(tmp_path)
    unit = np.array([[0.0, 0.0, 0.0, 0.0], [0.5, 0.49, 0.49, 0.5], [1.0, 1.0, 1.0, 1.0]])
    values = to_values(spec, unit)
    assert values["x1"].tolist() == [-2.0, 0.0, 2.0]
    assert values["n"].tolist() == [3, 4, 6]        # four levels, each a quarter of [0, 1)
    assert values["flag"].tolist() == [False, False, True]
    assert values["rule"].tolist() == ["first", "second", "third"]
    assert str(values["n"].dtype) == "int64" and str(values["flag"].dtype) == "bool"


def test_integer_levels_are_equally_likely(tmp_path):
    spec = mixed_spec(tmp_path)
    unit = np.tile(np.linspace(0, 1, 4001)[:, None], (1, 4))
    counts = to_values(spec, unit)["n"].value_counts().sort_index()
    assert counts.index.tolist() == [3, 4, 5, 6]
    assert counts.max() - counts.min() <= 2


def test_points_reach_the_model_as_python_values(tmp_path):
    design = build_design(mixed_spec(tmp_path, sampler="latin", samples=5))
    point = design.point(0)
    assert type(point["x1"]) is float and type(point["n"]) is int
    assert type(point["flag"]) is bool and type(point["rule"]) is str


def test_full_factorial_grid(tmp_path):
    spec = mixed_spec(tmp_path, sampler="full_factorial", samples=3)
    values = build_design(spec).values
    assert sorted(values["x1"].unique()) == [-2.0, 0.0, 2.0]
    assert sorted(values["n"].unique()) == [3, 4, 6]   # 3 evenly spaced of 3..6, rounded
    assert sorted(values["rule"].unique()) == ["first", "second", "third"]
    assert not values.duplicated().any()


def test_groups_reach_salib(tmp_path):
    params = {"x1": {"min": 0, "max": 1, "group": "g"}, "x2": {"min": 0, "max": 1, "group": "g"},
              "x3": {"min": 0, "max": 1}}
    spec = load_spec(write_spec(tmp_path, sampler="sobol", samples=8, parameters=params,
                                model="experiments.testfunctions:busy", outcomes=["y"]),
                     check_model=False)
    design = build_design(spec)
    assert design.problem["groups"] == ["g", "g", "x3"]
    assert design.n_points == 8 * (2 + 2)  # two factors: group g and x3


def test_coded_values_are_numeric(tmp_path):
    spec = mixed_spec(tmp_path)
    design = build_design(spec)
    coded = coded_values(spec, design.values)
    assert set(coded["rule"].unique()) <= {0.0, 1.0, 2.0}
    assert set(coded["flag"].unique()) <= {0.0, 1.0}
