"""``wengang compare``: paired intervals with known answers, common seeds, the
four files, refusals; and one small run of the real model (slow)."""

from __future__ import annotations

import math
import subprocess

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments import store
from experiments.compare import run_compare
from experiments.compare_report import paired_interval, replications_needed
from experiments.runner import run_seed

from .conftest import BASELINE, ROOT, cli, subprocess_env
from .toy_models import paired_toy

TOY = "tests.experiments.toy_models:paired_toy"
ALLOW = ("tests.experiments.toy_models",)
TOY_OUTCOMES = ("y", "path:employed:0", "path:employed:1", "county:north:employed")
#: Spread of each scenario's own noise in the toy; its paired difference has sd OWN_SD * sqrt(2).
OWN_SD = 0.5


def toy_scenario(directory, name, effect, stream, own_sd=OWN_SD):
    path = directory / f"{name}.yaml"
    path.write_text(f"effect: {effect}\nown_sd: {own_sd}\nstream: {stream}\n")
    return path


def compare_toys(tmp_path, effects, replications, seed=2, own_sd=OWN_SD):
    files = [toy_scenario(tmp_path, f"s{i}", e, i + 1, own_sd) for i, e in enumerate(effects)]
    out = tmp_path / "out"
    run_compare(files, out, replications=replications, seed=seed, model=TOY,
                outcomes=TOY_OUTCOMES, allow_models=ALLOW)
    return out, files


# ------------------------------------------------------------ the interval
def test_paired_interval_matches_the_t_formula():
    iv = paired_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    half = stats.t.ppf(0.975, 4) * math.sqrt(2.5) / math.sqrt(5)
    assert (iv.n, iv.mean, iv.sd) == (5, 3.0, pytest.approx(math.sqrt(2.5)))
    assert (iv.low, iv.high) == (pytest.approx(3 - half), pytest.approx(3 + half))
    assert iv.excludes_zero
    assert not paired_interval([-1.0, 1.0, 0.5]).excludes_zero
    assert math.isnan(paired_interval([1.0]).low), "one pair gives no interval"


def test_interval_covers_the_true_difference_95_percent_of_the_time(tmp_path):
    """The toy's true paired difference is 1; its paired spread is OWN_SD * sqrt(2)."""
    a, b = toy_scenario(tmp_path, "a", 0.0, 1), toy_scenario(tmp_path, "b", 1.0, 2)
    covered, spreads, trials, reps = 0, [], 400, 10
    for trial in range(trials):
        seeds = [run_seed(trial, 0, r, common=True) for r in range(reps)]
        d = [paired_toy(f"{b}#", s)["y"] - paired_toy(f"{a}#", s)["y"] for s in seeds]
        iv = paired_interval(d)
        covered += iv.low <= 1.0 <= iv.high
        spreads.append(iv.sd)
    assert 0.92 <= covered / trials <= 0.98  # binomial sd 0.011 around 0.95
    assert np.mean(spreads) == pytest.approx(OWN_SD * math.sqrt(2), rel=0.1), \
        "common seeds cancel the shared noise (sd 10) from the difference"


def test_replications_needed_is_the_fewest_that_exclude_zero():
    assert replications_needed(1.0, 1.0) == 7  # t(.975, 5)/sqrt(6) = 1.05 > 1 > t(.975, 6)/sqrt(7)
    for mean, sd in [(0.3, 1.0), (2.0, 5.0), (-1.0, 3.0)]:
        n = replications_needed(mean, sd)
        assert stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) < abs(mean)
        assert stats.t.ppf(0.975, n - 2) * sd / math.sqrt(n - 1) >= abs(mean)
    assert replications_needed(0.0, 1.0) is None


# ----------------------------------------------------------- end to end
def test_compare_reports_the_known_paired_difference(tmp_path):
    out, files = compare_toys(tmp_path, [0.0, 1.0, 0.0], replications=10)
    for name in ("comparison.csv", "comparison.md", "by_county.csv", "paths.png"):
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "comparison.csv")
    y = table[table["outcome"] == "y"].set_index("scenario")
    assert list(y.index) == ["s0", "s1", "s2"]
    # the same numbers by hand, from the toy on the replications' common seeds
    seeds = [run_seed(2, 0, r, common=True) for r in range(10)]
    d = [paired_toy(f"{files[1]}#", s)["y"] - paired_toy(f"{files[0]}#", s)["y"] for s in seeds]
    iv = paired_interval(d)
    assert y.loc["s1", "difference"] == pytest.approx(iv.mean)
    assert (y.loc["s1", "ci_low"], y.loc["s1", "ci_high"]) == (pytest.approx(iv.low),
                                                                pytest.approx(iv.high))
    assert y.loc["s1", "ci_low"] <= 1.0 <= y.loc["s1", "ci_high"] and y.loc["s1", "excludes_zero"]
    assert y.loc["s2", "ci_low"] <= 0.0 <= y.loc["s2", "ci_high"], "no effect: 0 inside"
    assert y.loc["s1", "difference_sd"] < 1.5, "paired: the shared noise (sd 10) cancels"
    county = pd.read_csv(out / "by_county.csv")
    assert set(county["county"]) == {"north"} and set(county["metric"]) == {"employed"}
    text = (out / "comparison.md").read_text()
    assert "## s1 minus s0" in text and "## s2 minus s0" in text


def test_every_scenario_gets_the_same_seed_in_a_replication(tmp_path):
    out, _ = compare_toys(tmp_path, [0.0, 1.0], replications=4)
    runs = store.load_runs(out).table
    seeds = runs.pivot(index="replication", columns="point", values="seed")
    assert (seeds[0] == seeds[1]).all() and seeds[0].nunique() == 4


def test_says_when_replications_are_too_few(tmp_path):
    out, _ = compare_toys(tmp_path, [0.0, 0.2], replications=3, own_sd=1.0)
    row = pd.read_csv(out / "comparison.csv").query("outcome == 'y' and scenario == 's1'").iloc[0]
    assert not row["excludes_zero"]
    need = replications_needed(row["difference"], row["difference_sd"])
    assert row["replications_needed"] == need > 3
    assert (f"`y`: R = 3 is too small for the interval to exclude 0 for a difference of this "
            f"size; about {need} would be needed") in (out / "comparison.md").read_text()


def test_refusals_exit_2_one_line_each_and_leave_no_folder(tmp_path):
    out = tmp_path / "cmp"
    done = subprocess.run(cli("compare", str(BASELINE), str(tmp_path / "missing.yaml"),
                              "--replications", "1", "--scale", "2", "--out", str(out)),
                          capture_output=True, text=True, env=subprocess_env(), cwd=ROOT)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert any(line.startswith("--replications: ") for line in lines)
    assert any(line.startswith("--scale: ") for line in lines)
    assert any("missing.yaml" in line and "no such file" in line for line in lines)
    assert "Traceback" not in done.stderr and not out.exists()


@pytest.mark.slow
def test_real_model_baseline_against_no_public_posts(tmp_path, real_model):
    out = tmp_path / "cmp"
    done = subprocess.run(cli("compare", str(BASELINE), str(ROOT / "scenarios" / "no_public_posts.yaml"),
                              "--replications", "3", "--scale", "0.02", "--months", "18",
                              "--out", str(out), "--workers", "2", "--quiet"),
                          capture_output=True, text=True, env=subprocess_env(), cwd=ROOT)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out / "comparison.csv").set_index(["outcome", "scenario"])
    cost = table.loc[("fiscal_cost_total_yuan", "no_public_posts")]
    assert cost["ci_high"] < 0, "no posts cost less"
    county = pd.read_csv(out / "by_county.csv")
    assert county["county"].nunique() >= 10 and "zero_employment_households" in set(county["metric"])
    assert (out / "paths.png").stat().st_size > 10_000
