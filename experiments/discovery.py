"""Zero stays zero: which lever ranges keep zero-employment households at zero,
and at what cost.

A count that is almost always 0 has no variance for Sobol indices to split,
so it is analysed as a binary question instead:

- **Probability.** For each design point, the share of its successful
  replications in which the zero outcome (``analysis.zero_outcome``, by
  default ``zero_employment_households_peak``, the peak after the warm-up)
  is 0.  A point *keeps zero at zero* when that share is at least
  ``analysis.stay_probability`` (default 1: in every replication).
- **PAWN** (moment-independent) on that probability.
- **PRIM** (Friedman and Fisher 1999) on "keeps zero at zero": boxes of
  parameter ranges in which most points do (density) and that hold many of
  the points that do (coverage).  Uses the ``prim`` package, **pinned to
  exactly** :data:`PRIM_VERSION`: its public ``PrimBox.limits`` and
  ``Prim.limits`` raise ``TypeError`` under pandas 3 when a box restricts a
  boolean or categorical parameter, so the limits and quasi-p values are read
  from the box's internals (``_box_lims``, ``_cur_box``, ``_calculate_quasi_p``
  and ``Prim._box_init``: :func:`_box_limits`).  A test fails if the installed
  version or the pin in ``pyproject.toml`` differs, so an upgrade is checked
  against these internals before it lands.
- **Regional sensitivity** (Monte Carlo filtering): for each parameter, the
  CDF over points that keep zero at zero against those that do not, and the
  Kolmogorov-Smirnov distance between the two.
- **Cost.** The cost outcome (``analysis.cost_outcome``) of the points that
  keep zero at zero, and the cheapest such point (its lever mix).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import prim
from scipy.stats import ks_2samp

from experiments import sensitivity
from experiments.sampling import Design, coded_values
from experiments.spec import ExperimentSpec

#: The one ``prim`` release whose internals :func:`_box_limits` reads (pinned in pyproject.toml).
PRIM_VERSION = "1.0.0"
#: Key-path prefix of policy levers (everything else is an uncertainty).
LEVER_PREFIX = "levers."
#: A box restriction whose quasi-p value exceeds this may be noise.
QP_SIGNIFICANCE = 0.05
#: Fewer points than this on either side make a KS distance unreliable.
MIN_GROUP_POINTS = 5


@dataclass
class Discovery:
    """Results of the zero-stays-zero analysis."""

    points: pd.DataFrame  # one row per design point with data
    boxes: pd.DataFrame = field(default_factory=pd.DataFrame)
    trajectories: pd.DataFrame = field(default_factory=pd.DataFrame)
    regional: pd.DataFrame = field(default_factory=pd.DataFrame)
    pawn: pd.DataFrame = field(default_factory=pd.DataFrame)
    cheapest: pd.Series | None = None
    notes: list[str] = field(default_factory=list)


def lever_names(spec: ExperimentSpec) -> list[str]:
    """Parameters that are policy levers (all of them for non-Wengang models)."""
    levers = [n for n in spec.parameters if n.startswith(LEVER_PREFIX)]
    return levers or list(spec.parameters)


def stay_table(spec: ExperimentSpec, design: Design, runs: pd.DataFrame) -> pd.DataFrame:
    """Per design point: its values, runs, P(stay at zero), whether it keeps zero
    at zero, and its mean cost."""
    a = spec.analysis
    ok = runs[runs["status"] == "ok"].copy()
    ok["_stays"] = ok[a.zero_outcome] == 0
    grouped = ok.groupby("point")
    table = pd.DataFrame({"ok_runs": grouped.size(), "runs_at_zero": grouped["_stays"].sum()})
    table["p_stay"] = table["runs_at_zero"] / table["ok_runs"]
    table["stays"] = table["p_stay"] >= a.stay_probability
    if a.cost_outcome in ok.columns:
        table["cost"] = grouped[a.cost_outcome].mean()
    for col in sorted(c for c in ok.columns if c.startswith("fiscal_cost_") and c.endswith("_yuan")
                      and c != a.cost_outcome):
        table[col] = grouped[col].mean()
    values = design.values.iloc[table.index.to_numpy(dtype=int)].set_index(table.index)
    return pd.concat([values, table], axis=1)


def _box_limits(box: prim.PrimBox, spec: ExperimentSpec) -> list[dict]:
    """Restricted dimensions of a box's current limits, as plain rows.

    Reads prim's internals (see the module doc: pinned to :data:`PRIM_VERSION`).
    """
    lims, init = box._box_lims[box._cur_box], box.prim._box_init
    try:
        qp = box._calculate_quasi_p(box._cur_box)
    except (ZeroDivisionError, ValueError):
        qp = {}
    rows = []
    for name in lims.dtype.names:
        low, high = lims[name][0], lims[name][1]
        param = spec.parameters[name]
        if param.type in ("real", "integer"):
            if low == init[name][0] and high == init[name][1]:
                continue
            # An end PRIM left alone is the data's extreme: report the sampled bound.
            rows.append({"parameter": name,
                         "min": param.min if low == init[name][0] else float(low),
                         "max": param.max if high == init[name][1] else float(high),
                         "values": "", "range_min": param.min, "range_max": param.max})
        else:
            allowed, every = set(low), set(init[name][0])
            if allowed == every:
                continue
            rows.append({"parameter": name, "min": np.nan, "max": np.nan,
                         "values": ", ".join(sorted(map(str, allowed))),
                         "range_min": np.nan, "range_max": np.nan})
        rows[-1]["qp_value"] = float(qp.get(name, np.nan))
    return rows


def _select(box: prim.PrimBox, min_density: float) -> int:
    """Step of highest coverage with density >= min_density (else the densest)."""
    traj = box.peeling_trajectory
    dense = traj.index[traj["density"] >= min_density]
    if len(dense):
        return int(traj.loc[dense, "coverage"].idxmax())
    return int(traj["density"].idxmax())


def find_boxes(spec: ExperimentSpec, points: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                     list[str]]:
    """PRIM boxes for "keeps zero at zero" (see module doc); with trajectories and notes."""
    s = spec.analysis.prim
    x = points[list(spec.parameters)].reset_index(drop=True)
    y = points["stays"].to_numpy(dtype=bool)
    levers = set(lever_names(spec))
    box_rows, traj_rows, notes = [], [], []
    logging.getLogger("prim").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        finder = prim.Prim(x, y, peel_alpha=s.peel_alpha, paste_alpha=s.paste_alpha,
                           mass_min=s.mass_min)
        covered = np.zeros(len(y), dtype=bool)
        for number in range(1, s.max_boxes + 1):
            if not y[~covered].any():
                break  # every point that keeps zero at zero is in a box already
            box = finder.find_box()
            if box is None:
                break
            step = _select(box, s.min_density)
            box.select(step)
            traj = box.peeling_trajectory.reset_index(names="step")
            traj["box"], traj["selected"] = number, traj["step"] == step
            traj_rows.append(traj)
            stats = box.peeling_trajectory.iloc[step]
            if stats["density"] < s.min_density:
                kept = "reported anyway" if number == 1 else "not reported"
                notes.append(f"PRIM box {number} reaches a density of only {stats['density']:.2f} "
                             f"(below min_density {s.min_density}; {kept}).")
                if number > 1:
                    break
            covered[box.yi] = True
            inside = points.iloc[box.yi]
            stay_cost = inside.loc[inside["stays"], "cost"] if "cost" in inside else pd.Series()
            common = {"box": number, "coverage": stats["coverage"], "density": stats["density"],
                      "mass": stats["mass"], "res_dim": int(stats["res dim"]),
                      "points_in_box": len(inside), "points_at_zero": int(inside["stays"].sum()),
                      "mean_cost_at_zero": float(stay_cost.mean()) if len(stay_cost) else np.nan}
            limits = _box_limits(box, spec) or [{"parameter": "(no restriction)"}]
            weak = [lim["parameter"] for lim in limits if lim.get("qp_value", 0) > QP_SIGNIFICANCE]
            if weak:
                notes.append(f"PRIM box {number}: the restrictions on {', '.join(weak)} have "
                             f"quasi-p values above {QP_SIGNIFICANCE} (Bryant and Lempert 2010): "
                             "they may fit noise; check them with more samples.")
            for lim in limits:
                kind = "lever" if lim["parameter"] in levers else "uncertainty"
                box_rows.append({**common, "kind": kind, **lim})
    return pd.DataFrame(box_rows), pd.concat(traj_rows, ignore_index=True), notes


def regional(spec: ExperimentSpec, points: pd.DataFrame) -> pd.DataFrame:
    """KS distance per parameter between points that keep zero at zero and the rest."""
    coded = coded_values(spec, points[list(spec.parameters)])
    stays = points["stays"].to_numpy(dtype=bool)
    rows = []
    for name, param in spec.parameters.items():
        a, b = coded[name].to_numpy()[stays], coded[name].to_numpy()[~stays]
        test = ks_2samp(a, b) if len(a) and len(b) else None
        typical = _typical if param.type in ("real", "integer") else _most_common
        rows.append({"parameter": name, "ks": test.statistic if test else np.nan,
                     "p_value": test.pvalue if test else np.nan,
                     "typical_at_zero": typical(points.loc[stays, name]),
                     "typical_not": typical(points.loc[~stays, name]),
                     "points_at_zero": len(a), "points_not": len(b)})
    return pd.DataFrame(rows).sort_values("ks", ascending=False, ignore_index=True)


def _typical(values: pd.Series) -> float:
    """Median of a numeric parameter."""
    return float(values.median()) if len(values) else np.nan


def _most_common(values: pd.Series) -> str:
    """Most common value of a boolean or categorical parameter, as text."""
    return str(values.mode().iloc[0]) if len(values) else ""


def discover(spec: ExperimentSpec, design: Design, runs: pd.DataFrame) -> Discovery | None:
    """The whole analysis, or None when the runs do not have the zero outcome."""
    a = spec.analysis
    ok = runs[runs["status"] == "ok"]
    if a.zero_outcome not in ok.columns or ok[a.zero_outcome].isna().all():
        return None
    points = stay_table(spec, design, runs)
    result = Discovery(points)
    n, n_stay = len(points), int(points["stays"].sum())
    p_all = np.full(design.n_points, np.nan)
    p_all[points.index.to_numpy(dtype=int)] = points["p_stay"].to_numpy(dtype=float)
    if points["p_stay"].nunique() > 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result.pawn = sensitivity.pawn(spec, design, p_all, "p_stay")
    if n_stay == 0:
        result.notes.append("No design point keeps zero-employment households at zero: "
                            "no PRIM box, and no cost of doing so.")
        return result
    if n_stay == n:
        result.notes.append("Every design point keeps zero-employment households at zero: "
                            "no parameter range matters for it here.")
    else:
        result.boxes, result.trajectories, notes = find_boxes(spec, points)
        result.notes += notes
        result.regional = regional(spec, points)
        if min(n_stay, n - n_stay) < MIN_GROUP_POINTS:
            result.notes.append(f"Only {min(n_stay, n - n_stay)} points on one side of "
                                "'keeps zero at zero': the regional KS distances are rough.")
    if "cost" in points and points.loc[points["stays"], "cost"].notna().any():
        result.cheapest = points.loc[points.loc[points["stays"], "cost"].idxmin()]
    return result
