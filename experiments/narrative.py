"""The text of ``report.md``: sections, tables and figure links.

Written for a policy researcher: each section says in a sentence what its
numbers mean, tables are GitHub markdown, and figures are linked relative to
the sweep directory.  :func:`experiments.report.analyze_dir` computes the
results; :func:`render` turns them into markdown.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: Distinct error messages listed in the report.
TOP_ERRORS = 5
#: Numeric precision of report tables.
SIGNIFICANT_DIGITS = 3


def md_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured markdown table; floats to :data:`SIGNIFICANT_DIGITS` digits."""
    def cell(v) -> str:
        """One table cell: floats rounded, pipes escaped."""
        if isinstance(v, (float, np.floating)):
            return "" if np.isnan(v) else f"{v:.{SIGNIFICANT_DIGITS}g}"
        return str(v).replace("|", "\\|")
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def num(value: float) -> str:
    """A number for prose: thousands separated when large, 3 significant digits else."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _highlights(spec, runs, sens, disc) -> list[str]:
    """A few plain sentences: the strongest input per outcome, zero stays zero."""
    lines = []
    table = sens.tables.get("sobol", sens.tables.get("fast"))
    if table is not None:
        for outcome, rows in table.groupby("outcome", sort=False):
            rows = rows.sort_values("ST", ascending=False)
            top = rows.iloc[0]
            text = (f"`{outcome}` depends most on `{top['parameter']}` "
                    f"(ST {top['ST']:.2f} ± {top['ST_conf']:.2f})")
            if len(rows) > 1:
                second = rows.iloc[1]
                if top["ST"] - top["ST_conf"] <= second["ST"] + second["ST_conf"]:
                    text += f", not clearly ahead of `{second['parameter']}`"
            lines.append(text + ".")
    if "morris" in sens.tables:
        for outcome, rows in sens.tables["morris"].groupby("outcome", sort=False):
            top = rows.sort_values("mu_star", ascending=False).iloc[0]
            lines.append(f"`{outcome}` is moved most by `{top['parameter']}` "
                         f"(mu* {num(top['mu_star'])}).")
    if disc is not None:
        pts = disc.points
        lines.append(f"{int(pts['stays'].sum())} of {len(pts)} design points keep "
                     "zero-employment households at zero.")
        if not disc.boxes.empty:
            first = disc.boxes[disc.boxes["box"] == 1]
            limits = "; ".join(_limit_text(r) for r in first.itertuples())
            lines.append(f"PRIM box 1 ({first['coverage'].iloc[0]:.0%} of them, density "
                         f"{first['density'].iloc[0]:.0%}): {limits}.")
    if len(runs.failed):
        lines.append(f"{len(runs.failed)} runs failed and are left out (see Runs).")
    return [f"- {line}" for line in lines]


def _limit_text(row) -> str:
    if isinstance(row.values, str) and row.values:
        return f"`{row.parameter}` in {{{row.values}}}"
    return f"`{row.parameter}` {num(row.min)} to {num(row.max)}"


def _section(title: str, text: str = "") -> list[str]:
    return [f"## {title}", "", text, ""] if text else [f"## {title}", ""]


def _figure(path: Path | None, out_dir: Path, alt: str) -> list[str]:
    return [f"![{alt}]({path.relative_to(out_dir).as_posix()})", ""] if path else []


def render(spec, manifest, runs, summary, failures, sens, disc, figs, result,
           out_dir: Path) -> str:
    """The whole of report.md."""
    size = manifest["design_size"]
    lines = [f"# Experiment report: {spec.name}", ""]
    if spec.description:
        lines += [spec.description.strip(), ""]
    lines += _section("Study", (
        f"Model `{spec.model}`" + (f" on scenario `{spec.scenario}`" if spec.scenario else "")
        + f"; sampler **{spec.sampler}** with N = {spec.samples}"
        + (" (with second-order terms)" if spec.second_order else "")
        + f"; **{size['points']} design points × {size['replications']} replications = "
        f"{size['runs']} runs**; seed {spec.seed}"
        + (f"; scale {spec.scale}" if spec.scale else "")
        + (f"; {spec.months} months" if spec.months else "")
        + f". Spec hash `{manifest['spec_hash'][:12]}`, package {manifest['package_version']}, "
        f"commit `{(manifest.get('git_commit') or 'none')[:12]}`"
        + (" (with uncommitted changes)" if manifest.get("git_dirty") else "") + "."))
    params = pd.DataFrame([{"parameter": n, "type": p.type,
                            "range": f"{p.min:g} to {p.max:g}" if p.min is not None
                            else ", ".join(map(str, p.values)), "group": p.group or ""}
                           for n, p in spec.parameters.items()])
    lines += [md_table(params), ""]
    highlights = _highlights(spec, runs, sens, disc)
    if highlights:
        lines += _section("Summary") + highlights + [""]
    lines += _section("Runs", f"{len(runs.table)} of {size['runs']} runs present: "
                      f"{len(runs.ok)} succeeded, {len(runs.failed)} failed. "
                      f"Failed runs are excluded from the analysis ({result.excluded} excluded).")
    if len(failures):
        lines += [md_table(failures.head(TOP_ERRORS)), ""]
    lines += _section("Outcomes", "Over successful runs. `noise_share` is the share of "
                      "run-to-run variance that lies between replications of the same inputs.")
    lines += [md_table(summary), ""] + _figure(figs["distributions"], out_dir, "distributions")
    lines += _sensitivity_section(spec, sens, figs, out_dir)
    lines += _zero_section(spec, disc, figs, out_dir)
    lines += _section("Caveats")
    lines += [f"- {c}" for c in result.caveats] or ["- None found."]
    return "\n".join(lines) + "\n"


def _sensitivity_section(spec, sens, figs, out_dir) -> list[str]:
    lines = _section("Sensitivity", "Indices are computed on the mean over replications of "
                     "each design point. S1: share of the outcome's variance due to the "
                     "parameter alone; ST: including its interactions. ± is the bootstrap "
                     f"{spec.analysis.conf_level:.0%} confidence half-width.")
    for name, label in (("sobol", "Sobol"), ("fast", "FAST")):
        if name in sens.tables:
            lines += [f"### {label} indices", "", md_table(sens.tables[name]), ""]
            lines += _figure(figs["indices"], out_dir, f"{label} indices")
    if "morris" in sens.tables:
        lines += ["### Morris screening", "", "mu*: mean absolute effect of one grid step across "
                  "the parameter's range; sigma: how much that effect changes with the other "
                  "inputs (non-linearity or interaction).", "", md_table(sens.tables["morris"]), ""]
        lines += _figure(figs["morris"], out_dir, "Morris plane")
    if "pawn" in sens.tables:
        lines += ["### PAWN (moment-independent)", "", "Kolmogorov-Smirnov distance between the "
                  "outcome's distribution with the parameter fixed and without; 0 = no influence.",
                  "", md_table(sens.tables["pawn"][["outcome", "parameter", "median", "maximum"]]),
                  ""] + _figure(figs["pawn"], out_dir, "PAWN")
    return lines


def _zero_section(spec, disc, figs, out_dir) -> list[str]:
    a = spec.analysis
    if disc is None:
        return _section("Zero stays zero", f"Not analysed: the runs have no `{a.zero_outcome}`.")
    pts = disc.points
    lines = _section("Zero stays zero", (
        f"A design point *keeps zero at zero* when `{a.zero_outcome}` is 0 in at least "
        f"{a.stay_probability:.0%} of its successful replications. {int(pts['stays'].sum())} of "
        f"{len(pts)} points do (mean P(stay) = {pts['p_stay'].mean():.2f})."))
    if not disc.boxes.empty:
        cols = ["box", "kind", "parameter", "min", "max", "values", "qp_value", "coverage",
                "density", "mean_cost_at_zero"]
        lines += ["### Scenario discovery (PRIM)", "", "Boxes of input ranges in which points "
                  "keep zero at zero. Coverage: share of all such points inside the box; "
                  "density: share of points inside the box that keep zero at zero.", "",
                  md_table(disc.boxes[cols]), ""]
        lines += _figure(figs.get("tradeoff"), out_dir, "PRIM trade-off")
        lines += _figure(figs.get("limits"), out_dir, "PRIM box limits")
    if not disc.regional.empty:
        lines += ["### Regional sensitivity", "", "KS distance between the distribution of each "
                  "input over points that keep zero at zero and over the rest; large = the input "
                  "separates them. `typical`: the median, or the most common value of a switch or "
                  "category.", "", md_table(disc.regional), ""]
        lines += _figure(figs.get("cdfs"), out_dir, "regional CDFs")
    if not disc.pawn.empty:
        ranked = disc.pawn.sort_values("median", ascending=False)
        lines += ["### PAWN on P(stay at zero)", "",
                  md_table(ranked[["parameter", "median", "maximum"]]), ""]
    lines += ["### Cost", ""]
    if disc.cheapest is not None:
        stay_cost = pts.loc[pts["stays"], "cost"]
        caution = (" Its uncertainties were as listed: read it with the PRIM boxes, which "
                   "hold across uncertainties." if not disc.boxes.empty else "")
        lines += [f"`{a.cost_outcome}` over points that keep zero at zero: median "
                  f"{num(stay_cost.median())}, range {num(stay_cost.min())} to "
                  f"{num(stay_cost.max())} (all points: median {num(pts['cost'].median())}).", "",
                  f"The cheapest point that keeps zero at zero.{caution}", ""]
        cheap = disc.cheapest
        keys = list(spec.parameters) + [c for c in cheap.index if c.startswith("fiscal_cost_")]
        lines += [md_table(pd.DataFrame({"input or cost": keys,
                                         "value": [cheap[k] for k in keys]})), ""]
        lines += _figure(figs.get("cost"), out_dir, "cost against P(stay at zero)")
    else:
        lines += ["No cost: no point keeps zero at zero, or the runs have no "
                  f"`{a.cost_outcome}`.", ""]
    return lines
