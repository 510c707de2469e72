"""What ``wengang optimize`` writes.

- ``candidates.csv``: every candidate evaluated (generation first seen, its
  levers, its objective values, worlds missing, feasible, on the Pareto set);
- ``pareto.csv``: the Pareto set (levers and objective values), cheapest first;
- ``parallel_coordinates.png``: the Pareto set across levers and objectives,
  each axis scaled to its range;
- ``tradeoff.png``: cost against the zero rule, every feasible candidate
  and the Pareto set;
- ``report.md``: the study, the cheapest candidate that meets the zero rule's
  goal (with its levers), and the Pareto set.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from experiments.optimize import make_algorithm
from experiments.optimize_spec import OptimizeSpec

DPI = 120
#: Pareto rows shown in report.md (pareto.csv has them all).
REPORT_ROWS = 20
PREFIXES = ("levers.", "uncertainties.")


def _short(name: str) -> str:
    for prefix in PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _roles(spec: OptimizeSpec) -> tuple[str, str]:
    """The cost and zero objectives: from ``report``, else the first two objectives."""
    if spec.report is not None:
        return spec.report.cost, spec.report.zero
    return spec.objectives[0].name, spec.objectives[1].name


def _fmt(x) -> str:
    if isinstance(x, (bool, np.bool_, str)):
        return str(x)
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def cheapest_meeting_goal(spec: OptimizeSpec, candidates: pd.DataFrame) -> pd.Series | None:
    """The feasible candidate of lowest cost whose zero objective meets its goal."""
    cost, zero = _roles(spec)
    goal = spec.objective(zero).goal
    if goal is None or candidates.empty:
        return None
    ok = candidates[candidates["feasible"] & candidates[zero].map(goal.met)]
    if ok.empty:
        return None
    sense = spec.objective(cost).sense
    return ok.sort_values(cost, ascending=sense == "minimize", kind="stable").iloc[0]


def _parallel(spec: OptimizeSpec, pareto: pd.DataFrame, path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cost, _ = _roles(spec)
    axes = [*spec.levers, *(o.name for o in spec.objectives)]
    scaled = []
    for name in axes:
        col = pd.to_numeric(pareto[name], errors="coerce") if name not in spec.levers or \
            spec.levers[name].type in ("real", "integer") else pareto[name].astype("category").cat.codes
        col = col.astype(float)
        if name in spec.levers and spec.levers[name].type in ("real", "integer"):
            low, high = spec.levers[name].min, spec.levers[name].max
        else:
            low, high = col.min(), col.max()
        scaled.append((col - low) / (high - low) if high > low else col * 0 + 0.5)
    data = np.column_stack(scaled) if len(pareto) else np.empty((0, len(axes)))
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(axes)), 4.2))
    colour = pd.to_numeric(pareto[cost]).to_numpy(dtype=float) if len(pareto) else []
    cmap = plt.get_cmap("viridis")
    span = (np.min(colour), np.max(colour)) if len(colour) else (0, 1)
    for row, c in zip(data, colour):
        share = (c - span[0]) / (span[1] - span[0]) if span[1] > span[0] else 0.5
        ax.plot(range(len(axes)), row, color=cmap(share), alpha=0.7)
    ax.set_xticks(range(len(axes)), [_short(a) for a in axes], rotation=25, ha="right", fontsize=8)
    ax.set_ylabel("share of range (levers: their bounds)")
    ax.set_title(f"Pareto set ({len(pareto)} candidates), coloured by {cost}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _tradeoff(spec: OptimizeSpec, candidates: pd.DataFrame, path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cost, zero = _roles(spec)
    feasible = candidates[candidates["feasible"]]
    pareto = feasible[feasible["pareto"]].sort_values(cost)
    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.scatter(feasible[cost], feasible[zero], s=12, color="0.7", label="evaluated")
    ax.plot(pareto[cost], pareto[zero], "o", color="C3", label="Pareto set")
    goal = spec.objective(zero).goal
    if goal is not None:
        ax.axhline(goal.at_least if goal.at_least is not None else goal.at_most, ls="--",
                   color="C0", label="zero goal")
    best = cheapest_meeting_goal(spec, candidates)
    if best is not None:
        ax.plot([best[cost]], [best[zero]], "*", ms=14, color="C2", label="cheapest meeting goal")
    ax.set_xlabel(f"{cost} ({spec.objective(cost).outcome}, {spec.objective(cost).robustness.rule})")
    ax.set_ylabel(f"{zero} ({spec.objective(zero).robustness.rule})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _rule(o) -> str:
    r = o.robustness
    if r.rule == "percentile":
        text = f"{r.q:g}th percentile over worlds"
    elif r.rule == "share":
        text = (f"share of worlds with {o.outcome} <= {r.at_most:g}" if r.at_most is not None
                else f"share of worlds with {o.outcome} >= {r.at_least:g}")
    else:
        text = "mean over worlds"
    goal = "" if o.goal is None else (f"; goal >= {o.goal.at_least:g}" if o.goal.at_least
                                      is not None else f"; goal <= {o.goal.at_most:g}")
    return f"- **{o.name}**: {o.sense} `{o.outcome}`, {text}{goal}"


def _report(spec: OptimizeSpec, candidates: pd.DataFrame, pareto: pd.DataFrame) -> str:
    cost, zero = _roles(spec)
    budget = spec.algorithm.population * spec.algorithm.generations
    lines = [f"# Optimisation: {spec.name}", "", (spec.description or "").strip(), "",
             "## Study", "",
             f"Model `{spec.model}`" + (f", scenario `{spec.scenario}`" if spec.scenario else "")
             + (f", scale {spec.scale}" if spec.scale else "")
             + (f", {spec.months} months" if spec.months else "") + ".",
             f"Levers: {', '.join(f'`{k}` [{_fmt(p.min)}, {_fmt(p.max)}]' if p.min is not None else f'`{k}` {p.values}' for k, p in spec.levers.items())}.",
             f"Ensemble: {spec.worlds} world{'s' if spec.worlds > 1 else ''}" + (" (Latin hypercube over "
             + ", ".join(f"`{k}`" for k in spec.uncertainties) + ")" if spec.uncertainties
             else " (differing only in their seeds)") + "; every candidate runs in every world "
             "on the same seeds.",
             f"Search: {type(make_algorithm(spec)).__name__} (pymoo), population {spec.algorithm.population}, "
             f"{spec.algorithm.generations} generations (budget {budget} candidates, "
             f"{budget * spec.worlds} runs at most), seed {spec.seed}. "
             f"{len(candidates)} distinct candidates evaluated, "
             f"{int((~candidates['feasible']).sum()) if len(candidates) else 0} infeasible "
             "(a run failed or an outcome was not a number).", "", "Objectives:", "",
             *[_rule(o) for o in spec.objectives], ""]
    best = cheapest_meeting_goal(spec, candidates)
    lines += ["## Cheapest candidate meeting the zero rule", ""]
    if best is None:
        top = candidates[candidates["feasible"]]
        closest = None
        if len(top):  # the best zero value reached, and the cheapest candidate reaching it
            best_zero = top[zero].max() if spec.objective(zero).sense == "maximize" else top[zero].min()
            closest = top[top[zero] == best_zero].sort_values(
                cost, ascending=spec.objective(cost).sense == "minimize").iloc[0]
        lines.append(f"No candidate evaluated meets the goal of **{zero}**."
                     + (f" The best reached {zero} = {_fmt(closest[zero])} at {cost} = "
                        f"{_fmt(closest[cost])}." if closest is not None else ""))
    else:
        lines += [f"Candidate `{best['candidate']}`: **{cost} = {_fmt(best[cost])}**, "
                  f"**{zero} = {_fmt(best[zero])}**.", "", "| lever | value |", "|---|---:|",
                  *[f"| `{k}` | {_fmt(best[k])} |" for k in spec.levers], "",
                  "Its other objectives: " + ", ".join(f"{o.name} = {_fmt(best[o.name])}"
                                                       for o in spec.objectives) + "."]
    names = [*spec.levers, *(o.name for o in spec.objectives)]
    lines += ["", f"## Pareto set ({len(pareto)} candidates, cheapest first)", "",
              "| " + " | ".join(_short(n) for n in names) + " |",
              "|" + "---:|" * len(names)]
    for _, row in pareto.head(REPORT_ROWS).iterrows():
        lines.append("| " + " | ".join(_fmt(row[n]) for n in names) + " |")
    lines += ["", "Files: `pareto.csv`, `candidates.csv`, `parallel_coordinates.png`, "
              "`tradeoff.png`; runs under `runs/`.", ""]
    if spec.scale and spec.scale < 1:
        lines += ["## Caveats", "", f"At scale {spec.scale} the population is a sample: a "
                  "zero-employment count near 0 bounds the full-scale count only loosely. "
                  f"With {spec.worlds} worlds a share is known only to steps of "
                  f"1/{spec.worlds}. Confirm a chosen candidate at scale 1.0 with "
                  "`wengang compare`.", ""]
    return "\n".join(lines)


def write_outputs(out_dir: Path, spec: OptimizeSpec, candidates: pd.DataFrame) -> list[Path]:
    """Write the tables, the figures and report.md; return their paths."""
    out_dir = Path(out_dir)
    cost, _ = _roles(spec)
    ascending = spec.objective(cost).sense == "minimize"
    pareto = candidates[candidates["pareto"]].sort_values([cost, "candidate"],
                                                          ascending=[ascending, True])
    columns = ["candidate", *spec.levers, *(o.name for o in spec.objectives)]
    files = [out_dir / "candidates.csv", out_dir / "pareto.csv"]
    candidates.to_csv(files[0], index=False)
    pareto[columns].to_csv(files[1], index=False)
    files.append(_parallel(spec, pareto, out_dir / "parallel_coordinates.png"))
    files.append(_tradeoff(spec, candidates, out_dir / "tradeoff.png"))
    report = out_dir / "report.md"
    report.write_text(_report(spec, candidates, pareto), encoding="utf-8")
    return files + [report]
