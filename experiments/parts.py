"""Parquet parts: the rows of a sweep, written whole, read back, deduplicated.

Every part of a store has the same schema (:func:`row_schema`): keys,
parameters, the store's metric columns (null in a failed row) and meta
columns; docs/results.md describes it for readers outside Wengang.  A part
is written under a temporary name and renamed (``os.replace``), so a reader
never sees half of one; one that cannot be read is named in an
:class:`~model.validation.InputError` (:func:`load_runs`) or set aside by
:func:`quarantine_corrupt` so that ``--resume`` runs its rows again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.spec import ExperimentSpec
from model.validation import InputError, Problem

RUNS_DIR = "runs"
PART_GLOB = "part-*.parquet"
#: Suffix of a part that could not be read, moved aside (as ``_part-...parquet.corrupt``)
#: so that resume re-runs its rows.
CORRUPT = ".corrupt"
#: Row columns that are not parameters or metrics.
KEY_COLUMNS = ("point", "replication", "seed")
META_COLUMNS = ("status", "error", "duration_s", "worker", "session")


def row_schema(spec: ExperimentSpec, metric_names: list[str]) -> pa.Schema:
    """Arrow schema of a row: keys, parameters (typed), metrics (float64), meta."""
    fields = [pa.field(c, pa.int64()) for c in KEY_COLUMNS]
    for name, param in spec.parameters.items():
        if param.type == "real":
            kind = pa.float64()
        elif param.type == "integer":
            kind = pa.int64()
        elif param.type == "boolean":
            kind = pa.bool_()
        elif all(isinstance(v, str) for v in param.values):
            kind = pa.string()
        elif all(isinstance(v, int) for v in param.values):
            kind = pa.int64()
        else:
            kind = pa.float64()
        fields.append(pa.field(name, kind))
    fields += [pa.field(m, pa.float64()) for m in metric_names]
    fields += [pa.field("status", pa.string()), pa.field("error", pa.string()),
               pa.field("duration_s", pa.float64()), pa.field("worker", pa.string()),
               pa.field("session", pa.int64())]
    return pa.schema(fields)


def part_name(session: int, batch: int) -> str:
    """File name of a part: session and batch, so a re-run batch overwrites itself."""
    return f"part-s{session:03d}-b{batch:07d}.parquet"


def _null_if_nan(value: Any) -> Any:
    return None if isinstance(value, float) and value != value else value


def write_part(out_dir: Path, name: str, rows: list[dict[str, Any]], spec: ExperimentSpec,
               metric_names: list[str] | None = None) -> Path:
    """Write rows as one Parquet part: temporary name first, then rename.

    Every part has the same columns (``metric_names``, default the spec's
    outcomes): a metric a row lacks (a failed run) is null, one not listed is
    dropped."""
    metrics = list(metric_names or spec.outcomes)
    schema = row_schema(spec, metrics)
    flat = [{**{k: _null_if_nan(v) for k, v in row.items() if k != "metrics"},
             **{m: row.get("metrics", {}).get(m) for m in metrics}} for row in rows]
    table = pa.Table.from_pylist(flat, schema=schema)
    final = Path(out_dir) / RUNS_DIR / name
    tmp = final.with_name(f".{name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp)
    os.replace(tmp, final)
    return final


def _read_part(path: Path, columns: list[str] | None = None) -> pa.Table:
    """One part, or :class:`InputError` naming it when it cannot be read."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise InputError([Problem(str(path), "", f"unreadable Parquet part ({type(exc).__name__}: "
                                  f"{str(exc)[:200]}); `wengang sweep SPEC --out DIR --resume` "
                                  "moves it aside and runs its rows again")]) from None
    return table.select(columns) if columns else table


def quarantine_corrupt(out_dir: Path) -> list[Path]:
    """Move unreadable parts aside (``*.corrupt``) so that their rows count as missing."""
    moved = []
    for path in sorted((Path(out_dir) / RUNS_DIR).glob(PART_GLOB)):
        try:
            _read_part(path)
        except InputError:
            target = path.with_name(f"_{path.name}{CORRUPT}")  # '_': readers of runs/ skip it
            os.replace(path, target)
            moved.append(target)
    return moved


@dataclass
class Runs:
    """All rows of a sweep, one per (point, replication), sorted.

    ``duplicates`` counts rows dropped because another row of the same session
    had the same (point, replication), which should never happen; ``superseded``
    counts failed rows replaced by a later session (``--retry-failed``).
    """

    table: pd.DataFrame
    duplicates: int
    superseded: int
    parts: int

    @property
    def ok(self) -> pd.DataFrame:
        """The rows of runs that succeeded."""
        return self.table[self.table["status"] == "ok"]

    @property
    def failed(self) -> pd.DataFrame:
        """The rows of runs that raised."""
        return self.table[self.table["status"] == "failed"]


def load_runs(out_dir: Path) -> Runs:
    """Read every part under DIR/runs and deduplicate (see :class:`Runs`)."""
    paths = sorted((Path(out_dir) / RUNS_DIR).glob(PART_GLOB))
    frames = [_read_part(p).to_pandas() for p in paths]
    frames = [f for f in frames if len(f)]
    if not frames:
        return Runs(pd.DataFrame(columns=[*KEY_COLUMNS, *META_COLUMNS]), 0, 0, len(paths))
    table = pd.concat(frames, ignore_index=True)
    table = table.sort_values(["point", "replication", "session"], kind="stable")
    same_session = table.duplicated(["point", "replication", "session"], keep="last")
    table = table[~same_session]
    later = table.duplicated(["point", "replication"], keep="last")
    table = table[~later].reset_index(drop=True)
    return Runs(table, int(same_session.sum()), int(later.sum()), len(paths))


def done_pairs(out_dir: Path, *, include_failed: bool = True) -> set[tuple[int, int]]:
    """(point, replication) pairs already in DIR; failed ones only if asked."""
    columns = ["point", "replication", "status"]
    pairs: set[tuple[int, int]] = set()
    for path in (Path(out_dir) / RUNS_DIR).glob(PART_GLOB):
        part = _read_part(path, columns).to_pandas()
        if not include_failed:
            part = part[part["status"] == "ok"]
        pairs.update(zip(part["point"].tolist(), part["replication"].tolist()))
    return pairs
