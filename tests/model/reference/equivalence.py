"""Same rules, before and after speed work: frozen outcomes and the comparison.

Speed work must not change what the rules mean.  Before it starts, the key
outcomes of three scenarios x 10 seeds at scale 0.1 over 60 months are frozen
in ``equivalence.json`` (by ``freeze.py``, with the git commit they were made
at); ``tests/model/test_equivalence.py`` runs the current code on the same
scenarios and seeds and compares, outcome by outcome and scenario by scenario:

- **means**: the current mean within :data:`MEAN_SE` standard errors of the
  reference mean, the SE being that of a difference of two means,
  ``sqrt(s_ref^2 / n_ref + s_cur^2 / n_cur)``;
- **distributions**: a two-sample Kolmogorov-Smirnov test (exact p-values at
  these sizes) not rejecting at :data:`ALPHA` divided by the number of
  comparisons (Bonferroni over all outcome x scenario pairs).

Identical values always pass (speed work that keeps every random draw gives
identical outcomes).  Speed work that changes which draws a rule consumes
gives new, independent outcomes; then a 3-SE limit on each of ~30 comparisons
of 10 against 10 fails about once in five to ten checks by chance alone
(|t| > 3 with ~18 degrees of freedom has probability ~0.008 per comparison;
outcomes are correlated, which lowers it).  A failure is a prompt to look at
the rows printed, and to rerun with other seeds (``freeze.py --check
--first-seed 10``), not a verdict.

**When the rules change after the speed work**, the reference is frozen
again from the pre-speed code with the new rules ported onto it, so that it
still says what the rules did before any speed work: the port is kept beside
the reference (``rules_on_6f001ba.patch``: the rules of 8c6676c, and the
random household order of 95af065, on 6f001ba, the last commit before the
speed work).  To refreeze: ``git worktree add /tmp/ref 6f001ba``, apply the
patch there, copy ``scenarios/`` and this folder in, and run ``cd /tmp &&
PYTHONPATH=/tmp/ref .venv/bin/python /tmp/ref/tests/model/reference/freeze.py
--out ...`` (``PYTHONPATH`` matters: the virtual environment's editable
install would otherwise import the current ``model``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
from pathlib import Path

import numpy as np
from scipy.stats import ks_2samp

ROOT = Path(__file__).resolve().parents[3]
#: The frozen reference; WENGANG_EQUIVALENCE_REFERENCE points the test at another
#: file (to try the comparison against a reference frozen elsewhere).
REFERENCE = Path(os.environ.get("WENGANG_EQUIVALENCE_REFERENCE")
                 or Path(__file__).resolve().parent / "equivalence.json")
SCENARIOS = ("baoji_baseline", "monitoring_off", "demand_shock")
SEEDS = tuple(range(10))
SCALE, MONTHS = 0.1, 60
#: Outcomes compared always; a run that lacks one fails the comparison.
KEY_OUTCOMES = ("employed_end", "zero_employment_household_months",
                "zero_employment_households_peak", "fiscal_cost_total_yuan",
                "on_public_posts_end", "in_training_end", "migrant_end")
#: Outcomes compared when both the reference and the current run have them.
OPTIONAL_OUTCOMES = ("market_employed_end", "clearing_wait_household_months",
                     "post_share_of_employed")
MEAN_SE = 3.0
ALPHA = 0.05
HOW_TO_FREEZE = (".venv/bin/python tests/model/reference/freeze.py (about 1-2 minutes), at "
                 "the commit whose rules the speed work must keep, then commit "
                 "tests/model/reference/equivalence.json")


class MissingReference(FileNotFoundError):
    """The frozen reference is not there."""


def run_outcomes(scenarios=SCENARIOS, seeds=SEEDS, scale=SCALE, months=MONTHS,
                 progress=None) -> dict[str, dict[str, list[float]]]:
    """``{scenario: {outcome: [value per seed]}}`` for the key and optional
    outcomes the current model returns."""
    from model import simulate

    wanted = KEY_OUTCOMES + OPTIONAL_OUTCOMES
    out: dict[str, dict[str, list[float]]] = {}
    for name in scenarios:
        rows = []
        for seed in seeds:
            metrics = simulate(str(ROOT / "scenarios" / f"{name}.yaml"), seed=seed, scale=scale,
                               months=months)
            rows.append({k: float(metrics[k]) for k in wanted if k in metrics})
            if progress:
                progress(name, seed)
        out[name] = {k: [r[k] for r in rows] for k in wanted if all(k in r for r in rows)}
    return out


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def freeze(path: Path = REFERENCE, seeds=SEEDS, progress=None) -> dict:
    """Run the current code and write the reference to ``path``; return it."""
    dirty = _git("status", "--porcelain", "--", "model", "scenarios")
    reference = {
        "made_by": "tests/model/reference/freeze.py",
        "git_commit": _git("rev-parse", "HEAD"),
        "uncommitted_model_changes": bool(dirty) if dirty is not None else None,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "scale": SCALE, "months": MONTHS, "seeds": list(seeds),
        "scenarios": run_outcomes(seeds=seeds, progress=progress),
    }
    path.write_text(json.dumps(reference, indent=1) + "\n", encoding="utf-8")
    return reference


def load_reference(path: Path = REFERENCE) -> dict:
    """The frozen reference; :class:`MissingReference` saying how to make it."""
    if not Path(path).exists():
        raise MissingReference(f"the frozen reference {path} is missing: make it with "
                               f"{HOW_TO_FREEZE}")
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _row(scenario: str, outcome: str, ref: np.ndarray, cur: np.ndarray) -> dict:
    same = np.array_equal(np.sort(ref), np.sort(cur))
    diff = float(cur.mean() - ref.mean())
    se = math.sqrt(ref.var(ddof=1) / len(ref) + cur.var(ddof=1) / len(cur))
    z = 0.0 if same or diff == 0 else (abs(diff) / se if se > 0 else math.inf)
    p = 1.0 if same else float(ks_2samp(ref, cur).pvalue)
    return {"scenario": scenario, "outcome": outcome, "reference_mean": float(ref.mean()),
            "current_mean": float(cur.mean()), "se": se, "z": z, "ks_p": p}


def compare(reference: dict, current: dict[str, dict[str, list[float]]]) -> list[dict]:
    """One row per scenario x outcome: means, SE, z, KS p-value, ``ok`` and
    ``why`` (see module doc).  A key outcome or scenario missing on either side
    is a failed row."""
    rows: list[dict] = []
    for scenario, ref_outcomes in reference["scenarios"].items():
        cur_outcomes = current.get(scenario, {})
        for outcome in KEY_OUTCOMES + OPTIONAL_OUTCOMES:
            if outcome not in ref_outcomes or outcome not in cur_outcomes:
                if outcome in KEY_OUTCOMES:
                    side = "reference" if outcome not in ref_outcomes else "current run"
                    rows.append({"scenario": scenario, "outcome": outcome, "ok": False,
                                 "why": f"missing in the {side}"})
                continue
            ref = np.asarray(ref_outcomes[outcome], dtype=float)
            cur = np.asarray(cur_outcomes[outcome], dtype=float)
            if np.isnan(ref).any() or np.isnan(cur).any():
                ok = np.array_equal(np.isnan(ref), np.isnan(cur))
                ref, cur = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
                if not ok or len(ref) < 2:
                    rows.append({"scenario": scenario, "outcome": outcome, "ok": ok,
                                 "why": "" if ok else "NaN in one run set only"})
                    continue
            rows.append(_row(scenario, outcome, ref, cur))
    tested = [r for r in rows if "z" in r]
    level = ALPHA / max(1, len(tested))
    for r in tested:
        why = []
        if r["z"] > MEAN_SE:
            why.append(f"means {r['z']:.1f} SE apart (limit {MEAN_SE:g})")
        if r["ks_p"] < level:
            why.append(f"KS p = {r['ks_p']:.2g} < {level:.2g} (Bonferroni over {len(tested)})")
        r["ok"], r["why"], r["level"] = not why, "; ".join(why), level
    return rows


def table(rows: list[dict]) -> str:
    """The comparison as plain text, failures marked."""
    lines = [f"{'scenario':16} {'outcome':34} {'reference':>14} {'current':>14} {'z':>6} "
             f"{'KS p':>8}  verdict"]
    for r in rows:
        if "z" not in r:
            lines.append(f"{r['scenario']:16} {r['outcome']:34} {'':>14} {'':>14} {'':>6} "
                         f"{'':>8}  {'ok' if r['ok'] else 'FAIL: ' + r['why']}")
            continue
        lines.append(f"{r['scenario']:16} {r['outcome']:34} {r['reference_mean']:14.6g} "
                     f"{r['current_mean']:14.6g} {r['z']:6.2f} {r['ks_p']:8.3g}  "
                     + ("ok" if r["ok"] else "FAIL: " + r["why"]))
    return "\n".join(lines)
