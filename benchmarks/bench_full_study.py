"""Throughput of the full-scale ``zero_stays_zero`` study, measured on a subset.

    .venv/bin/python benchmarks/bench_full_study.py                  # 100 points x 3 replications, 2 workers
    .venv/bin/python benchmarks/bench_full_study.py --points 20 --workers 2

Writes a copy of ``experiments/specs/zero_stays_zero.yaml`` with ``samples``
set to ``--points`` (same ranges, seed, scale, months and replications),
sweeps it with ``wengang sweep --workers N`` as a user would, and prints
the wall time, runs per second, the mean run duration inside the workers,
and the projection for the full study (its own points x replications at the
measured rate).  Issue 9's target: <= 45 minutes on 2 cores.  The figure
depends on the machine and on what else runs: the load average before and
after is printed beside it, and nothing is asserted.
"""

from __future__ import annotations

import argparse
import glob
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "experiments" / "specs" / "zero_stays_zero.yaml"
TARGET_MINUTES = 45.0


def subset_spec(directory: Path, points: int) -> tuple[Path, int]:
    """The study with ``points`` design points; returns its path and the full study's run count."""
    data = yaml.safe_load(STUDY.read_text(encoding="utf-8"))
    full_runs = int(data["samples"]) * int(data.get("replications", 1))
    data["samples"] = points
    data["scenario"] = str((STUDY.parent / data["scenario"]).resolve())
    path = directory / "zero_stays_zero_subset.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path, full_runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    exe = Path(sys.executable).parent / "wengang"
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-full-study-") as tmp:
        spec, full_runs = subset_spec(Path(tmp), args.points)
        out = Path(tmp) / "out"
        start = time.perf_counter()
        subprocess.run([str(exe), "sweep", str(spec), "--out", str(out), "--workers", str(args.workers),
                        "--quiet"], cwd=ROOT, check=True)
        wall = time.perf_counter() - start
        runs = pd.concat(pd.read_parquet(f) for f in glob.glob(str(out / "runs" / "*.parquet")))
    ok = int((runs["status"] == "ok").sum())
    rate = len(runs) / wall
    projected = full_runs / rate / 60
    print(f"subset: {args.points} points, {len(runs)} runs ({ok} ok) in {wall:.1f} s with "
          f"{args.workers} workers: {rate:.3f} runs/s; a run took {runs['duration_s'].mean():.2f} s "
          f"on average inside its worker ({runs['duration_s'].min():.2f}-{runs['duration_s'].max():.2f})")
    print(f"full study: {full_runs} runs -> {projected:.0f} minutes at that rate "
          f"(target <= {TARGET_MINUTES:.0f} on 2 cores: {'met' if projected <= TARGET_MINUTES else 'NOT met'})")
    print(f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
