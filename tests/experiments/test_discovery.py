"""Zero stays zero: probabilities, PRIM boxes, regional sensitivity, cost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments import discovery
from experiments.sampling import build_design
from experiments.spec import load_spec

from .conftest import write_spec

PARAMS = {"levers.posts": {"min": 0, "max": 20},
          "levers.clearing": {"type": "boolean"},
          "levers.rule": {"values": ["first", "lottery"]},
          "uncertainties.shock": {"min": 0, "max": 0.4}}


def study(tmp_path, samples=300, replications=2, **analysis):
    spec = load_spec(write_spec(tmp_path, parameters=PARAMS, samples=samples,
                                replications=replications, outcomes=["zeros", "cost"],
                                model="experiments.testfunctions:busy",
                                analysis={"zero_outcome": "zeros", "cost_outcome": "cost",
                                          **analysis}), check_model=False)
    return spec, build_design(spec)


def runs_for(design, replications=2, rule=None) -> pd.DataFrame:
    """Zero stays zero when posts >= 10 and clearing is on (and the rule, if given)."""
    rows = []
    for p in range(design.n_points):
        x = design.point(p)
        stays = x["levers.posts"] >= 10 and x["levers.clearing"]
        if rule is not None:
            stays = stays and x["levers.rule"] == rule
        for r in range(replications):
            rows.append({"point": p, "replication": r, "status": "ok", **x,
                         "zeros": 0.0 if stays else 5.0 + r,
                         "cost": 100 * x["levers.posts"] + 10 * x["levers.clearing"],
                         "fiscal_cost_posts_yuan": 100 * x["levers.posts"]})
    return pd.DataFrame(rows)


def test_stay_probability_per_point(tmp_path):
    spec, design = study(tmp_path, samples=20, replications=3)
    runs = runs_for(design, replications=3)
    runs.loc[runs["replication"] == 2, "zeros"] = 0.0  # every point stays once in three
    points = discovery.stay_table(spec, design, runs)
    assert len(points) == 20 and set(points["ok_runs"]) == {3}
    assert points["p_stay"].between(1 / 3, 1).all()
    assert "fiscal_cost_posts_yuan" in points


def test_prim_recovers_the_box(tmp_path):
    spec, design = study(tmp_path, prim={"min_density": 0.95})
    result = discovery.discover(spec, design, runs_for(design))
    boxes = result.boxes
    assert set(boxes.columns) >= {"box", "parameter", "min", "max", "values", "coverage",
                                  "density", "kind", "mean_cost_at_zero"}
    first = boxes[boxes["box"] == 1].set_index("parameter")
    assert 9 <= first.loc["levers.posts", "min"] <= 10   # the true edge is 10
    assert first.loc["levers.posts", "max"] == 20  # an untouched end is the sampled bound
    assert first.loc["levers.clearing", "values"] == "True"   # a boolean restriction
    assert first["density"].iloc[0] >= 0.95 and first["coverage"].iloc[0] >= 0.9
    assert set(first["kind"]) == {"lever"}


def test_prim_reports_the_widest_box_dense_enough(tmp_path):
    spec, design = study(tmp_path)  # min_density 0.9 by default
    traj = discovery.discover(spec, design, runs_for(design)).trajectories
    first = traj[traj["box"] == 1]
    chosen = first[first["selected"]].iloc[0]
    dense = first[first["density"] >= 0.9]
    assert chosen["density"] >= 0.9 and chosen["coverage"] == dense["coverage"].max()
    assert (traj.groupby("box")["selected"].sum() == 1).all()


def test_prim_handles_categorical_restrictions(tmp_path):
    spec, design = study(tmp_path, samples=400)
    result = discovery.discover(spec, design, runs_for(design, rule="lottery"))
    first = result.boxes[result.boxes["box"] == 1].set_index("parameter")
    assert first.loc["levers.rule", "values"] == "lottery"


def test_regional_sensitivity_ranks_the_levers(tmp_path):
    spec, design = study(tmp_path)
    regional = discovery.discover(spec, design, runs_for(design)).regional
    assert set(regional["parameter"].head(2)) == {"levers.posts", "levers.clearing"}
    assert regional.set_index("parameter").loc["uncertainties.shock", "p_value"] > 0.01


def test_cheapest_point_that_keeps_zero(tmp_path):
    spec, design = study(tmp_path)
    result = discovery.discover(spec, design, runs_for(design))
    points = result.points
    assert result.cheapest["stays"]
    assert result.cheapest["cost"] == points.loc[points["stays"], "cost"].min()
    assert not result.pawn.empty


@pytest.mark.parametrize("zeros, note", [(0.0, "Every design point"), (3.0, "No design point")])
def test_degenerate_cases_say_so(tmp_path, zeros, note):
    spec, design = study(tmp_path, samples=30)
    runs = runs_for(design)
    runs["zeros"] = zeros
    result = discovery.discover(spec, design, runs)
    assert result.boxes.empty and any(n.startswith(note) for n in result.notes)


def test_no_zero_outcome_no_analysis(tmp_path):
    spec, design = study(tmp_path, samples=10)
    assert discovery.discover(spec, design, runs_for(design).drop(columns="zeros")) is None


def test_stay_probability_threshold(tmp_path):
    spec, design = study(tmp_path, samples=30, replications=2, stay_probability=0.5)
    runs = runs_for(design)
    runs.loc[runs["replication"] == 1, "zeros"] = 0.0
    points = discovery.stay_table(spec, design, runs)
    assert points["stays"].all() and np.isclose(points["p_stay"].min(), 0.5)


def test_prim_is_the_pinned_release_whose_internals_discovery_reads():
    """discovery._box_limits reads PrimBox internals; an upgrade must fail here
    until those are checked again (and PRIM_VERSION and the pin move together)."""
    import importlib.metadata
    import re
    from pathlib import Path

    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    pins = re.findall(r'"prim([^"]*)"', pyproject)
    assert pins == [f"=={discovery.PRIM_VERSION}"], f"pyproject.toml must pin prim=={discovery.PRIM_VERSION}: {pins}"
    assert importlib.metadata.version("prim") == discovery.PRIM_VERSION
    from prim.prim_box import PrimBox

    assert callable(getattr(PrimBox, "_calculate_quasi_p", None)), "PrimBox._calculate_quasi_p is gone"
