"""Results on disk: Parquet parts, provenance, and what resume needs.

Layout of a sweep directory ``DIR``::

    DIR/experiment.yaml    byte-for-byte copy of the spec file
    DIR/manifest.json      spec hash, package version, git commit, design size,
                           metric columns, sessions, files written by analyze
    DIR/sweep.lock         held (flock) by the one driver writing the store
    DIR/runs/part-sSSS-bBBBBBB.parquet
                           one file per finished task (session S, batch B);
                           every part has the same schema (docs/results.md)
    DIR/analysis/          written by ``wengang analyze``
    DIR/report.md

Parts (:mod:`experiments.parts`) are written to a hidden temporary name and
renamed (``os.replace``), so a killed sweep leaves only whole parts.  A part is named by its session
and batch, so a batch that Dask re-runs after a worker died overwrites its own
part instead of adding rows.  :func:`load_runs` still deduplicates on
``(point, replication)`` as a guard and reports any duplicate it found.

Nothing lost, nothing run twice: a lock file stops a second driver on the
same store (:func:`locked`); ``--force`` deletes only files this module
says the project wrote and refuses a folder holding anything else
(:func:`clear`); an unreadable part is named by :func:`load_runs` and moved
aside by :func:`quarantine_corrupt`, so that ``--resume`` runs its rows again.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from experiments.parts import (  # noqa: F401 - the rows' API, re-exported for callers
    CORRUPT, KEY_COLUMNS, META_COLUMNS, PART_GLOB, RUNS_DIR, Runs, done_pairs, load_runs,
    part_name, quarantine_corrupt, row_schema, write_part)
from experiments.spec import ExperimentSpec, load_spec
from model.provenance import git_state, package_version
from model.validation import InputError, Problem

ANALYSIS_DIR = "analysis"
SPEC_COPY = "experiment.yaml"
MANIFEST = "manifest.json"
REPORT = "report.md"
LOCK = "sweep.lock"
#: Libraries whose versions can change a design or a run, recorded per session.
LIBRARIES = ("SALib", "numpy", "scipy", "dask", "distributed", "mesa")


def now() -> str:
    """UTC time stamp for the manifest."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def provenance() -> dict[str, Any]:
    """Package version, git commit (and whether the tree had changes), Python."""
    commit, dirty = git_state()
    libraries = {}
    for lib in LIBRARIES:
        try:
            libraries[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            libraries[lib] = None
    return {"package_version": package_version(), "git_commit": commit, "git_dirty": dirty,
            "python": sys.version.split()[0], "libraries": libraries}


def read_manifest(out_dir: Path) -> dict[str, Any]:
    """The manifest of a sweep directory; :class:`InputError` if there is none."""
    path = Path(out_dir) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError([Problem(str(out_dir), "", f"no {MANIFEST}: not a sweep directory "
                                  "(run `wengang sweep` first)")]) from None
    except json.JSONDecodeError as exc:
        raise InputError([Problem(str(path), "", f"unreadable manifest ({exc})")]) from None


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest atomically."""
    path = Path(out_dir) / MANIFEST
    tmp = path.with_name(f".{MANIFEST}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _spec_differences(out_dir: Path, spec: ExperimentSpec) -> list[str]:
    """Names of run-determining fields where DIR's spec copy differs from ``spec``."""
    try:
        old = load_spec(out_dir / SPEC_COPY, check_files=False, check_model=False)
    except InputError:
        return []
    old_fields, new_fields = old.run_fields(), spec.run_fields()
    return sorted(k for k in new_fields if old_fields.get(k) != new_fields.get(k))


def has_runs(out_dir: Path) -> bool:
    """True when DIR holds at least one finished part."""
    return any((Path(out_dir) / RUNS_DIR).glob(PART_GLOB))


@contextmanager
def locked(out_dir: Path) -> Iterator[None]:
    """Hold DIR's lock file while the block runs; refuse if another driver holds it.

    The lock is an ``flock`` on ``DIR/sweep.lock``: the kernel releases it
    when its process ends, even by ``kill -9``, so a stale lock never blocks."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(out_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            raise InputError([Problem(str(out_dir), "", f"another wengang process is writing this store "
                                      f"({holder}); wait for it to finish")]) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _owned(out_dir: Path, manifest: dict[str, Any] | None) -> set[str]:
    """Files (relative to DIR) that a sweep or an analysis of this store wrote
    (none but the lock when DIR has no manifest: it is not a store)."""
    if manifest is None:
        return {LOCK}
    runs = out_dir / RUNS_DIR
    names = {SPEC_COPY, MANIFEST, REPORT, LOCK}
    for pattern in (PART_GLOB, f"_{PART_GLOB}{CORRUPT}", ".part-*"):
        names |= {f"{RUNS_DIR}/{p.name}" for p in runs.glob(pattern)}
    names |= set(manifest.get("written", []))
    return names


def _files(out_dir: Path) -> list[str]:
    return sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if not p.is_dir())


def clear(out_dir: Path) -> None:
    """Delete what sweeps and analyses wrote in DIR, and nothing else.

    Refuses (and deletes nothing) when DIR holds a file the project did not
    write, or when DIR is not a sweep directory at all."""
    out_dir = Path(out_dir)
    if not out_dir.exists():
        return
    present = _files(out_dir)
    manifest = read_manifest(out_dir) if (out_dir / MANIFEST).exists() else None
    foreign = [f for f in present if f not in _owned(out_dir, manifest)]
    if foreign:
        shown = ", ".join(foreign[:3]) + (" ..." if len(foreign) > 3 else "")
        raise InputError([Problem(str(out_dir), "", f"--force refused: {len(foreign)} file(s) here "
                                  f"were not written by a sweep ({shown}); move them away or "
                                  "choose another --out")])
    for name in present:
        if name != LOCK:  # held by this driver
            (out_dir / name).unlink(missing_ok=True)
    for sub in sorted((p for p in out_dir.rglob("*") if p.is_dir()), reverse=True):
        try:
            sub.rmdir()  # only folders left empty
        except OSError:
            pass


def record_written(out_dir: Path, paths: list[Path]) -> None:
    """Add files an analysis wrote to the manifest (so that --force may delete them)."""
    out_dir = Path(out_dir).resolve()
    manifest = read_manifest(out_dir)
    names = set(manifest.get("written", []))
    names |= {Path(p).resolve().relative_to(out_dir).as_posix() for p in paths}
    manifest["written"] = sorted(names)
    write_manifest(out_dir, manifest)


def prepare(out_dir: Path, spec: ExperimentSpec, spec_file: Path, *, resume: bool,
            force: bool, metric_columns: list[str] | None = None) -> tuple[dict[str, Any], int]:
    """Check DIR against the spec, record the inputs, and open a new session.

    Without ``resume`` a DIR that already holds runs is refused (``force``
    clears it first).  With ``resume`` the spec hash must equal the one in the
    manifest.  ``metric_columns`` (default: the spec's outcomes) are recorded
    with a new sweep and used by every part.  Returns the manifest and the new
    session number.
    """
    out_dir = Path(out_dir)
    name = str(out_dir)
    spec_hash = spec.spec_hash()
    if force and not resume:
        clear(out_dir)
    if resume:
        manifest = read_manifest(out_dir)
        if manifest.get("spec_hash") != spec_hash:
            fields = _spec_differences(out_dir, spec)
            detail = f" (changed: {', '.join(fields)})" if fields else ""
            raise InputError([Problem(name, "", "cannot resume: the spec has changed since "
                                      f"this sweep started{detail}; run it into a new "
                                      "--out directory, or use --force to start over")])
    elif has_runs(out_dir) or (out_dir / MANIFEST).exists():
        old_hash = read_manifest(out_dir).get("spec_hash") if (out_dir / MANIFEST).exists() else None
        hint = ("use --resume to complete it" if old_hash == spec_hash else
                "it was made from a different spec")
        raise InputError([Problem(name, "", f"already holds a sweep; {hint}, or use --force "
                                  "to delete its runs and start over")])
    else:
        manifest = {"spec_hash": spec_hash, "fields_hash": spec.fields_hash(),
                    "name": spec.name, "sampler": spec.sampler,
                    "design_size": {"points": spec.design_size,
                                    "replications": spec.replications,
                                    "runs": spec.design_size * spec.replications},
                    "spec_file": str(Path(spec_file).resolve()),
                    "scenario": str(spec.scenario_path) if spec.scenario_path else None,
                    "metric_columns": list(metric_columns or spec.outcomes),
                    "created": now(), **provenance(), "sessions": []}
        (out_dir / RUNS_DIR).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(spec_file, out_dir / SPEC_COPY)
    (out_dir / RUNS_DIR).mkdir(parents=True, exist_ok=True)
    for stale in (out_dir / RUNS_DIR).glob(".part-*"):
        stale.unlink(missing_ok=True)  # temp files of a killed sweep
    session = max((s["session"] for s in manifest["sessions"]), default=-1) + 1
    manifest["sessions"].append({"session": session, "started": now(), **provenance()})
    write_manifest(out_dir, manifest)
    return manifest, session


def finish_session(out_dir: Path, session: int, **info: Any) -> None:
    """Record how a session ended (counts, timing, where it ran)."""
    manifest = read_manifest(out_dir)
    for entry in manifest["sessions"]:
        if entry["session"] == session:
            entry.update(finished=now(), **info)
    write_manifest(out_dir, manifest)


def metric_columns(out_dir: Path, spec: ExperimentSpec) -> list[str]:
    """The metric columns of DIR's parts (recorded at creation; the outcomes if not)."""
    return list(read_manifest(out_dir).get("metric_columns") or spec.outcomes)
