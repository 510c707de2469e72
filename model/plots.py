"""Report-quality figures of one run (used by ``wengang run``, notebooks and docs)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .outcomes import EMPLOYMENT_CHANNELS, LEVERS  # noqa: E402

CHANNEL_LABELS = {
    "park_jobs": "Industrial parks",
    "agricultural_jobs": "Agricultural parks and co-ops",
    "village_factory_jobs": "Village factories",
    "home_piecework_jobs": "Home piecework",
    "local_services_jobs": "Local services",
    "exported": "Labour export (Jiangsu)",
    "migrant": "Migrant work",
    "self_employed": "Self-employed",
    "on_village_posts": "Village posts",
    "on_maintenance_posts": "Maintenance posts",
    "on_agency_posts": "Agency posts",
    "on_reserve_posts": "Clearing posts",
}
LEVER_LABELS = {
    "training": "Training",
    "public_posts": "Public posts",
    "parks": "Parks and start-ups",
    "export": "Labour export",
    "monitoring": "Monitoring",
}


def _style(ax, title: str, ylabel: str) -> None:
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)


def _dates(ts: pd.DataFrame) -> pd.DatetimeIndex:
    return pd.to_datetime(ts["date"].astype(str) + "-01")


def employment_by_channel(ts: pd.DataFrame, ax=None, title: str = ""):
    ax = ax or plt.subplots(figsize=(9, 4.8))[1]
    x = _dates(ts)
    ax.stackplot(x, [ts[c] / 1000 for c in EMPLOYMENT_CHANNELS], labels=[CHANNEL_LABELS[c] for c in EMPLOYMENT_CHANNELS], alpha=0.9)
    _style(ax, title or "Poverty-alleviated people in work, by channel", "thousand people")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return ax


def zero_employment(ts: pd.DataFrame, ax=None, warmup: int | None = None, title: str = ""):
    ax = ax or plt.subplots(figsize=(9, 3.8))[1]
    x = _dates(ts)
    ax.plot(x, ts["zero_employment_households"], color="#b2182b", lw=2)
    if warmup:
        ax.axvspan(x.iloc[0], x.iloc[min(warmup, len(x) - 1)], color="grey", alpha=0.15, label="warm-up")
        ax.legend(frameon=False)
    _style(ax, title or "Zero-employment households, end of month", "households")
    ax.set_ylim(bottom=0)
    return ax


def fiscal_cost_by_lever(ts: pd.DataFrame, ax=None, title: str = ""):
    ax = ax or plt.subplots(figsize=(9, 4.2))[1]
    year = ts["date"].astype(str).str[:4]
    cols = [f"fiscal_cost_{k}_yuan" for k in LEVERS]
    by_year = ts.groupby(year)[cols].sum() / 1e6
    bottom = None
    for col, lever in zip(cols, LEVERS):
        ax.bar(by_year.index, by_year[col], bottom=bottom, label=LEVER_LABELS[lever])
        bottom = by_year[col] if bottom is None else bottom + by_year[col]
    _style(ax, title or "Fiscal cost by lever", "million yuan per year")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return ax


def write_run_figures(ts: pd.DataFrame, out: Path, title: str = "", warmup: int | None = None) -> list[Path]:
    """Write the three standard figures of a run as PNG files."""
    out = Path(out)
    paths = []
    for name, draw in (
        ("employment_by_channel.png", employment_by_channel),
        ("zero_employment_households.png", lambda t, ax: zero_employment(t, ax, warmup=warmup)),
        ("fiscal_cost_by_lever.png", fiscal_cost_by_lever),
    ):
        fig, ax = plt.subplots(figsize=(10, 4.8), constrained_layout=True)
        draw(ts, ax)
        if title:
            fig.suptitle(title, fontsize=9, color="grey", x=0.01, ha="left")
        fig.savefig(out / name, dpi=150)
        plt.close(fig)
        paths.append(out / name)
    return paths
