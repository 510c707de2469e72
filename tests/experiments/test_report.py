"""``wengang analyze``: tables, figures, report.md, and its guards."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from experiments import store
from experiments.narrative import md_table
from experiments.report import analyze_dir
from experiments.runner import run_sweep
from experiments.spec import load_spec
from model.validation import InputError

from .conftest import write_spec


def sweep(tmp_path, **fields):
    path = write_spec(tmp_path, **fields)
    run_sweep(load_spec(path), path, tmp_path / "out", progress=False)
    return tmp_path / "out"


def test_sobol_study_report(tmp_path):
    out = sweep(tmp_path, sampler="sobol", samples=32, replications=2)
    analysis = analyze_dir(out)
    sobol = pd.read_csv(out / "analysis" / "sobol.csv")
    assert list(sobol.columns) == ["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert set(sobol["outcome"]) == {"y", "zero_count", "cost"}
    for name in ("indices.png", "pawn.png", "distributions.png", "prim_boxes.csv",
                 "prim_tradeoff.png", "regional_cdfs.png", "outcomes.csv", "zero_by_point.csv"):
        assert (out / "analysis" / name).exists(), name
    text = analysis.report.read_text()
    for heading in ("# Experiment report: spec", "## Study", "## Runs", "## Outcomes",
                    "### Sobol indices", "## Zero stays zero", "### Scenario discovery (PRIM)",
                    "### Cost", "## Caveats"):
        assert heading in text, heading
    assert "128 design points × 2 replications = 256 runs" in text
    assert "![Sobol indices](analysis/indices.png)" in text
    assert "P(stay at zero) moves in steps of 1/2" in text  # few replications caveat


def test_morris_study_report(tmp_path):
    out = sweep(tmp_path, sampler="morris", samples=8)
    analyze_dir(out)
    morris = pd.read_csv(out / "analysis" / "morris.csv")
    assert {"mu", "mu_star", "mu_star_conf", "sigma"} <= set(morris.columns)
    assert (out / "analysis" / "morris.png").exists()
    assert "### Morris screening" in (out / "report.md").read_text()


def test_failed_runs_are_excluded_and_counted(tmp_path):
    out = sweep(tmp_path, model="experiments.testfunctions:fails_where", outcomes=["y"],
                sampler="sobol", samples=32, replications=1, analysis={})
    runs = store.load_runs(out)
    failed = len(runs.failed)
    assert failed > 0
    analysis = analyze_dir(out)
    text = analysis.report.read_text()
    assert analysis.excluded == failed
    assert f"{len(runs.ok)} succeeded, {failed} failed" in text
    assert f"{failed} failed runs are excluded" in text
    assert "deliberate failure" in text  # the error text is listed
    errors = pd.read_csv(out / "analysis" / "failures.csv")
    assert errors["runs"].sum() == failed
    assert "left out" in text  # Sobol dropped the base samples with failed points


def test_an_incomplete_sweep_says_so(tmp_path):
    out = sweep(tmp_path)
    parts = sorted((out / store.RUNS_DIR).glob(store.PART_GLOB))
    parts[-1].unlink()
    text = analyze_dir(out).report.read_text()
    assert "The sweep is incomplete" in text and "--resume" in text


def test_analysis_settings_may_change_but_not_the_design(tmp_path):
    out = sweep(tmp_path)
    copy = out / store.SPEC_COPY
    copy.write_text(copy.read_text() + "description: edited afterwards\n")
    analyze_dir(out)  # a description is not part of the design
    copy.write_text(copy.read_text().replace("samples: 20", "samples: 21"))
    with pytest.raises(InputError, match="edited after the sweep"):
        analyze_dir(out)


def test_a_design_that_no_longer_matches_is_refused(tmp_path):
    out = sweep(tmp_path)
    part = sorted((out / store.RUNS_DIR).glob(store.PART_GLOB))[0]
    table = pq.read_table(part).to_pandas()
    table["x1"] = table["x1"] + 0.01
    table.to_parquet(part)
    with pytest.raises(InputError, match="no longer matches the stored runs"):
        analyze_dir(out)


def test_no_runs_no_analysis(tmp_path):
    path = write_spec(tmp_path)
    store.prepare(tmp_path / "out", load_spec(path), path, resume=False, force=False)
    with pytest.raises(InputError, match="holds no runs yet"):
        analyze_dir(tmp_path / "out")


def test_markdown_tables():
    frame = pd.DataFrame({"a": ["x|y", "z"], "b": [0.123456, float("nan")]})
    assert md_table(frame).splitlines() == ["| a | b |", "|---|---|", "| x\\|y | 0.123 |",
                                            "| z |  |"]


@pytest.mark.parametrize("sample", ["", " (in the sample)"])
def test_zero_figures_carry_the_sample_qualifier(tmp_path, monkeypatch, sample):
    """Below full scale every figure label that claims zero says "(in the
    sample)", as report.md does; at full scale none does."""
    import pandas as pd

    from experiments import figures

    saved = []
    monkeypatch.setattr(figures, "_save", lambda fig, path: saved.append(fig) or path)
    points = pd.DataFrame({"cost": [1.0, 2.0], "p_stay": [0.0, 1.0], "stays": [False, True]})
    figures.cost_vs_stay(points, tmp_path / "c.png", "cost", sample)
    traj = pd.DataFrame({"box": [1, 1], "coverage": [1.0, 0.5], "density": [0.5, 1.0],
                         "res dim": [0, 1], "selected": [False, True]})
    figures.prim_tradeoff(traj, tmp_path / "t.png", sample)
    labels = [ax.get_ylabel() for fig in saved for ax in fig.axes if "zero" in ax.get_ylabel()]
    assert len(labels) == 2
    assert all(label.endswith(sample) for label in labels)
    assert all(("(in the sample)" in label) == bool(sample) for label in labels)
