"""`wengang run` end to end."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from ..conftest import BASELINE, RUN_METRICS, SCENARIOS

REQUIRED_COLUMNS = {
    "month",
    "employed",
    "zero_employment_households",
    "in_training",
    "on_public_posts",
    "exported",
    "park_jobs",
    "households_below_monitoring_line",
    "fiscal_cost_yuan",
}


def wengang(*args):
    return subprocess.run([sys.executable, "-m", "model.cli", *map(str, args)], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    proc = wengang("run", BASELINE, "--out", out, "--force", "--scale", 0.02, "--months", 15, "--seed", 3, "--set", "levers.training.daily_allowance_yuan=80")
    assert proc.returncode == 0, proc.stderr
    return out


def test_run_writes_timeseries_summary_and_figures(run_dir):
    ts = pd.read_parquet(run_dir / "timeseries.parquet")
    assert REQUIRED_COLUMNS <= set(ts.columns)
    assert len(ts) == 15
    summary = json.loads((run_dir / "summary.json").read_text())
    assert RUN_METRICS <= set(summary)
    prov = summary["provenance"]
    assert prov["seed"] == 3 and len(prov["scenario_file_sha256"]) == 64
    assert prov["overrides"] == {"levers.training.daily_allowance_yuan": 80, "run.months": 15}
    assert prov["package_version"]
    for fig in ("employment_by_channel.png", "zero_employment_households.png", "fiscal_cost_by_lever.png"):
        assert (run_dir / fig).stat().st_size > 10_000


def test_non_empty_out_is_not_overwritten_without_force(run_dir):
    before = (run_dir / "summary.json").read_bytes()
    proc = wengang("run", BASELINE, "--out", run_dir, "--scale", 0.02, "--months", 14)
    assert proc.returncode == 2
    assert "use --force" in proc.stderr and "Traceback" not in proc.stderr
    assert (run_dir / "summary.json").read_bytes() == before


def test_bad_override_is_rejected(tmp_path):
    proc = wengang("run", BASELINE, "--out", tmp_path / "x", "--set", "levers.monitoring.coverage=2")
    assert proc.returncode == 2
    assert "levers.monitoring.coverage" in proc.stderr and "Traceback" not in proc.stderr


def test_same_seed_same_parquet(tmp_path):
    args = ("run", SCENARIOS / "demand_shock.yaml", "--scale", 0.02, "--months", 14, "--seed", 9)
    assert wengang(*args, "--out", tmp_path / "a").returncode == 0
    assert wengang(*args, "--out", tmp_path / "b").returncode == 0
    a = pd.read_parquet(tmp_path / "a" / "timeseries.parquet")
    b = pd.read_parquet(tmp_path / "b" / "timeseries.parquet")
    pd.testing.assert_frame_equal(a, b)
    assert wengang("run", *args[1:-1], 10, "--out", tmp_path / "c").returncode == 0
    c = pd.read_parquet(tmp_path / "c" / "timeseries.parquet")
    assert not a.equals(c)
