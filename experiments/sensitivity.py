"""Sensitivity indices from a sweep, computed with SALib.

Variance-based and screening indices use the *replication means* of each
design point (runs that failed are left out of the mean; a point with no
successful run is missing):

- Sobol first-order and total indices with bootstrap confidence intervals
  (``sobol`` sampler; second-order too if the spec asks);
- Morris mu, mu* (with confidence interval) and sigma (``morris`` sampler),
  in outcome units per grid step across the whole parameter range;
- extended FAST S1 and ST (``fast`` sampler);
- PAWN, a moment-independent index (Kolmogorov-Smirnov distance between
  conditional and unconditional output distributions), on any design.  PAWN
  rather than delta because delta's kernel density estimate breaks on the
  point masses (many zeros) that count outcomes have.

Missing points are handled per method: Sobol drops the base samples (blocks
of D + 2 rows) and Morris the trajectories that contain one; FAST needs every
point.  An outcome whose most common value covers ``near_constant_share`` of
the points gets no variance-based indices: SALib would report zeros, which
read as "no lever matters" when the truth is "nothing varies".
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from SALib.analyze import fast as fast_analyzer
from SALib.analyze import morris as morris_analyzer
from SALib.analyze import pawn as pawn_analyzer
from SALib.analyze import sobol as sobol_analyzer

from experiments.sampling import Design
from experiments.spec import FAST_INTERFERENCE, ExperimentSpec

#: Report replication noise when it is more than this share of an outcome's variance.
NOISE_CAVEAT_SHARE = 0.1
#: Why a block of the design was left out.
MISSING = "with a point that has no value (its runs failed, or the model returned NaN)"


@dataclass
class Sensitivity:
    """Index tables (long format, one row per outcome and parameter) and notes."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # outcome -> reason

    def add(self, name: str, frame: pd.DataFrame) -> None:
        """Append rows to table ``name``."""
        old = self.tables.get(name)
        self.tables[name] = frame if old is None else pd.concat([old, frame], ignore_index=True)


def point_means(runs: pd.DataFrame, outcome: str, n_points: int) -> np.ndarray:
    """Mean of ``outcome`` over the successful replications of each point."""
    y = np.full(n_points, np.nan)
    ok = runs[runs["status"] == "ok"]
    if outcome in ok.columns and len(ok):
        means = ok.groupby("point")[outcome].mean()
        y[means.index.to_numpy(dtype=int)] = means.to_numpy(dtype=float)
    return y


def near_constant(y: np.ndarray, share: float) -> str | None:
    """Why an outcome cannot carry variance-based indices, or None if it can."""
    finite = y[np.isfinite(y)]
    if finite.size == 0:
        return "no design point has a successful run"
    values, counts = np.unique(finite, return_counts=True)
    top = counts.max() / finite.size
    if top >= share:
        return f"{top:.0%} of design points have the same value ({values[counts.argmax()]:g})"
    return None


def noise_share(runs: pd.DataFrame, outcome: str) -> float:
    """Share of the run-to-run variance that is between replications of a point."""
    ok = runs[runs["status"] == "ok"]
    if outcome not in ok.columns or len(ok) == 0 or ok.groupby("point").size().max() < 2:
        return float("nan")
    total = ok[outcome].var(ddof=0)
    if not total > 0:
        return float("nan")
    within = ok.groupby("point")[outcome].var(ddof=0).mean()
    return float(within / total)


def _keep_blocks(y: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Mask of whole blocks of ``block`` rows without a missing value."""
    blocks = y.reshape(-1, block)
    keep = np.isfinite(blocks).all(axis=1)
    return keep, blocks


def _factors(design: Design) -> list[str]:
    groups = design.problem.get("groups")
    return list(dict.fromkeys(groups)) if groups else design.names


def sobol(spec: ExperimentSpec, design: Design, y: np.ndarray, outcome: str) -> tuple[
        pd.DataFrame, pd.DataFrame | None, int]:
    """Sobol S1/ST (and S2) of one outcome; also the number of dropped base samples."""
    names = _factors(design)
    block = (2 * len(names) + 2) if spec.second_order else (len(names) + 2)
    keep, blocks = _keep_blocks(y, block)
    a = spec.analysis
    si = sobol_analyzer.analyze(design.problem, blocks[keep].ravel(),
                                calc_second_order=spec.second_order,
                                num_resamples=a.bootstrap_resamples, conf_level=a.conf_level,
                                seed=spec.seed)
    first = pd.DataFrame({"outcome": outcome, "parameter": names, "S1": si["S1"],
                          "S1_conf": si["S1_conf"], "ST": si["ST"], "ST_conf": si["ST_conf"]})
    second = None
    if spec.second_order:
        pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
        second = pd.DataFrame({"outcome": outcome,
                               "parameter_1": [names[i] for i, _ in pairs],
                               "parameter_2": [names[j] for _, j in pairs],
                               "S2": [si["S2"][i, j] for i, j in pairs],
                               "S2_conf": [si["S2_conf"][i, j] for i, j in pairs]})
    return first, second, int((~keep).sum())


def morris(spec: ExperimentSpec, design: Design, y: np.ndarray, outcome: str) -> tuple[
        pd.DataFrame, int]:
    """Morris mu, mu*, sigma of one outcome; also the number of dropped trajectories."""
    block = len(_factors(design)) + 1
    keep, blocks = _keep_blocks(y, block)
    x = design.unit.reshape(-1, block, design.unit.shape[1])[keep].reshape(-1, design.unit.shape[1])
    a = spec.analysis
    si = morris_analyzer.analyze(design.problem, x, blocks[keep].ravel(),
                                 num_resamples=a.bootstrap_resamples, conf_level=a.conf_level,
                                 num_levels=spec.morris_levels, seed=spec.seed)
    frame = pd.DataFrame({"outcome": outcome, "parameter": list(si["names"]), "mu": si["mu"],
                          "mu_star": si["mu_star"], "mu_star_conf": si["mu_star_conf"],
                          "sigma": si["sigma"]})
    return frame, int((~keep).sum())


def fast(spec: ExperimentSpec, design: Design, y: np.ndarray, outcome: str) -> pd.DataFrame:
    """Extended FAST S1/ST of one outcome (needs every point)."""
    a = spec.analysis
    with warnings.catch_warnings():
        # SALib warns that FAST bootstrap intervals are unreliable; the report says so.
        warnings.simplefilter("ignore", UserWarning)
        si = fast_analyzer.analyze(design.problem, y, M=FAST_INTERFERENCE,
                                   num_resamples=a.bootstrap_resamples, conf_level=a.conf_level,
                                   seed=spec.seed)
    return pd.DataFrame({"outcome": outcome, "parameter": design.names, "S1": si["S1"],
                         "S1_conf": si["S1_conf"], "ST": si["ST"], "ST_conf": si["ST_conf"]})


def pawn(spec: ExperimentSpec, design: Design, y: np.ndarray, outcome: str) -> pd.DataFrame:
    """PAWN indices of one outcome over the points where it is known."""
    ok = np.isfinite(y)
    si = pawn_analyzer.analyze(design.problem, design.unit[ok], y[ok],
                               S=spec.analysis.pawn_slides, seed=spec.seed)
    frame = si.to_df().reset_index(names="parameter")
    frame.insert(0, "outcome", outcome)
    return frame


def _ci_notes(frame: pd.DataFrame, method: str, limit: float) -> list[str]:
    notes = []
    for outcome, rows in frame.groupby("outcome", sort=False):
        widest = np.nanmax(rows[["S1_conf", "ST_conf"]].to_numpy(), initial=0.0)
        if widest > limit:
            notes.append(f"{method} indices of `{outcome}` have confidence half-widths up to "
                         f"{widest:.2f} (above {limit}): rank parameters only where intervals "
                         "do not overlap, or raise `samples`.")
    return notes


def analyse(spec: ExperimentSpec, design: Design, runs: pd.DataFrame) -> Sensitivity:
    """Every index the design allows, for every outcome of the spec."""
    out = Sensitivity()
    a = spec.analysis
    for outcome in spec.outcomes:
        y = point_means(runs, outcome, design.n_points)
        reason = near_constant(y, a.near_constant_share)
        share = noise_share(runs, outcome)
        if share > NOISE_CAVEAT_SHARE:
            out.notes.append(f"Replication noise is {share:.0%} of the run-to-run variance of "
                             f"`{outcome}`; means over {spec.replications} replications still "
                             "carry part of it, which inflates ST - S1.")
        if reason is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                out.add("pawn", pawn(spec, design, y, outcome))
        if reason is not None:
            out.skipped[outcome] = reason
            continue
        if spec.sampler == "sobol":
            first, second, dropped = sobol(spec, design, y, outcome)
            out.add("sobol", first)
            if second is not None:
                out.add("sobol_s2", second)
            if dropped:
                out.notes.append(f"Sobol of `{outcome}` left out {dropped} of {spec.samples} "
                                 f"base samples {MISSING}.")
        elif spec.sampler == "morris":
            frame, dropped = morris(spec, design, y, outcome)
            out.add("morris", frame)
            if dropped:
                out.notes.append(f"Morris of `{outcome}` left out {dropped} of {spec.samples} "
                                 f"trajectories {MISSING}.")
        elif spec.sampler == "fast":
            if np.isfinite(y).all():
                out.add("fast", fast(spec, design, y, outcome))
            else:
                out.notes.append(f"FAST needs every design point; `{outcome}` is missing at "
                                 f"{int((~np.isfinite(y)).sum())} points, so it has no FAST "
                                 "indices.")
    if "fast" in out.tables:
        out.notes.append("FAST confidence intervals come from a bootstrap that SALib marks as "
                         "unreliable for FAST (SALib issue 649): read them as indicative only.")
    for method in ("sobol", "fast"):
        if method in out.tables:
            out.notes += _ci_notes(out.tables[method], method.capitalize(), a.wide_ci)
    return out
