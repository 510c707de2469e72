"""The text of ``report.md``: sections, tables and figure links.

Written for a policy researcher: each section says in a sentence what its
numbers mean, tables are GitHub markdown, and figures are linked relative to
the sweep directory.  :func:`experiments.report.analyze_dir` computes the
results; :func:`render` turns them into markdown.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.certify import COLUMN as BOUND

#: Distinct error messages listed in the report.
TOP_ERRORS = 5
#: Numeric precision of report tables.
SIGNIFICANT_DIGITS = 3
#: Points listed in the table of what the sample can certify.
TOP_CERTIFY = 10
#: What below full scale qualifies: a claim that something keeps zero at zero.
_ZERO_CLAIM = re.compile(r"\b(keeps?|keeping) (zero-employment households|zero) at zero\b"
                         r"(?! \(in the sample\))")
IN_SAMPLE = " (in the sample)"


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


def in_sample(text: str) -> str:
    """Qualify every claim that something keeps zero at zero with "(in the
    sample)": below full scale no claim of zero is about the whole population."""
    return _ZERO_CLAIM.sub(lambda m: m.group(0) + IN_SAMPLE, text)


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
                     "zero-employment households at zero." + _bound_clause(pts))
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
    lines += _zero_section(spec, disc, figs, out_dir, result.below_full_scale)
    lines += _section("Caveats")
    lines += [f"- {c}" for c in result.caveats] or ["- None found."]
    text = "\n".join(lines) + "\n"
    return in_sample(text) if result.below_full_scale else text


def _bound_clause(pts: pd.DataFrame) -> str:
    """Below full scale: what the sample cannot rule out where it saw zero."""
    if BOUND not in pts or "full_scale" not in pts or pts["full_scale"].astype(bool).all():
        return ""
    bounds = pts.loc[pts["stays"] & ~pts["full_scale"].astype(bool), BOUND].dropna()
    if bounds.empty:
        return " The sample cannot certify zero at full scale (see 'What the sample can certify')."
    return (f" At them the sample cannot rule out up to {num(bounds.max())} full-scale "
            f"zero-employment household-months per run (95 % upper bound; median "
            f"{num(bounds.median())}; see 'What the sample can certify').")


def _certify_section(spec, pts: pd.DataFrame, below: bool) -> list[str]:
    """What the runs certify about the whole population (see experiments.certify)."""
    if BOUND not in pts or pts[BOUND].isna().all():
        if not below:
            return []
        return ["### What the sample can certify", "", f"This study ran at scale {spec.scale}, "
                "but its runs do not report the household-months they simulated "
                "(`households_sampled`, `households_fullscale`, `zero_household_months_sampled`, "
                "`months_after_warmup`), so no bound on full-scale zero-employment "
                "household-months can be given: every claim of zero here is about the sample "
                "only.", ""]
    if pts["full_scale"].astype(bool).all():
        return ["### Full scale", "", "Every run simulated the whole population, so a point "
                "that keeps zero at zero had no zero-employment household in any month after "
                f"the warm-up. `{BOUND}` in `analysis/zero_by_point.csv` holds the observed "
                "full-scale zero-employment household-months (mean per run over replications); "
                "no bound is needed.", ""]
    per_run = pts["household_months_sampled"].sum() / pts["ok_runs"].sum()
    full = pts["household_months_fullscale"].mean()
    where = f"scale {spec.scale}" if spec.scale else f"a {per_run / full:.1%} sample"
    stays = pts[pts["stays"] & ~pts["full_scale"].astype(bool)]
    text = (f"This study ran at {where}: a run simulated about {num(per_run)} household-months "
            f"after the warm-up, of {num(full)} at full scale. A point that keeps zero at zero "
            "saw no zero-employment household in any month after the warm-up among the "
            "households simulated; the other households were not simulated. "
            f"`{BOUND}` in `analysis/zero_by_point.csv` is the one-sided 95 % "
            "upper bound on the full-scale zero-employment household-months per run that the "
            "sample is consistent with (Clopper-Pearson on the household-months simulated, "
            "pooled over replications; the rule of three, 3/n, when none was seen). ")
    if len(stays):
        low, high = stays[BOUND].min(), stays[BOUND].max()
        span = num(high) if num(low) == num(high) else f"from {num(low)} to {num(high)}"
        one = len(stays) == 1
        text += (f"Over the {'one point that keeps' if one else f'{len(stays)} points that keep'} "
                 "zero at zero, the sample cannot rule "
                 f"out {span} full-scale zero-employment household-months per run (median "
                 f"{num(stays[BOUND].median())}). ")
    text += ("The bound treats household-months as independent draws; spells last months and "
             "villages are sampled whole, so the true uncertainty is larger. Only a study at "
             "scale 1.0 can say that zero stays zero for the whole population.")
    lines = ["### What the sample can certify", "", text, ""]
    if len(stays):
        cols = ["ok_runs", "household_months_sampled", "zero_hh_months_sampled", "bound", BOUND]
        top = stays.sort_values(BOUND).head(TOP_CERTIFY)[cols].reset_index(names="point")
        counts = ["household_months_sampled", "zero_hh_months_sampled"]
        top[counts] = top[counts].round().astype("int64")
        lines += [f"Points that keep zero at zero, lowest bound first (at most {TOP_CERTIFY}):",
                  "", md_table(top), ""]
    return lines


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


def _zero_section(spec, disc, figs, out_dir, below: bool = False) -> list[str]:
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
    lines += _certify_section(spec, pts, below)
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
