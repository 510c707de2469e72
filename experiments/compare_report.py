"""What ``wengang compare`` writes: paired differences with 95 % intervals.

For each outcome and each scenario after the first, the paired differences
``d_r = y_r(scenario) - y_r(first)`` over the replications r where both runs
succeeded give the mean difference and Student's t interval
``mean +/- t(0.975, n - 1) sd / sqrt(n)`` (exact for normal differences; the
common seeds make the differences far less spread than the outcomes).  When
the interval contains 0 although the mean difference is not 0, the report
says how many replications would make an interval of the same spread exclude
a difference of the observed size.

Files: ``comparison.csv`` and ``by_county.csv`` (one row per outcome, or per
county and metric, and scenario), ``comparison.md`` and ``paths.png``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from experiments import store
from experiments.compare import COUNTY_PREFIX, PARAMETER, PATH_PREFIX, labels_of
from experiments.spec import load_spec

CONFIDENCE = 0.95
#: Give up looking for the replications needed beyond this many.
MAX_REPLICATIONS_NEEDED = 1_000_000
#: Series drawn in paths.png (those present), and the band: middle 90 % of replications.
FIGURE_SERIES = ("employed", "zero_employment_households", "on_public_posts", "fiscal_cost_yuan")
BAND_PERCENTILES = (5, 95)
DPI = 120


@dataclass(frozen=True)
class Interval:
    """A paired difference: its mean, spread and confidence interval over n pairs."""

    n: int
    mean: float
    sd: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def paired_interval(differences, confidence: float = CONFIDENCE) -> Interval:
    """Student's t interval for the mean of paired differences (NaN below two pairs)."""
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    n = len(d)
    if n < 2:
        mean = float(d.mean()) if n else math.nan
        return Interval(n, mean, math.nan, math.nan, math.nan)
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    half = float(stats.t.ppf((1 + confidence) / 2, n - 1)) * sd / math.sqrt(n)
    return Interval(n, mean, sd, mean - half, mean + half)


def replications_needed(mean: float, sd: float, confidence: float = CONFIDENCE) -> int | None:
    """Fewest pairs whose t interval, with this spread, excludes a difference of this size.

    None when there is no difference to detect (or too many would be needed).
    """
    if not (math.isfinite(mean) and math.isfinite(sd)) or mean == 0:
        return None
    if sd == 0:
        return 2
    q = (1 + confidence) / 2

    def enough(n: int) -> bool:
        return stats.t.ppf(q, n - 1) * sd / math.sqrt(n) < abs(mean)

    low = high = max(2, math.ceil((stats.norm.ppf(q) * sd / abs(mean)) ** 2))
    while not enough(high):  # t is wider than normal: the normal answer is a lower bound
        low, high = high, 2 * high
        if high > MAX_REPLICATIONS_NEEDED:
            return None
    while low < high:  # the fewest in (low, high] that suffice
        mid = (low + high) // 2
        low, high = (low, mid) if enough(mid) else (mid + 1, high)
    return high


def summarize(wide: dict[str, pd.DataFrame], labels: list[str]) -> pd.DataFrame:
    """One row per (name, scenario): mean, and the paired difference from the first.

    ``wide[name]`` has one row per replication and one column per scenario index.
    """
    rows = []
    for name, frame in wide.items():
        first = frame[0] if 0 in frame else pd.Series(dtype=float)
        for i, label in enumerate(labels):
            y = frame[i] if i in frame else pd.Series(dtype=float)
            row = {"name": name, "scenario": label, "runs": int(y.notna().sum()),
                   "mean": float(y.mean()), "sd": float(y.std(ddof=1)) if y.notna().sum() > 1
                   else math.nan}
            if i > 0:
                iv = paired_interval((y - first).to_numpy())
                needed = None if iv.excludes_zero else replications_needed(iv.mean, iv.sd)
                row.update(pairs=iv.n, difference=iv.mean, difference_sd=iv.sd, ci_low=iv.low,
                           ci_high=iv.high, excludes_zero=iv.excludes_zero,
                           replications_needed=needed)
            rows.append(row)
    return pd.DataFrame(rows)


def _wide(ok: pd.DataFrame, columns: list[str]) -> dict[str, pd.DataFrame]:
    """Per column, a replication x scenario-index table."""
    return {c: ok.pivot(index="replication", columns="point", values=c) for c in columns}


def _fmt(x) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _markdown(table: pd.DataFrame, labels: list[str], spec, runs: store.Runs) -> str:
    first = labels[0]
    scale = f"scale {spec.scale}" if spec.scale else "the scenarios' own scale"
    months = f"{spec.months} months" if spec.months else "the scenarios' horizon"
    lines = [f"# Comparison: {' vs '.join(labels)}", "",
             f"{spec.replications} replications per scenario at {scale} over {months}, on "
             f"common seeds (seed {spec.seed}): replication r of every scenario draws the same "
             f"random numbers wherever the scenarios agree. {len(runs.failed)} runs failed; "
             "differences use only replications where both runs succeeded.", "",
             f"Differences are paired, from **{first}**, with {CONFIDENCE:.0%} t intervals.", ""]
    for label in labels[1:]:
        part = table[table["scenario"].isin([first, label])]
        lines += [f"## {label} minus {first}", "",
                  f"| outcome | {first} | {label} | difference | {CONFIDENCE:.0%} interval | excludes 0 |",
                  "|---|---:|---:|---:|---|---|"]
        notes = []
        for name, rows in part.groupby("name", sort=False):
            a, b = rows.iloc[0], rows.iloc[-1]
            lines.append(f"| {name} | {_fmt(a['mean'])} | {_fmt(b['mean'])} | "
                         f"{_fmt(b['difference'])} | [{_fmt(b['ci_low'])}, {_fmt(b['ci_high'])}] "
                         f"| {'yes' if b['excludes_zero'] else 'no'} |")
            if not b["excludes_zero"] and b["difference"] != 0 and math.isfinite(b["difference"]):
                need = b["replications_needed"]
                more = (f"about {int(need)} would be needed at the same spread"
                        if pd.notna(need) else "no practical number would do")
                notes.append(f"- `{name}`: R = {int(b['pairs'])} is too small for the interval "
                             f"to exclude 0 for a difference of this size; {more}.")
        lines += ["", *notes, ""] if notes else [""]
    if spec.scale and spec.scale < 1:
        lines += ["## What this scale can say", "",
                  f"At scale {spec.scale} the population is a sample of whole villages and counts "
                  "are full-scale equivalents. A sample misses most rare failures: a "
                  "zero-employment count at or near 0 here bounds the full-scale count from "
                  "above only loosely; studies of zero run at scale 1.0.", ""]
    lines += ["Files: `comparison.csv`, `by_county.csv` (end-of-run county table), `paths.png`; "
              "runs under `runs/` (resume with `wengang compare ... --resume`).", ""]
    return "\n".join(lines)


def _paths_figure(ok: pd.DataFrame, labels: list[str], path: Path) -> Path | None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = [s for s in FIGURE_SERIES if any(c.startswith(f"{PATH_PREFIX}{s}:") for c in ok)]
    if not series:
        return None
    fig, axes = plt.subplots(1, len(series), figsize=(4.6 * len(series), 3.6), squeeze=False)
    for ax, name in zip(axes[0], series):
        cols = [c for c in ok if c.startswith(f"{PATH_PREFIX}{name}:")]
        months = np.array([int(c.rsplit(":", 1)[1]) for c in cols])
        order = np.argsort(months)
        for i, label in enumerate(labels):
            values = ok[ok["point"] == i][cols].to_numpy(dtype=float)[:, order]
            if not len(values):
                continue
            low, high = np.nanpercentile(values, BAND_PERCENTILES, axis=0)
            line, = ax.plot(months[order], np.nanmean(values, axis=0), label=label)
            ax.fill_between(months[order], low, high, color=line.get_color(), alpha=0.2)
        ax.set_title(name.replace("_", " "), fontsize=10)
        ax.set_xlabel("month")
    axes[0][0].legend(fontsize=8, title=f"mean; band {BAND_PERCENTILES[0]}-{BAND_PERCENTILES[1]} %")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def write_comparison(out_dir: Path) -> list[Path]:
    """Read a comparison's runs and write its four files; returns their paths."""
    out_dir = Path(out_dir)
    spec = load_spec(out_dir / store.SPEC_COPY, check_files=False, check_model=False)
    labels = labels_of(spec.parameters[PARAMETER].values)
    runs = store.load_runs(out_dir)
    ok = runs.ok
    skip = {*store.KEY_COLUMNS, *store.META_COLUMNS, PARAMETER}
    columns = [c for c in ok.columns if c not in skip]
    metrics = [c for c in columns if not c.startswith((PATH_PREFIX, COUNTY_PREFIX))]
    county = [c for c in columns if c.startswith(COUNTY_PREFIX)]
    table = summarize(_wide(ok, metrics), labels).rename(columns={"name": "outcome"})
    by_county = summarize(_wide(ok, county), labels)
    parts = by_county.pop("name").str[len(COUNTY_PREFIX):].str.rsplit(":", n=1, expand=True)
    if len(by_county):
        by_county.insert(0, "metric", parts[1])
        by_county.insert(0, "county", parts[0])
    files = [out_dir / "comparison.csv", out_dir / "by_county.csv", out_dir / "comparison.md"]
    table.to_csv(files[0], index=False)
    by_county.to_csv(files[1], index=False)
    files[2].write_text(_markdown(table.rename(columns={"outcome": "name"}), labels, spec, runs),
                        encoding="utf-8")
    figure = _paths_figure(ok, labels, out_dir / "paths.png")
    return files + ([figure] if figure else [])
