"""Report-quality figures of one run (used by ``wengang run``, notebooks and docs)."""

from __future__ import annotations

from pathlib import Path

import subprocess

import matplotlib.pyplot as plt  # falls back to Agg without a display
import numpy as np
import pandas as pd
from matplotlib import font_manager, rcParams

from .outcomes import EMPLOYMENT_CHANNELS, LEVERS

CHANNEL_LABELS = {
    "park_jobs": "Industrial parks",
    "agricultural_jobs": "Agricultural parks and co-ops",
    "village_factory_jobs": "Village factories",
    "home_piecework_jobs": "Home piecework",
    "local_services_jobs": "Local services",
    "domestic_service_jobs": "Domestic service",
    "ecommerce_jobs": "E-commerce",
    "exported": "Labour export (Jiangsu)",
    "migrant": "Migrant work",
    "self_employed": "Self-employed",
    "on_village_posts": "Village posts",
    "on_maintenance_posts": "Maintenance posts",
    "on_agency_posts": "Agency posts",
    "on_clearing_posts": "Clearing posts",
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
    ax.stackplot(
        x,
        [ts[c] / 1000 for c in EMPLOYMENT_CHANNELS],
        labels=[CHANNEL_LABELS[c] for c in EMPLOYMENT_CHANNELS],
        colors=plt.get_cmap("tab20").colors[: len(EMPLOYMENT_CHANNELS)],  # 12 channels, 12 distinct colours
        alpha=0.9,
    )
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


def use_cjk_font() -> bool:
    """Let matplotlib draw the counties' Chinese names if a CJK font is installed."""
    have = {f.name for f in font_manager.fontManager.ttflist}
    wanted = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei", "PingFang SC")
    found = next((f for f in wanted if f in have), None)
    if found is None:  # a font installed after matplotlib built its cache
        try:
            files = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10).stdout.split()
        except (OSError, subprocess.SubprocessError):
            files = []
        for file in files[:1]:
            font_manager.fontManager.addfont(file.rstrip(":"))
            found = font_manager.FontProperties(fname=file.rstrip(":")).get_name()
    if found:
        rcParams["font.family"] = ["sans-serif", found]  # glyph by glyph: Latin first, then CJK
    return found is not None


def public_posts_filled(ts, ax, p):
    """Public posts held, by kind, against the quota of capped posts."""
    kinds = ["on_village_posts", "on_maintenance_posts", "on_agency_posts", "on_clearing_posts"]
    x = _dates(ts)
    ax.stackplot(x, [ts[k] / 1000 for k in kinds], labels=[CHANNEL_LABELS[k] for k in kinds], alpha=0.9)
    pp = p.levers.public_posts
    villages = sum(c.villages for c in p.population.counties)
    quota = ((pp.village_posts_per_village + pp.maintenance_posts_per_village) * villages + pp.agency_posts_total) / 1000
    ax.axhline(quota, color="black", ls="--", lw=1, label="Quota: village + maintenance + agency")
    _style(ax, "Public posts filled", "thousand people")
    ax.set_ylim(0, 1.1 * max(quota, float(ts[kinds].sum(axis=1).max()) / 1000, 0.001))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)


def by_county(table, fig, counties, when: str = "", cjk: bool = False):
    """Employment rate and zero-employment households by county; former poverty counties in red."""
    ax1, ax2 = fig.subplots(1, 2, sharey=True)
    names = list(table["county"]) if cjk else [str(c.code) for c in counties]
    colour = ["#b2182b" if c.poverty_county else "#4575b4" for c in counties]
    y = np.arange(len(table))[::-1]
    ax1.barh(y, 100 * table["employment_rate"], color=colour)
    ax1.set_yticks(y, names)
    ax1.set_xlabel("% of people able to work")
    ax1.set_title("Employment rate", loc="left", fontweight="bold")
    ax2.barh(y, table["zero_employment_households"], color=colour)
    ax2.set_xlabel("households")
    ax2.set_title("Zero-employment households", loc="left", fontweight="bold")
    for ax in (ax1, ax2):
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", alpha=0.3)
    note = f"By county{', ' + when if when else ''}; red: former poverty counties" + ("" if cjk else "; county codes")
    fig.suptitle(note, x=0.01, ha="left", fontsize=9, color="grey")


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
