"""Sensitivity indices: replication means, guards, Sobol/Morris/FAST/PAWN."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments import sensitivity
from experiments.sampling import build_design
from experiments.spec import load_spec
from experiments.testfunctions import ishigami_indices

from .conftest import write_spec

PI = 3.141592653589793
ISHIGAMI = {f"x{i}": {"min": -PI, "max": PI} for i in (1, 2, 3)}


def ishigami_runs(design) -> pd.DataFrame:
    from SALib.test_functions import Ishigami

    values = design.values.to_numpy(dtype=float)
    return pd.DataFrame({"point": np.arange(design.n_points), "replication": 0,
                         "y": Ishigami.evaluate(values), "status": "ok"})


def spec_for(tmp_path, **fields):
    base = {"model": "experiments.testfunctions:ishigami", "parameters": ISHIGAMI,
            "outcomes": ["y"], "replications": 1, "analysis": {}}
    return load_spec(write_spec(tmp_path, **{**base, **fields}))


def test_point_means_skip_failed_runs():
    runs = pd.DataFrame({"point": [0, 0, 1, 2], "replication": [0, 1, 0, 0],
                         "y": [1.0, 3.0, np.nan, 5.0], "status": ["ok", "ok", "failed", "ok"]})
    np.testing.assert_array_equal(sensitivity.point_means(runs, "y", 4), [2.0, np.nan, 5.0, np.nan])


def test_near_constant_outcomes_are_caught():
    assert sensitivity.near_constant(np.array([0.0] * 96 + [1.0] * 4), 0.95).startswith("96%")
    assert sensitivity.near_constant(np.arange(100.0), 0.95) is None
    assert "no design point" in sensitivity.near_constant(np.full(3, np.nan), 0.95)


def test_noise_share_separates_replication_noise():
    rng = np.random.default_rng(0)
    points = np.repeat(np.arange(50), 4)
    signal = np.repeat(rng.normal(0, 1, 50), 4)
    runs = pd.DataFrame({"point": points, "y": signal + rng.normal(0, 1, 200), "status": "ok"})
    assert 0.3 < sensitivity.noise_share(runs, "y") < 0.7
    assert np.isnan(sensitivity.noise_share(runs.drop_duplicates("point"), "y"))


def test_sobol_on_ishigami(tmp_path):
    spec = spec_for(tmp_path, sampler="sobol", samples=512)
    design = build_design(spec)
    result = sensitivity.analyse(spec, design, ishigami_runs(design))
    table = result.tables["sobol"]
    assert list(table.columns) == ["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    exact = ishigami_indices()
    np.testing.assert_allclose(table["S1"], exact["S1"], atol=0.1)
    np.testing.assert_allclose(table["ST"], exact["ST"], atol=0.1)


def test_sobol_drops_base_samples_with_missing_points(tmp_path):
    spec = spec_for(tmp_path, sampler="sobol", samples=256)
    design = build_design(spec)
    runs = ishigami_runs(design)
    runs.loc[[0, 7, 12], "status"] = "failed"  # rows of base samples 0, 1 and 2 (5 rows each)
    result = sensitivity.analyse(spec, design, runs)
    assert any("left out 3 of 256 base samples" in n for n in result.notes)
    assert result.tables["sobol"]["S1"].notna().all()


def test_morris_ranks_a_linear_model(tmp_path):
    spec = load_spec(write_spec(tmp_path, sampler="morris", samples=10, outcomes=["y"],
                                model="experiments.testfunctions:noisy_linear", analysis={}))
    design = build_design(spec)
    x = design.values
    runs = pd.DataFrame({"point": np.arange(design.n_points), "status": "ok",
                         "y": 2 * x["x1"] + x["x2"]})
    table = sensitivity.analyse(spec, design, runs).tables["morris"]
    mu_star = dict(zip(table["parameter"], table["mu_star"]))
    # one grid step is 2/3 of the range: effects 2 and 1 per range
    assert mu_star["x1"] == pytest.approx(2.0, rel=1e-6)
    assert mu_star["x2"] == pytest.approx(1.0, rel=1e-6)
    assert table["sigma"].max() < 1e-9


def test_fast_on_ishigami_and_needs_every_point(tmp_path):
    spec = spec_for(tmp_path, sampler="fast", samples=1000)
    design = build_design(spec)
    runs = ishigami_runs(design)
    table = sensitivity.analyse(spec, design, runs).tables["fast"]
    np.testing.assert_allclose(table["S1"], ishigami_indices()["S1"], atol=0.05)
    runs.loc[5, "status"] = "failed"
    result = sensitivity.analyse(spec, design, runs)
    assert "fast" not in result.tables and any("FAST needs every" in n for n in result.notes)


def test_near_constant_outcome_gets_no_variance_indices(tmp_path):
    spec = spec_for(tmp_path, sampler="sobol", samples=64, outcomes=["y", "zeros"])
    design = build_design(spec)
    runs = ishigami_runs(design)
    runs["zeros"] = 0.0
    runs.loc[3, "zeros"] = 1.0
    result = sensitivity.analyse(spec, design, runs)
    assert set(result.tables["sobol"]["outcome"]) == {"y"}
    assert "zeros" in result.skipped and "same value (0)" in result.skipped["zeros"]


def test_pawn_on_any_design(tmp_path):
    spec = spec_for(tmp_path, sampler="latin", samples=600)
    design = build_design(spec)
    table = sensitivity.analyse(spec, design, ishigami_runs(design)).tables["pawn"]
    median = dict(zip(table["parameter"], table["median"]))
    assert median["x2"] > median["x3"] and median["x1"] > median["x3"]


def test_wide_confidence_intervals_become_a_caveat(tmp_path):
    spec = spec_for(tmp_path, sampler="sobol", samples=16)
    design = build_design(spec)
    notes = sensitivity.analyse(spec, design, ishigami_runs(design)).notes
    assert any("confidence half-widths up to" in n for n in notes)
