"""The shipped studies on the Wengang model: quick.yaml end to end, and
zero_stays_zero.yaml at a small scale producing PRIM boxes.

What they produce is tested here; how long quick.yaml takes is measured by
``benchmarks/bench_studies.py`` (a time depends on the machine's load)."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest
import yaml

from experiments import store

from .conftest import BASELINE, SPECS, cli, subprocess_env

pytestmark = pytest.mark.slow
RUN_TIMEOUT_S = 900  # a hung command, not a budget
#: zero_stays_zero.yaml shrunk to a test: points, replications, scale, months.
SMALL = {"samples": 200, "replications": 1, "scale": 0.011, "months": 24}  # one village per county


def wengang(*argv: str) -> subprocess.CompletedProcess:
    done = subprocess.run(cli(*argv), capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                          env=subprocess_env())
    assert done.returncode == 0, done.stderr
    return done


def test_quick_runs_end_to_end(tmp_path, real_model):
    out = tmp_path / "quick"
    wengang("sweep", str(SPECS / "quick.yaml"), "--out", str(out), "--workers", "2", "--quiet")
    wengang("analyze", str(out), "--quiet")
    runs = store.load_runs(out)
    assert len(runs.table) == store.read_manifest(out)["design_size"]["runs"]
    text = (out / "report.md").read_text()
    for heading in ("## Study", "## Runs", "### Sobol indices", "## Zero stays zero",
                    "### Cost", "## Caveats"):
        assert heading in text
    sobol = pd.read_csv(out / "analysis" / "sobol.csv")
    assert {"employed_end", "fiscal_cost_total_yuan"} <= set(sobol["outcome"])


def test_zero_stays_zero_finds_prim_boxes(tmp_path, real_model):
    data = yaml.safe_load((SPECS / "zero_stays_zero.yaml").read_text())
    data.update(SMALL, scenario=str(BASELINE))
    spec = tmp_path / "zero_small.yaml"
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "zero"
    wengang("sweep", str(spec), "--out", str(out), "--workers", "2", "--quiet")
    wengang("analyze", str(out), "--quiet")
    boxes = pd.read_csv(out / "analysis" / "prim_boxes.csv")
    assert len(boxes) > 0 and boxes["coverage"].between(0, 1).all()
    assert boxes["density"].between(0, 1).all()
    assert boxes["parameter"].str.startswith(("levers.", "uncertainties.")).all()
    text = (out / "report.md").read_text()
    assert "### Scenario discovery (PRIM)" in text and "The cheapest point" in text
