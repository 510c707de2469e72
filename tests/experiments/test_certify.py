"""What a sample certifies at full scale: the bound, its column and the report's wording."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy.stats import beta, binom

from experiments import certify
from experiments.narrative import in_sample
from experiments.report import analyze_dir
from experiments.runner import run_sweep
from experiments.spec import load_spec

from .conftest import SPECS, write_spec

def rule_of_three_tolerance(n: int) -> float:
    """The documented excess of the rule of three over the exact bound (certify's doc)."""
    return 0.0015 + 2 / n


#: Toy population: households, months after the warm-up.
HOUSEHOLDS, MONTHS = 1000, 12
ALLOW = ("tests.experiments.test_certify",)
UNQUALIFIED = re.compile(r"\b(keeps?|keeping) (zero-employment households|zero) at zero\b"
                         r"(?! \(in the sample\))")


def sampled_zero(x1: float, x2: float, seed: int = 0, scale: float = 1.0) -> dict[str, float]:
    """A toy run: no zero-employment household-month when x1 < 0.5, else
    1 + floor(10 x2) of them in the sample; reported as the model does."""
    zero = 0 if x1 < 0.5 else 1 + int(10 * x2)
    sampled = round(HOUSEHOLDS * scale)
    return {"zero_employment_households_peak": float(zero > 0), "cost": 10 * x1 + x2,
            "households_sampled": float(sampled), "households_fullscale": float(HOUSEHOLDS),
            "zero_household_months_sampled": float(zero), "months_after_warmup": float(MONTHS)}


def test_none_observed_is_the_rule_of_three_within_its_tolerance():
    n = 1000
    exact = 1 - 0.05 ** (1 / n)  # Clopper-Pearson with k = 0: P(X = 0) = 0.05
    bound = certify.share_upper(0, n)
    assert bound == pytest.approx(3 / n)
    assert exact <= bound <= exact * (1 + rule_of_three_tolerance(n))
    assert certify.share_upper(0, 2) == 1.0  # a share is at most 1


@pytest.mark.parametrize(("k", "n"), [(1, 1000), (7, 5400), (250, 1000)])
def test_some_observed_is_clopper_pearson(k, n):
    bound = certify.share_upper(k, n)
    assert bound == pytest.approx(beta.ppf(0.95, k + 1, n - k), rel=1e-12)
    # the defining property: a share this high would give k or fewer only 5 % of the time
    assert binom.cdf(k, n, bound) == pytest.approx(0.05, rel=1e-6)
    assert certify.share_upper(n, n) == 1.0


def runs_frame() -> pd.DataFrame:
    """Three points of three replications: at 10 % scale none seen, at 10 %
    scale 7 seen in all, and at full scale 5 per run; one failed run."""
    rows = []
    for point, scale, zeros in ((0, 0.1, (0, 0, 0)), (1, 0.1, (3, 4, 0)), (2, 1.0, (5, 5, 5))):
        for rep, zero in enumerate(zeros):
            rows.append({"point": point, "replication": rep, "status": "ok",
                         "households_sampled": HOUSEHOLDS * scale,
                         "households_fullscale": HOUSEHOLDS,
                         "zero_household_months_sampled": zero, "months_after_warmup": MONTHS})
    rows.append({"point": 1, "replication": 3, "status": "failed"})
    return pd.DataFrame(rows)


def test_bound_per_point_pools_the_replications():
    table = certify.by_point(runs_frame())
    n = 3 * 100 * MONTHS  # household-months simulated per point at 10 % scale
    full = HOUSEHOLDS * MONTHS
    assert table.loc[0, "household_months_sampled"] == n
    assert table.loc[0, certify.COLUMN] == pytest.approx(3 / n * full)
    assert table.loc[0, "bound"] == "rule_of_three"
    assert table.loc[1, certify.COLUMN] == pytest.approx(beta.ppf(0.95, 8, n - 7) * full)
    assert table.loc[1, "bound"] == "clopper_pearson"
    assert table.loc[2, certify.COLUMN] == pytest.approx(5.0)  # observed, per run
    assert table.loc[2, "bound"] == "observed" and table.loc[2, "full_scale"]
    assert certify.below_full_scale(table, None)
    assert not certify.below_full_scale(table.loc[[2]], 0.5)  # the data win over the spec
    assert certify.by_point(runs_frame().drop(columns="months_after_warmup")).empty


def test_in_sample_qualifies_every_claim_of_zero():
    text = ("3 of 9 points keep zero-employment households at zero. A point *keeps zero at "
            "zero* when... The cheapest point that keeps zero at zero (in the sample). "
            "P(stay at zero)")
    out = in_sample(text)
    assert not UNQUALIFIED.search(out)
    assert out.count("(in the sample)") == 3 and "P(stay at zero)" in out
    assert in_sample(out) == out


def toy_sweep(tmp_path, scale: float):
    path = write_spec(tmp_path, model="tests.experiments.test_certify:sampled_zero",
                      samples=20, replications=2, scale=scale,
                      outcomes=["zero_employment_households_peak", "cost",
                                *certify.METRICS],
                      analysis={"zero_outcome": "zero_employment_households_peak",
                                "cost_outcome": "cost"})
    out = tmp_path / "out"
    run_sweep(load_spec(path, allow_models=ALLOW), path, out, progress=False,
              allow_models=ALLOW)
    analyze_dir(out)
    points = pd.read_csv(out / "analysis" / "zero_by_point.csv").set_index("point")
    return points, (out / "report.md").read_text()


def test_below_full_scale_the_report_qualifies_and_bounds(tmp_path):
    points, text = toy_sweep(tmp_path, scale=0.1)
    n = 2 * 100 * MONTHS  # two replications of 100 sampled households
    stays = points[points["stays"]]
    assert len(stays) and (points["bound"] != "observed").all()
    assert np.allclose(stays[certify.COLUMN], 3 / n * HOUSEHOLDS * MONTHS)
    seen = points[~points["stays"]].iloc[0]
    k = seen["zero_hh_months_sampled"]
    assert seen[certify.COLUMN] == pytest.approx(beta.ppf(0.95, k + 1, n - k) * HOUSEHOLDS
                                                 * MONTHS)
    assert "keep zero-employment households at zero (in the sample)" in text
    assert "the sample cannot rule out up to 15 full-scale zero-employment household-months" \
        in text  # 3/2400 x 12,000 = 15
    assert "### What the sample can certify" in text
    assert not UNQUALIFIED.search(text), UNQUALIFIED.search(text).group(0)


def test_at_full_scale_the_column_is_observed_and_claims_stand(tmp_path):
    points, text = toy_sweep(tmp_path, scale=1.0)
    assert (points["bound"] == "observed").all()
    expected = points["zero_hh_months_sampled"] / 2  # mean per run over two replications
    assert np.allclose(points[certify.COLUMN], expected)
    assert "(in the sample)" not in text and "### Full scale" in text
    assert "no bound is needed" in text


def test_zero_stays_zero_ships_at_full_scale():
    spec = load_spec(SPECS / "zero_stays_zero.yaml", check_model=False)
    assert spec.scale == 1.0
    assert (spec.samples, spec.replications, spec.months) == (1000, 3, 48)
