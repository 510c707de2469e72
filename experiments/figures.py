"""Figures for ``wengang analyze`` (PNG, matplotlib's Agg backend).

Each function takes analysis tables, writes one PNG and returns its path, or
None when there is nothing to draw.  Labels drop the ``levers.`` and
``uncertainties.`` prefixes of key paths to stay legible.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from experiments.sampling import coded_values  # noqa: E402
from experiments.spec import ExperimentSpec  # noqa: E402

DPI = 120
PANEL_WIDTH, PANEL_HEIGHT = 5.5, 3.8
MAX_COLUMNS = 3
PREFIXES = ("levers.", "uncertainties.")
BIN_COUNT = 30
LEGEND_MARGIN = 0.06  # share of the figure height kept for a legend below the panels


def short(name: str) -> str:
    """A parameter's label: its key path without the levers./uncertainties. prefix."""
    for prefix in PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _grid(n: int, height: float = PANEL_HEIGHT):
    cols = min(n, MAX_COLUMNS)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(PANEL_WIDTH * cols, height * rows),
                             squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def _save(fig, path: Path) -> Path:
    if not fig.legends:
        fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def indices(table: pd.DataFrame, path: Path, method: str) -> Path | None:
    """S1 and ST with their confidence intervals, one panel per outcome."""
    if table is None or table.empty:
        return None
    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = _grid(len(outcomes), PANEL_HEIGHT + 0.3 * table["parameter"].nunique())
    for ax, outcome in zip(axes, outcomes):
        rows = table[table["outcome"] == outcome]
        pos = np.arange(len(rows))
        ax.barh(pos - 0.2, rows["S1"], 0.4, xerr=rows["S1_conf"], label="first order S1",
                capsize=2)
        ax.barh(pos + 0.2, rows["ST"], 0.4, xerr=rows["ST_conf"], label="total ST", capsize=2)
        ax.set_yticks(pos, [short(p) for p in rows["parameter"]], fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.5)
        ax.set_title(outcome, fontsize=9)
        ax.set_xlabel(f"{method} index (bars: confidence interval)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8)
    fig.tight_layout(rect=(0, LEGEND_MARGIN, 1, 1))
    return _save(fig, path)


def morris_plane(table: pd.DataFrame, path: Path) -> Path | None:
    """Morris mu* against sigma, one panel per outcome."""
    if table is None or table.empty:
        return None
    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = _grid(len(outcomes))
    for ax, outcome in zip(axes, outcomes):
        rows = table[table["outcome"] == outcome]
        ax.errorbar(rows["mu_star"], rows["sigma"], xerr=rows["mu_star_conf"], fmt="o",
                    markersize=4, capsize=2)
        for _, r in rows.iterrows():
            ax.annotate(short(r["parameter"]), (r["mu_star"], r["sigma"]), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
        top = max(rows["mu_star"].max(), rows["sigma"].max(), 1e-12)
        ax.plot([0, top], [0, top], color="grey", linewidth=0.5, linestyle="--")
        ax.set_xlabel("mu* (mean |elementary effect|)")
        ax.set_ylabel("sigma (non-linearity, interactions)")
        ax.set_title(outcome, fontsize=9)
    return _save(fig, path)


def pawn(table: pd.DataFrame, path: Path) -> Path | None:
    """PAWN median index with its min-max range over slides, one panel per outcome."""
    if table is None or table.empty:
        return None
    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = _grid(len(outcomes), PANEL_HEIGHT + 0.2 * table["parameter"].nunique())
    for ax, outcome in zip(axes, outcomes):
        rows = table[table["outcome"] == outcome]
        pos = np.arange(len(rows))
        err = np.vstack([rows["median"] - rows["minimum"], rows["maximum"] - rows["median"]])
        ax.barh(pos, rows["median"], xerr=np.clip(err, 0, None), capsize=2)
        ax.set_yticks(pos, [short(p) for p in rows["parameter"]], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("PAWN (median KS; bars: min-max over slides)")
        ax.set_title(outcome, fontsize=9)
    return _save(fig, path)


def prim_tradeoff(traj: pd.DataFrame, path: Path, sample: str = "") -> Path | None:
    """Coverage against density along each box's peeling trajectory.

    ``sample``: appended to every label that claims zero, " (in the sample)"
    below full scale, as report.md does."""
    if traj is None or traj.empty:
        return None
    fig, ax = plt.subplots(figsize=(PANEL_WIDTH + 1, PANEL_HEIGHT + 0.5))
    for number, rows in traj.groupby("box"):
        points = ax.scatter(rows["coverage"], rows["density"], c=rows["res dim"], cmap="viridis",
                            s=18, label=f"box {number}")
        chosen = rows[rows["selected"]]
        ax.scatter(chosen["coverage"], chosen["density"], marker="*", s=160, color="red",
                   edgecolor="black", zorder=3)
    fig.colorbar(points, ax=ax, label="restricted dimensions")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"coverage (share of zero-staying points inside){sample}")
    ax.set_ylabel(f"density (share of points inside that stay at zero){sample}")
    ax.set_title("PRIM peeling trajectory (star: box reported)", fontsize=9)
    return _save(fig, path)


def prim_limits(boxes: pd.DataFrame, path: Path) -> Path | None:
    """Each box's numeric limits as a share of the parameter's sampled range."""
    if boxes.empty or "range_min" not in boxes:
        return None
    numeric = boxes[boxes["range_min"].notna()]
    if numeric.empty:
        return None
    numbers = list(dict.fromkeys(numeric["box"]))
    fig, axes = _grid(len(numbers), PANEL_HEIGHT * 0.5 + 0.35 * numeric.groupby("box").size().max())
    for ax, number in zip(axes, numbers):
        rows = numeric[numeric["box"] == number].reset_index(drop=True)
        span = rows["range_max"] - rows["range_min"]
        low = (rows["min"] - rows["range_min"]) / span
        high = (rows["max"] - rows["range_min"]) / span
        ax.barh(rows.index, [1] * len(rows), color="lightgrey")
        ax.barh(rows.index, high - low, left=low, color="tab:green")
        for i, r in rows.iterrows():
            ax.text(1.02, i, f"{r['min']:.3g} - {r['max']:.3g}", va="center", fontsize=7)
        ax.set_yticks(rows.index, [short(p) for p in rows["parameter"]], fontsize=8)
        ax.set_xlim(0, 1.35)
        ax.invert_yaxis()
        first = boxes[boxes["box"] == number].iloc[0]
        ax.set_title(f"box {number}: coverage {first['coverage']:.2f}, "
                     f"density {first['density']:.2f}", fontsize=9)
        ax.set_xlabel("share of the sampled range (green: inside the box)")
    return _save(fig, path)


def regional_cdfs(spec: ExperimentSpec, points: pd.DataFrame, path: Path, sample: str = "") -> Path | None:
    """CDF of each parameter over points that keep zero at zero and the rest."""
    stays = points["stays"].to_numpy(dtype=bool)
    if stays.all() or not stays.any():
        return None
    coded = coded_values(spec, points[list(spec.parameters)])
    fig, axes = _grid(len(spec.parameters), PANEL_HEIGHT * 0.8)
    for ax, name in zip(axes, spec.parameters):
        for mask, label in ((stays, f"keeps zero at zero{sample}"), (~stays, "does not")):
            values = np.sort(coded[name].to_numpy()[mask])
            ax.step(values, np.arange(1, len(values) + 1) / len(values), where="post", label=label)
        ax.set_title(short(name), fontsize=8)
        ax.set_ylabel("CDF")
    axes[0].legend(fontsize=7)
    return _save(fig, path)


def distributions(runs: pd.DataFrame, outcomes: list[str], path: Path) -> Path | None:
    """Histogram of each outcome over successful runs."""
    ok = runs[runs["status"] == "ok"]
    present = [o for o in outcomes if o in ok and ok[o].notna().any()]
    if not present:
        return None
    fig, axes = _grid(len(present), PANEL_HEIGHT * 0.8)
    for ax, outcome in zip(axes, present):
        ax.hist(ok[outcome].dropna(), bins=BIN_COUNT, color="tab:blue")
        ax.set_title(outcome, fontsize=9)
        ax.set_ylabel("runs")
    return _save(fig, path)


def cost_vs_stay(points: pd.DataFrame, path: Path, cost_name: str, sample: str = "") -> Path | None:
    """Mean cost of each design point against its probability of staying at zero."""
    if "cost" not in points or points["cost"].isna().all():
        return None
    fig, ax = plt.subplots(figsize=(PANEL_WIDTH, PANEL_HEIGHT))
    ax.scatter(points["cost"], points["p_stay"], s=10, alpha=0.6,
               c=np.where(points["stays"], "tab:green", "tab:grey"))
    ax.set_xlabel(f"{cost_name} (mean over replications)")
    ax.set_ylabel(f"P(zero-employment households\nstay at 0){sample}")
    return _save(fig, path)
