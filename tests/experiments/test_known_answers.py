"""Known answers: Ishigami and the Sobol G-function at N = 1024, run as
``module:function`` models through ``wengang sweep`` and ``wengang analyze``,
reproduce their analytic S1 and ST within the reported confidence intervals.

The check is |estimate - analytic| <= conf for every index, with one stated
exception.  SALib's bootstrap intervals under-cover for indices close to 0:
for the G-function's x5-x8 (analytic S1 = 7e-5, ST = 1e-4) the estimate is
typically off by 0.001-0.003 while the half-width is 0.0008.  With the seed
of the shipped spec, x6's S1 comes out 0.0027 ± 0.0008.  For indices whose
analytic value is below NEAR_ZERO_INDEX we therefore accept an error up to
max(conf, NEAR_ZERO_TOLERANCE).  Checked on SALib alone over seeds 0-39 and
the shipped seed: with this rule every index passes; the largest near-zero
error is 0.0027; no influential index ever missed its interval.  The seed was
not tuned to make this pass.
"""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest

from experiments.testfunctions import ishigami_indices, sobol_g_indices

from .conftest import SPECS, cli, subprocess_env

pytestmark = pytest.mark.slow
RUN_TIMEOUT_S = 600
#: Analytic indices below this are "near zero" (see module doc) ...
NEAR_ZERO_INDEX = 1e-3
#: ... and may miss by up to this much when their interval is narrower.
NEAR_ZERO_TOLERANCE = 0.005


def sweep_and_analyze(spec_name: str, out) -> pd.DataFrame:
    for argv in (("sweep", str(SPECS / spec_name), "--out", str(out), "--workers", "2",
                  "--quiet"), ("analyze", str(out), "--quiet")):
        done = subprocess.run(cli(*argv), capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                              env=subprocess_env())
        assert done.returncode == 0, done.stderr
    return pd.read_csv(out / "analysis" / "sobol.csv")


def misses(table: pd.DataFrame, exact: dict[str, list[float]]) -> list[str]:
    out = []
    for index in ("S1", "ST"):
        for row, value in zip(table.itertuples(), exact[index]):
            estimate, conf = getattr(row, index), getattr(row, f"{index}_conf")
            tolerance = conf if value >= NEAR_ZERO_INDEX else max(conf, NEAR_ZERO_TOLERANCE)
            if abs(estimate - value) > tolerance:
                out.append(f"{row.parameter} {index}: {estimate:.4f} ± {conf:.4f}, "
                           f"exact {value:.4f}")
    return out


@pytest.mark.parametrize("spec_name, exact", [
    ("check_ishigami.yaml", ishigami_indices()),
    ("check_sobol_g.yaml", sobol_g_indices()),
], ids=["ishigami", "sobol_g"])
def test_analytic_indices_within_confidence_intervals(tmp_path, spec_name, exact):
    table = sweep_and_analyze(spec_name, tmp_path / "out")
    assert table["parameter"].tolist() == [f"x{i + 1}" for i in range(len(exact["S1"]))]
    assert misses(table, exact) == []
