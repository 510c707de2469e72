"""Calibration of the baseline to the case: the targets on seeds the fit never
ran, checks the fit never sees, the calendar, the fit machinery, the report."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pytest

from experiments import calibration
from experiments.calibration import emulator, findings, fitting, report, runs, yaml_edit
from experiments.calibration.targets import FREE_PARAMETERS, TARGET_BY_KEY, TARGETS, Calendar, date_of, fmt, month_number

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baoji_baseline.yaml"
REPORT = ROOT / "docs" / "calibration.md"
SCALE = 0.1  # the fit's own scale; the report runs at scale 1.0
HELD_OUT_SEEDS = (41, 42, 43)
"""Seeds no stage of the fit runs (checked below), so the targets are met out of sample."""
FINDINGS = {
    "training_placement_rate": "placement after training stays above 0.77 even with the noisiest hiring and the "
                               "least placement effort in range",
    "market_employed_change": "market work does not rise from 2020 to Oct 2021 as the case's does",
    "park_entrants": "the flow into park jobs is below the case's 42,000 with the growth lever at its stated value",
    "zero_employment_households_max": "zero-employment households are not cleared in 2021 with a finite budget",
}
"""Targets the calibrated baseline misses, as docs/calibration.md reports them. Their tests are strict
xfails: they fail the suite (XPASS) once the model meets them, so the report and this list are revisited."""


def _cases(keys):
    return [pytest.param(k, marks=pytest.mark.xfail(strict=True, reason=f"finding: {FINDINGS[k]}"))
            if k in FINDINGS else k for k in keys]


@pytest.fixture(scope="module")
def scenario():
    from model import load_scenario

    return load_scenario(BASELINE)


@pytest.fixture(scope="module")
def held_out():
    return runs.evaluate(BASELINE, seeds=HELD_OUT_SEEDS, scale=SCALE, workers=1)


# ------------------------------------------------ the baseline, out of sample
def test_held_out_seeds_are_not_fit_seeds():
    assert not set(HELD_OUT_SEEDS) & fitting.seeds_used()


def test_every_finding_is_in_the_report():
    """A target the baseline misses is reported as not met in docs/calibration.md."""
    text = REPORT.read_text(encoding="utf-8")
    for key in FINDINGS:
        row = next(line for line in text.splitlines() if line.startswith(f"| {TARGET_BY_KEY[key].label} |"))
        assert "**not met**" in row, key


@pytest.mark.parametrize("key", _cases(t.key for t in TARGETS if t.fitted))
def test_fitted_target_is_met_on_held_out_seeds(held_out, key):
    """The mean of three replications on seeds the fit never ran lies in the target's band."""
    t, mean = TARGET_BY_KEY[key], float(np.mean(held_out[key]))
    assert t.met(mean), f"{t.label}: model {mean:,.4g} (seeds {held_out[key].round(4).tolist()}), " \
                        f"case {t.value:,g}, tolerance {t.tolerance}"


@pytest.mark.parametrize("key", _cases(t.key for t in TARGETS if not t.fitted and t.key != "post_share_of_employed"))
def test_check_the_fit_never_sees_is_met(held_out, key):
    t, mean = TARGET_BY_KEY[key], float(np.mean(held_out[key]))
    assert not t.fitted
    assert t.met(mean), f"{t.label}: model {mean:,.4g}, band {t.tolerance}"


def test_post_share_lies_in_the_external_band_every_month(held_out):
    """State Council poverty office, 30 Sep 2020: posts 4.9486 M beside 29.3441 M working away (~14 %).
    Every month of 2020-21, in every held-out replication, lies in 8-20 %; the fit never sees it."""
    assert not TARGET_BY_KEY["post_share_of_employed"].fitted
    lo, hi = held_out["post_share_min"].min(), held_out["post_share_max"].max()
    assert 0.08 <= lo and hi <= 0.20, f"post share {lo:.3f}-{hi:.3f}, outside 8-20 %"


# ------------------------------------------------------ the case as read
def test_the_post_share_band_is_the_state_council_check_unloosened():
    t = TARGET_BY_KEY["post_share_of_employed"]
    assert (t.lower, t.upper) == (0.08, 0.20) and t.value == pytest.approx(0.1443, abs=1e-4)


def test_bands_have_their_known_edges():
    level, at_most, zero = TARGET_BY_KEY["market_employed_2020"], TARGET_BY_KEY["agricultural_jobs_2021"], \
        TARGET_BY_KEY["zero_employment_households_max"]
    assert level.met(232_200) and level.met(283_800) and not level.met(232_100) and not level.met(283_900)
    assert level.tolerance == "±10 %"
    assert at_most.met(0) and at_most.met(62_900) and not at_most.met(63_000) and at_most.tolerance == "at most 62,900"
    assert zero.met(0) and not zero.met(1)
    assert [t.key for t in TARGETS if t.fitted] == ["market_employed_2020", "market_employed_2021",
                                                      "training_placement_rate"], "the case's levels, read as market work"


def test_calendar_places_the_case_dates_from_the_run_start():
    assert month_number("2020-01", "2020-12") == 11 and month_number("2020-01", "2021-10") == 21
    assert date_of("2021-10", -12) == "2020-10" and date_of("2020-01", 23) == "2021-12"
    cal = Calendar(start="2019-07", warmup_months=6)
    assert cal.month("2021-10") == 27 and cal.months_to_run == 30 and cal.after_warmup == "2020-01"
    assert cal.dates("2020-01", "2020-03") == ["2020-01", "2020-02", "2020-03"]
    assert Calendar(start="2020-03", warmup_months=0).dates("2020-01", "2020-04") == ["2020-03", "2020-04"]
    with pytest.raises(ValueError, match="before the run's start"):
        Calendar(start="2021-01", warmup_months=0).month("2020-12")


def _rows(start: str, months: int) -> list[dict]:
    """Monthly rows whose values encode their month number (posts 10 % of work; all work, posts
    included, is a different number from market work)."""
    out = []
    for m in range(months):
        out.append({"date": date_of(start, m), "market_employed": 1000.0 + m, "employed": 5000.0 + m,
                    "agricultural_jobs": 50.0 + m,
                    "village_factory_jobs": 20.0 + m, "post_share_of_employed": 0.10,
                    "zero_employment_households": 0.0, "on_public_posts": 1.0, "migrant": 2.0,
                    "migrant_and_export": 100.0 + m, "clearing_queue": 0.0})
    return out


def test_measure_reads_the_case_dates_not_month_numbers():
    """A run that starts in July 2019 with six months of warm-up: Dec 2020 is month 17, not 11."""
    cal = Calendar(start="2019-07", warmup_months=6)
    rows = _rows(cal.start, cal.months_to_run)
    rows[3]["zero_employment_households"] = 99.0  # in the warm-up: not counted
    rows[8]["zero_employment_households"] = 7.0  # 2020-03, after the warm-up
    rows[2]["post_share_of_employed"] = 0.9  # 2019-09, before 2020-21: not in the check
    rows[17]["post_share_of_employed"] = 0.04  # 2020-12
    stats = {"graduates_measured": 10.0, "graduates_placed": 7.0, "export_placements": 5.0}
    got = runs.measure(rows, stats, cal, park_entrants=123.0)
    assert got["market_employed_2020"] == 1017 and got["market_employed_2021"] == 1027
    assert got["market_employed_change"] == pytest.approx(1027 / 1017 - 1)
    assert got["village_factory_jobs_2020"] == 37 and got["agricultural_jobs_2021"] == 77
    assert got["zero_employment_households_max"] == 7.0 and got["zero@2020-03"] == 7.0
    assert got["post_share_min"] == 0.04 and got["post_share_max"] == 0.10
    assert got["migrant_and_export_change"] == pytest.approx(127 / 115 - 1)
    assert got["training_placement_rate"] == 0.7 and got["park_entrants"] == 123.0
    with pytest.raises(ValueError, match="does not reach 2021-12"):
        runs.measure(rows[:-1], stats, cal, park_entrants=0.0)


# ------------------------------------------------------ the free parameters
@pytest.mark.parametrize("fp", FREE_PARAMETERS, ids=lambda f: f.path)
def test_calibrated_values_name_the_targets_they_are_fitted_to(scenario, fp):
    """A refit writes each target's label into the baseline; values fitted to old targets fail here."""
    meta = scenario.meta[fp.path]
    assert meta["source"] == "calibrated", fp.path
    for key in fp.informs:
        assert TARGET_BY_KEY[key].label in meta.get("target", ""), f"{fp.path}: not fitted to {key} (refit)"
    for tied, ratio in fp.tied:
        assert scenario.meta[tied]["source"] == "calibrated"
        assert scenario.get(tied) == pytest.approx(ratio * scenario.get(fp.path), rel=0.02)


class _Stub:
    def __init__(self, meta):
        self.meta = meta


def test_bounds_are_the_documented_ranges_and_a_free_parameter_needs_one():
    meta = {fp.path: {"range": [i, 10 * (i + 1)]} for i, fp in enumerate(FREE_PARAMETERS)}
    assert fitting.bounds(_Stub(meta)).tolist() == [[i, 10 * (i + 1)] for i in range(len(FREE_PARAMETERS))]
    del meta[FREE_PARAMETERS[1].path]["range"]
    with pytest.raises(ValueError, match="needs a documented range"):
        fitting.bounds(_Stub(meta))


def test_overrides_move_tied_parameters_at_their_ratio():
    values = [100 * (i + 1) for i in range(len(FREE_PARAMETERS))]
    out = fitting.overrides(values)
    assert out["behaviour.training.placement_effort_flat"] == pytest.approx(0.4 * 500)
    assert out["sectors.local_services.initial_jobs"] == 300


# ------------------------------------------------------------ the machinery
def test_emulator_and_optimiser_recover_a_known_optimum():
    """A quadratic toy with a known answer: the emulator is exact, the optimiser
    finds the point, the bounds hold, and the prior breaks a tie."""
    from scipy.stats import qmc

    u = qmc.Sobol(d=2, scramble=True, seed=3).random(32)
    truth = np.array([0.3, 0.7])
    y = 100 + 50 * (u[:, 0] - truth[0]) + 20 * (u[:, 1] - truth[1]) + 10 * (u[:, 0] - truth[0]) ** 2
    coef, r2 = emulator.fit_emulator(u, y)
    assert r2 == pytest.approx(1.0)
    y2 = 40 + 30 * (u[:, 1] - truth[1])
    coef2, _ = emulator.fit_emulator(u, y2, degree=1)
    x, loss = emulator.optimise({"a": coef, "b": coef2}, {"a": 100.0, "b": 40.0}, np.zeros(2), np.ones(2), u[:4])
    assert x == pytest.approx(truth, abs=1e-3) and loss < 1e-8
    x, _ = emulator.optimise({"a": coef}, {"a": 1000.0}, np.zeros(2), np.ones(2), u[:4])
    assert ((x >= 0) & (x <= 1)).all() and x[0] == pytest.approx(1.0)
    x, _ = emulator.optimise({"b": coef2}, {"b": 40.0}, np.zeros(2), np.ones(2), u[:4],
                             prior=np.array([0.9, 0.9]), prior_weight=1e-4)
    assert x[0] == pytest.approx(0.9, abs=0.01) and x[1] == pytest.approx(0.7, abs=0.01)


def test_writing_fitted_values_keeps_the_file_layout(tmp_path):
    path = tmp_path / "baseline.yaml"
    shutil.copy(BASELINE, path)
    before = path.read_text(encoding="utf-8").splitlines()
    yaml_edit.set_calibrated(path, {
        "sectors.industrial_park.initial_jobs": (31200, "Of them, in industrial parks: 42,000 (case)"),
        "labour_market.score_noise": (4.5, "placement"),
    })
    after = path.read_text(encoding="utf-8").splitlines()
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert len(before) == len(after) and len(changed) == 2
    assert "initial_jobs: {value: 31200, unit: jobs, source: calibrated, range: [10000, 40000]" in after[changed[0]]
    assert 'target: "Of them, in industrial parks: 42,000 (case)"' in after[changed[0]]
    assert after[changed[1]].startswith("  score_noise: {value: 4.5, unit: score, source: calibrated")
    from model import load_scenario

    s = load_scenario(path)
    assert s.get("sectors.industrial_park.initial_jobs") == 31200
    assert s.meta["labour_market.score_noise"]["target"] == "placement"


def test_writing_refuses_a_value_outside_the_range_and_leaves_the_file(tmp_path):
    from model.validation import InputError

    path = tmp_path / "baseline.yaml"
    shutil.copy(BASELINE, path)
    text = path.read_text(encoding="utf-8")
    with pytest.raises(InputError):
        yaml_edit.set_calibrated(path, {"labour_market.score_noise": (10.0 + 5, "x")})
    assert path.read_text(encoding="utf-8") == text
    with pytest.raises(KeyError):
        yaml_edit.set_calibrated(path, {"labour_market.no_such_key": (1, "x")})


# ------------------------------------------------------------------ report
def _values(zero: float, share: tuple[float, float]) -> dict[str, np.ndarray]:
    return {"zero_employment_households_max": np.array([zero]), "zero_employment_households_dec_2021": np.array([zero / 2]),
            "clearing_queue_dec_2021": np.array([zero / 4]), "post_share_min": np.array([share[0]]),
            "post_share_max": np.array([share[1]])}


@pytest.mark.parametrize("base, top, verdict", [
    (_values(0, (0.10, 0.12)), _values(0, (0.10, 0.12)), "Zero in 2021 is reached, with a post share inside"),
    (_values(800, (0.09, 0.10)), _values(0, (0.12, 0.15)), "it is a question of the budget"),
    (_values(800, (0.09, 0.10)), _values(0, (0.19, 0.23)), "cannot be reached with a post share inside the range"),
    (_values(800, (0.05, 0.07)), _values(120, (0.07, 0.09)), "not reached even there"),
])
def test_the_zero_finding_is_computed_from_the_runs(scenario, base, top, verdict):
    text = "\n".join(findings.zero_and_posts(base, top, scenario))
    assert verdict in text
    if base["zero_employment_households_max"][0]:
        assert f"up to {fmt(base['zero_employment_households_max'][0])} households" in text
    side = "inside" if base["post_share_min"][0] >= 0.08 else "below"
    assert f"{base['post_share_min'][0]:.1%}-{base['post_share_max'][0]:.1%} of people in work" in text
    assert f"{side} the check's 8%-20%" in text


def test_report_shows_every_target_and_the_current_values(scenario):
    """docs/calibration.md is generated (``wengang calibrate --report``): every
    target beside the model, and the free parameters as they now stand in the
    baseline (a refit without regenerating the report fails here)."""
    text = REPORT.read_text(encoding="utf-8")
    assert "Generated by `wengang calibrate" in text
    for t in TARGETS:
        assert f"| {t.label} | {fmt(t.value)} |" in text, t.label
    for fp in FREE_PARAMETERS:
        for path in [fp.path] + [p for p, _ in fp.tied]:
            assert f"| `{path}` | {findings.num(scenario.get(path))} |" in text, f"{path}: report is stale"


def test_report_command_end_to_end(tmp_path, capsys):
    out = tmp_path / "calibration.md"
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    calibration.register_calibrate(sub)
    args = parser.parse_args(["calibrate", "--report", "--scale", "0.02", "--seeds", "1", "--workers", "1",
                              "--out", str(out)])
    assert args.func(args) == 0
    text = out.read_text(encoding="utf-8")
    assert report.TABLE_HEADING in text and "scale 0.02" in text and "2021-12 |" in text
    assert "Employment after mid-term training" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["--report", "--scale", "nan"], "--scale"),
        (["--report", "--seeds", "-1"], "--seeds"),
        (["--report", "--workers", "0"], "--workers"),
        (["--fit", "--fit-scale", "2"], "--fit-scale"),
        (["--report", "--scenario", "/no/such/file.yaml"], "--scenario"),
    ],
)
def test_calibrate_refuses_bad_arguments_before_any_run(argv, flag, tmp_path, capsys):
    """Issue 11: one line, exit 2, no traceback, and no report written."""
    from experiments.calibration.cli import main

    out = tmp_path / "calibration.md"
    code = main([*argv, "--out", str(out)])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith(f"{flag}:"), lines
    assert not out.exists()
