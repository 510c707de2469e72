"""Sweep throughput: serial against local Dask workers, and the per-run overhead.

    .venv/bin/python benchmarks/bench_sweep.py                 # busy-loop model, 20 ms a run
    .venv/bin/python benchmarks/bench_sweep.py --run-ms 5 --runs 2000
    .venv/bin/python benchmarks/bench_sweep.py --real          # the Wengang model, tiny scale

The default model is ``experiments.testfunctions:busy``, which burns CPU for
a known time, so the figures measure the machinery and not the model.  It
prints runs per second for

- a plain loop calling the model in this process (the serial baseline),
- ``run_sweep`` in this process (``--serial``: batching, rows, Parquet),
- ``run_sweep`` on a local Dask cluster of ``--workers`` processes,

the speed-up of the cluster over the plain loop, and the per-run overhead:
worker-seconds not spent in the model, ``(workers x wall - sum of model
times) / runs``.  Targets (issue 3): speed-up >= 1.8 with 2 workers,
overhead <= 10 ms per run.  Cluster start-up is timed separately.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from experiments import store  # noqa: E402
from experiments.cluster import open_client  # noqa: E402
from experiments.runner import run_sweep  # noqa: E402
from experiments.spec import load_spec  # noqa: E402
from experiments.testfunctions import busy  # noqa: E402

TARGET_SPEEDUP = 1.8
TARGET_OVERHEAD_MS = 10.0
REAL_SCALE, REAL_MONTHS = 0.005, 24
LOAD_SAMPLE_S = 1.0


def write_spec(directory: Path, runs: int, run_ms: float, real: bool) -> Path:
    """A latin design of ``runs`` points, one replication each."""
    if real:
        data = {"model": "model:simulate",
                "scenario": str(ROOT / "scenarios" / "baoji_baseline.yaml"),
                "scale": REAL_SCALE, "months": REAL_MONTHS, "outcomes": ["employed_end"],
                "parameters": {"levers.training.daily_allowance_yuan": {"min": 0, "max": 150}}}
    else:
        data = {"model": "experiments.testfunctions:busy", "outcomes": ["y"],
                "parameters": {"x1": {"min": 0, "max": 1},
                               "run_seconds": {"min": run_ms / 1000, "max": run_ms / 1000 + 1e-9}}}
    data.update(name="bench", sampler="latin", samples=runs, replications=1, seed=1)
    path = directory / "bench.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def plain_loop(spec_path: Path, real: bool) -> float:
    """Seconds for a plain in-process loop over the design (the serial baseline)."""
    from experiments.sampling import build_design

    spec = load_spec(spec_path)
    design = build_design(spec)
    if real:
        import model
        scenario = model.load_scenario(spec.scenario_path)
        model.simulate(scenario, seed=0, scale=spec.scale, months=spec.months)  # warm up
        call = lambda p: model.simulate(scenario, seed=p, scale=spec.scale,  # noqa: E731
                                        months=spec.months, **design.point(p))
    else:
        call = lambda p: busy(**design.point(p))  # noqa: E731
    start = time.perf_counter()
    for p in range(design.n_points):
        call(p)
    return time.perf_counter() - start


def model_seconds(out: Path) -> float:
    """Sum of the model's own time over the runs of a sweep."""
    return float(store.load_runs(out).table["duration_s"].sum())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--run-ms", type=float, default=20.0, help="busy-loop model time per run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--real", action="store_true", help="the Wengang model at tiny scale")
    args = parser.parse_args()
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    print(f"machine: {psutil.cpu_count(logical=False)} cores ({os.cpu_count()} logical), "
          f"load average {os.getloadavg()[0]:.2f}, "
          f"CPU busy {psutil.cpu_percent(interval=LOAD_SAMPLE_S):.0f}% before start")
    model = (f"Wengang model, scale {REAL_SCALE}, {REAL_MONTHS} months" if args.real
             else f"busy loop, {args.run_ms:g} ms per run")
    print(f"model: {model}; {args.runs} runs")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        spec_path = write_spec(tmp, args.runs, args.run_ms, args.real)
        spec = load_spec(spec_path)

        loop_s = plain_loop(spec_path, args.real)
        serial = run_sweep(spec, spec_path, tmp / "serial", progress=False)
        serial_model_s = model_seconds(tmp / "serial")

        start = time.perf_counter()
        with open_client(workers=args.workers) as (client, where):
            startup_s = time.perf_counter() - start
            dask = run_sweep(spec, spec_path, tmp / "dask", client=client, where=where,
                             progress=False)
        dask_model_s = model_seconds(tmp / "dask")

    n = args.runs
    rate = {"plain loop": n / loop_s, "serial run_sweep": n / serial.elapsed_s,
            f"dask, {args.workers} workers": n / dask.elapsed_s}
    for name, value in rate.items():
        print(f"  {name:<22} {value:8.1f} runs/s")
    speedup = rate[f"dask, {args.workers} workers"] / rate["plain loop"]
    serial_overhead = (serial.elapsed_s - serial_model_s) / n * 1000
    dask_overhead = (args.workers * dask.elapsed_s - dask_model_s) / n * 1000
    print(f"  model time per run     {dask_model_s / n * 1000:8.2f} ms on the workers "
          f"({serial_model_s / n * 1000:.2f} ms serial)")
    print(f"  speed-up               {speedup:8.2f} x  (target >= {TARGET_SPEEDUP} "
          f"with 2 workers: {'met' if speedup >= TARGET_SPEEDUP else 'NOT met'})")
    print(f"  overhead, serial       {serial_overhead:8.2f} ms per run")
    print(f"  overhead, dask         {dask_overhead:8.2f} ms per run, worker-seconds "
          f"(target <= {TARGET_OVERHEAD_MS:g}: "
          f"{'met' if dask_overhead <= TARGET_OVERHEAD_MS else 'NOT met'})")
    print(f"  batch size             {dask.batch_size:8d} runs per task (chosen automatically)")
    print(f"  cluster start-up       {startup_s:8.2f} s (not in the figures above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
