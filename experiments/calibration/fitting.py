"""The fit: emulator-based calibration of the free parameters over a quasi-random design.

1. a scrambled Sobol design over the free parameters' documented ranges, one
   run per point (seeds differ, so noise is averaged out by the regression,
   not fitted);
2. a quadratic emulator of each fitted target (least squares);
3. bounded L-BFGS-B minimisation (several starts) of the summed squared
   relative errors of the emulated targets, plus :data:`PRIOR_WEIGHT` times
   the squared distance from the stated values;
4. a second, local design around that optimum (a quarter of each range), a
   linear emulator there and a second optimisation;
5. verification runs at the optimum.

No parameter can leave its documented ``range``: the design and the optimiser
work in the unit cube of those ranges.  Seeds: stage 1 uses
``STAGE1_SEED0 + i``, stage 2 ``STAGE2_SEED0 + i``, verification
``VERIFY_SEEDS`` (:func:`seeds_used`), so tests can hold other seeds out.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from experiments.calibration.emulator import design, fit_emulator, optimise
from experiments.calibration.runs import evaluate, run_many
from experiments.calibration.targets import FITTED_KEYS, FREE_PARAMETERS, PRIOR_WEIGHT, TARGET_BY_KEY, fmt
from experiments.calibration.yaml_edit import set_calibrated

STAGE1_SEED0, STAGE2_SEED0 = 1000, 2000
VERIFY_SEEDS = (1, 2, 3, 4)
N_GLOBAL, N_LOCAL = 64, 32
LOCAL_HALF_WIDTH = 0.125  # of each range, around the stage-1 optimum


def seeds_used(n_global: int = N_GLOBAL, n_local: int = N_LOCAL, verify=VERIFY_SEEDS) -> set[int]:
    """Every seed a fit with these sizes runs."""
    return {*range(STAGE1_SEED0, STAGE1_SEED0 + n_global), *range(STAGE2_SEED0, STAGE2_SEED0 + n_local), *verify}


def bounds(scenario) -> np.ndarray:
    """The documented ``range`` of every free parameter, shape (k, 2)."""
    rows = []
    for fp in FREE_PARAMETERS:
        rng = scenario.meta.get(fp.path, {}).get("range")
        if rng is None:
            raise ValueError(f"{fp.path}: a free parameter needs a documented range")
        rows.append([float(rng[0]), float(rng[1])])
    return np.array(rows)


def overrides(values) -> dict[str, float]:
    """Scenario overrides for free-parameter ``values``, tied parameters included."""
    out = {}
    for fp, v in zip(FREE_PARAMETERS, values):
        out[fp.path] = float(v)
        for path, ratio in fp.tied:
            out[path] = float(v) * ratio
    return out


def _stage(u_points, box, seed0, scale, workers, scenario, degree):
    values = box[:, 0] + u_points * (box[:, 1] - box[:, 0])
    jobs = [(scenario, seed0 + i, scale, overrides(v)) for i, v in enumerate(values)]
    out = run_many(jobs, workers)
    y = {k: np.array([o[k] for o in out]) for k in FITTED_KEYS}
    ok = np.all([np.isfinite(v) for v in y.values()], axis=0)
    emulators, r2 = {}, {}
    for k in FITTED_KEYS:
        emulators[k], r2[k] = fit_emulator(u_points[ok], y[k][ok], degree)
    return y, emulators, r2


def fit(scenario_path, *, n_global=N_GLOBAL, n_local=N_LOCAL, scale=0.1, workers=2, seed=20260501,
        verify_seeds=VERIFY_SEEDS, log=print) -> dict[str, Any]:
    """Run the calibration; returns the fitted values and diagnostics (writes nothing)."""
    from model import load_scenario

    started = time.perf_counter()
    scenario = load_scenario(scenario_path)
    box = bounds(scenario)
    k = len(FREE_PARAMETERS)
    prior = [fp.prior for fp in FREE_PARAMETERS]  # the stated values, not a previous fit
    scen = str(scenario_path)
    targets = {t: TARGET_BY_KEY[t].value for t in FITTED_KEYS}
    u_prior = np.clip((np.array(prior, float) - box[:, 0]) / (box[:, 1] - box[:, 0]), 0, 1)

    u1 = design(n_global, np.zeros(k), np.ones(k), seed)
    log(f"stage 1: {n_global} runs over the documented ranges (scale {scale}) ...")
    y1, emu1, r2_1 = _stage(u1, box, STAGE1_SEED0, scale, workers, scen, degree=2)
    loss1 = sum((y1[t] / targets[t] - 1.0) ** 2 for t in FITTED_KEYS)
    u_star, _ = optimise(emu1, targets, np.zeros(k), np.ones(k), u1[np.argsort(loss1)[:8]], u_prior, PRIOR_WEIGHT)
    within = np.all([[TARGET_BY_KEY[t].met(x) for x in y1[t]] for t in FITTED_KEYS], axis=0)

    lo, hi = np.clip(u_star - LOCAL_HALF_WIDTH, 0, 1), np.clip(u_star + LOCAL_HALF_WIDTH, 0, 1)
    u2 = lo + design(n_local, np.zeros(k), np.ones(k), seed + 1) * (hi - lo)
    log(f"stage 2: {n_local} runs around the stage-1 optimum ...")
    _, emu2, r2_2 = _stage(u2, box, STAGE2_SEED0, scale, workers, scen, degree=1)
    u_final, loss_final = optimise(emu2, targets, lo, hi, np.vstack([u_star[None, :], u2[:4]]), u_prior, PRIOR_WEIGHT)
    fitted = [fp.rounded(box[i, 0] + u_final[i] * (box[i, 1] - box[i, 0])) for i, fp in enumerate(FREE_PARAMETERS)]
    fitted = [type(v)(min(max(v, lo_), hi_)) for v, (lo_, hi_) in zip(fitted, box)]  # rounding stays in range

    log(f"verifying at the optimum ({len(verify_seeds)} seeds, scale {scale}) ...")
    check = evaluate(scen, seeds=verify_seeds, scale=scale, overrides=overrides(fitted), workers=workers)
    return {
        "free": [fp.path for fp in FREE_PARAMETERS], "prior": prior, "bounds": box.tolist(), "fitted": fitted,
        "scale": scale, "runs": n_global + n_local + len(verify_seeds), "n_global": n_global, "n_local": n_local,
        "stage1_r2": r2_1, "stage2_r2": r2_2, "stage1_points_within_tolerance": int(within.sum()),
        "stage1_range": {t: [float(np.nanmin(y1[t])), float(np.nanmax(y1[t]))] for t in FITTED_KEYS},
        "stage1_points_meeting": {t: int(sum(TARGET_BY_KEY[t].met(x) for x in y1[t])) for t in FITTED_KEYS},
        "emulated_loss": loss_final, "verification": {t: float(np.mean(check[t])) for t in FITTED_KEYS},
        "seconds": round(time.perf_counter() - started, 1),
    }


def write_fit(result: dict[str, Any], path: Path) -> None:
    """Write the fitted values into the scenario file, keeping its layout and comments."""
    updates = {}
    for fp, value in zip(FREE_PARAMETERS, result["fitted"]):
        aims = "; ".join(f"{TARGET_BY_KEY[k].label}: {fmt(TARGET_BY_KEY[k].value)} ({TARGET_BY_KEY[k].source})"
                         for k in fp.informs)
        updates[fp.path] = (value, f"{aims}; fitted jointly with the other calibrated parameters "
                                   f"(docs/calibration.md); assumed value before calibration {fp.prior:g}")
        for tied_path, ratio in fp.tied:
            updates[tied_path] = (round(value * ratio, fp.decimals + 1),
                                  f"tied to {fp.path} at {ratio:g} times its value (the prior ratio)")
    set_calibrated(path, updates)
