"""``wengang analyze DIR``: tables, figures and a readable ``DIR/report.md``.

Reads the spec copy and the runs of a sweep directory, rebuilds the design
(and checks that it still matches the stored inputs), then writes under
``DIR/analysis/``: ``sobol.csv`` (outcome, parameter, S1, S1_conf, ST,
ST_conf), ``morris.csv``, ``fast.csv``, ``pawn.csv``, ``prim_boxes.csv``,
``prim_trajectory.csv``, ``regional.csv``, ``zero_by_point.csv``,
``outcomes.csv``, ``failures.csv`` and the figures; and ``DIR/report.md``.

``zero_by_point.csv`` also has, per point, what the sample certifies about the
whole population (:mod:`experiments.certify`): below full scale the 95 % upper
bound ``zero_hh_months_upper95_fullscale`` on full-scale zero-employment
household-months per run; at full scale the observed figure.  Below full scale
every claim of zero in ``report.md`` says "(in the sample)".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from experiments import certify, discovery, figures, narrative, sensitivity, store
from experiments.sampling import build_design
from experiments.spec import ExperimentSpec, load_spec
from model.validation import InputError, Problem

#: Below this many replications, P(stay at zero) is too coarse to lean on.
FEW_REPLICATIONS = 4
#: Stored and rebuilt parameter values may differ by this much (float round trips).
DESIGN_TOLERANCE = 1e-12


@dataclass
class Analysis:
    """What an analysis wrote, and the caveats it found."""

    report: Path
    files: list[Path] = field(default_factory=list)
    excluded: int = 0
    caveats: list[str] = field(default_factory=list)
    #: Some point ran below full scale: every claim of zero is qualified.
    below_full_scale: bool = False


def _load(out_dir: Path) -> tuple[ExperimentSpec, dict, store.Runs]:
    manifest = store.read_manifest(out_dir)
    spec = load_spec(out_dir / store.SPEC_COPY, check_files=False, check_model=False)
    if manifest.get("fields_hash") not in (None, spec.fields_hash()):
        raise InputError([Problem(str(out_dir / store.SPEC_COPY), "", "edited after the sweep "
                                  "(only 'analysis', 'name' and 'description' may change)")])
    runs = store.load_runs(out_dir)
    if runs.table.empty:
        raise InputError([Problem(str(out_dir), "", "holds no runs yet")])
    return spec, manifest, runs


def _check_design(spec: ExperimentSpec, design, table: pd.DataFrame, out_dir: Path) -> None:
    """The rebuilt design must reproduce the inputs stored with the runs."""
    stored = table[list(spec.parameters)].reset_index(drop=True)
    rebuilt = design.values.iloc[table["point"].to_numpy(dtype=int)].reset_index(drop=True)
    for name in spec.parameters:
        a, b = stored[name], rebuilt[name]
        if spec.parameters[name].type == "categorical":
            same = (a.astype(str) == b.astype(str)).all()
        else:
            same = np.allclose(a.astype(float), b.astype(float), rtol=0, atol=DESIGN_TOLERANCE)
        if not same:
            raise InputError([Problem(str(out_dir), f"parameters.{name}", "the design rebuilt "
                                      "from the spec no longer matches the stored runs (did "
                                      "SALib change?); see manifest.json for the versions used")])


def _outcome_summary(spec: ExperimentSpec, runs: pd.DataFrame) -> pd.DataFrame:
    ok = runs[runs["status"] == "ok"]
    rows = []
    for o in spec.outcomes:
        v = ok[o].dropna() if o in ok else pd.Series(dtype=float)
        rows.append({"outcome": o, "runs": len(v), "mean": v.mean(), "sd": v.std(),
                     "min": v.min(), "max": v.max(), "share_zero": (v == 0).mean(),
                     "noise_share": sensitivity.noise_share(runs, o)})
    return pd.DataFrame(rows)


def _failures(runs: store.Runs) -> pd.DataFrame:
    failed = runs.failed
    if failed.empty:
        return pd.DataFrame(columns=["error", "runs"])
    counts = failed["error"].fillna("(no message)").value_counts()
    return counts.rename_axis("error").reset_index(name="runs")


def _write(frame: pd.DataFrame | None, path: Path, files: list[Path]) -> None:
    if frame is not None and not frame.empty:
        frame.to_csv(path, index=False)
        files.append(path)


def analyze_dir(out_dir: Path) -> Analysis:
    """Analyse a sweep directory (see module doc); :class:`InputError` if it cannot be."""
    out_dir = Path(out_dir)
    spec, manifest, runs = _load(out_dir)
    table = runs.table
    design = build_design(spec)
    _check_design(spec, design, table, out_dir)
    adir = out_dir / store.ANALYSIS_DIR
    adir.mkdir(exist_ok=True)
    result = Analysis(out_dir / store.REPORT, excluded=len(runs.failed))
    files = result.files
    sens = sensitivity.analyse(spec, design, table)
    disc = discovery.discover(spec, design, table)
    bounds = certify.by_point(table)  # what the sample certifies at full scale
    result.below_full_scale = certify.below_full_scale(bounds, spec.scale)
    if disc is not None and len(bounds):
        disc.points = disc.points.join(bounds, how="left")
    for name, frame in sens.tables.items():
        _write(frame, adir / f"{name}.csv", files)
    summary = _outcome_summary(spec, table)
    _write(summary, adir / "outcomes.csv", files)
    failures = _failures(runs)
    _write(failures, adir / "failures.csv", files)
    if disc is not None:
        _write(disc.boxes, adir / "prim_boxes.csv", files)
        _write(disc.trajectories, adir / "prim_trajectory.csv", files)
        _write(disc.regional, adir / "regional.csv", files)
        _write(disc.points.reset_index(names="point"), adir / "zero_by_point.csv", files)
    method = "Sobol" if spec.sampler == "sobol" else "FAST"
    figs = {
        "indices": figures.indices(sens.tables.get("sobol", sens.tables.get("fast")),
                                   adir / "indices.png", method),
        "morris": figures.morris_plane(sens.tables.get("morris"), adir / "morris.png"),
        "pawn": figures.pawn(sens.tables.get("pawn"), adir / "pawn.png"),
        "distributions": figures.distributions(table, spec.outcomes, adir / "distributions.png"),
    }
    if disc is not None:
        sample = narrative.IN_SAMPLE if result.below_full_scale else ""
        figs["tradeoff"] = figures.prim_tradeoff(disc.trajectories, adir / "prim_tradeoff.png", sample)
        figs["limits"] = figures.prim_limits(disc.boxes, adir / "prim_boxes.png")
        figs["cdfs"] = figures.regional_cdfs(spec, disc.points, adir / "regional_cdfs.png", sample)
        figs["cost"] = figures.cost_vs_stay(disc.points, adir / "cost_vs_zero.png",
                                            spec.analysis.cost_outcome, sample)
    files += [p for p in figs.values() if p]
    result.caveats = _caveats(spec, manifest, runs, sens, disc)
    text = narrative.render(spec, manifest, runs, summary, failures, sens, disc, figs,
                            result, out_dir)
    result.report.write_text(text, encoding="utf-8")
    return result


def _caveats(spec, manifest, runs: store.Runs, sens, disc) -> list[str]:
    notes = []
    expected = manifest["design_size"]["runs"]
    if len(runs.table) < expected:
        notes.append(f"The sweep is incomplete: {len(runs.table)} of {expected} runs. "
                     "Complete it with `wengang sweep SPEC --out DIR --resume`.")
    if len(runs.failed):
        notes.append(f"{len(runs.failed)} failed runs are excluded from every table. If they "
                     "cluster in one region of the inputs, results there are biased.")
    if runs.duplicates:
        notes.append(f"{runs.duplicates} duplicate rows were found and dropped; please report it.")
    for outcome, reason in sens.skipped.items():
        notes.append(f"`{outcome}` gets no variance-based indices: {reason}. See 'Zero stays "
                     "zero' for counts that are almost always 0.")
    if disc is not None and spec.replications < FEW_REPLICATIONS:
        notes.append(f"With {spec.replications} replication"
                     f"{'s' if spec.replications > 1 else ''} per point, P(stay at zero) moves in "
                     f"steps of 1/{spec.replications}; raise `replications` before leaning on it.")
    return notes + sens.notes + (disc.notes if disc is not None else [])


