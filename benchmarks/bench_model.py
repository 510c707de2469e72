"""Speed and memory of a full-scale run, judged in one process against two yardsticks.

Builds the Baoji baseline at scale 1.0, steps it 60 months, and prints:

* **build + 60 months as a multiple of the numpy floor**: ``floor_seconds``
  from ``../shared/benchmarks/floor.py`` (a minimal month over the same people
  and households), timed in this process.  Target <= 3.
* **the month's cost per household as a multiple of Mesa's empty visit**:
  stepping time per household-month over the time Mesa itself spends per
  agent in ``agents.shuffle_do("step")`` with an empty ``step`` over as many
  agents, measured in this process.  Target <= 0.1.
* **CPU time against wall time** of the run.  The run goes as a sweep worker
  runs it, with native thread pools capped at one thread
  (``experiments.cluster.single_threaded``); ``--no-pin`` leaves them alone.
  On an idle machine a single-threaded run has CPU ~= wall; CPU well above
  wall means extra threads, well below means the machine is busy.
* **peak resident memory** of the run (read before the yardsticks allocate
  their own).  Target <= 1 GB.
* **build time** on its own.  The timed run comes after a first, small
  build and month in the same process (``--cold`` skips it): it loads the
  compiled kernels from numba's disk cache, which a sweep worker does once
  for all its runs.  Its time is printed, and the ratio with it added.

Both yardsticks take their fastest of a few repeats, which gives the stricter
ratio.  ``--workers N --runs R`` adds a Dask part: R runs on a local cluster of
N workers (as ``wengang sweep`` starts it), each reporting its CPU and wall
time, to show that a worker uses one core.

The script uses only ``EmploymentModel(None, rng=, scale=)``, ``.step()``,
``.pop.n_people`` and ``.pop.n_households``, so it keeps working whatever the
model does inside.

Usage: ``.venv/bin/python benchmarks/bench_model.py [--scale 1.0] [--months 60]
[--seed 0] [--no-pin] [--workers 2 --runs 4]``
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import platform
import resource
import sys
import time
from pathlib import Path

import mesa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FLOOR = ROOT.parent / "shared" / "benchmarks" / "floor.py"

from experiments.cluster import single_threaded  # noqa: E402
from model import EmploymentModel  # noqa: E402

#: Targets of issue 9.
FLOOR_TARGET, VISIT_TARGET, MEMORY_TARGET_MB = 3.0, 0.1, 1024.0
#: CPU/wall above this on a pinned run means threads beyond the one.
CPU_WALL_TARGET = 1.1
#: CPU/wall below this: the process waited for a core (a busy machine).
WAITED = 0.9
#: Repeats of each yardstick (the fastest counts).
FLOOR_REPEATS, VISIT_REPEATS = 3, 5


class _EmptyHousehold(mesa.Agent):
    def step(self) -> None:  # Mesa's own cost of visiting an agent
        pass


def load_floor():
    """``floor_seconds`` from the shared folder, or exit with what is missing."""
    if not FLOOR.exists():
        sys.exit(f"bench_model: the floor is missing: expected {FLOOR} (the shared folder "
                 "beside the repository, ../shared/benchmarks/floor.py)")
    spec = importlib.util.spec_from_file_location("floor", FLOOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.floor_seconds


def mesa_visit_seconds(n_agents: int, repeats: int = VISIT_REPEATS) -> float:
    """Fastest ``shuffle_do("step")`` over ``n_agents`` empty Mesa agents."""
    m = mesa.Model(rng=0)
    _EmptyHousehold.create_agents(m, n_agents)
    agents = m.agents_by_type[_EmptyHousehold]
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        agents.shuffle_do("step")
        times.append(time.perf_counter() - t)
    return min(times)


#: Scale of the first build, which loads the compiled kernels (small, so
#: that the peak memory printed is the full-scale run's).
FIRST_BUILD_SCALE = 0.02


def first_build_seconds(seed: int) -> float:
    """A first build and month in this process: it loads the compiled kernels."""
    t = time.perf_counter()
    EmploymentModel(None, rng=seed, scale=FIRST_BUILD_SCALE).step()
    return time.perf_counter() - t


def timed_run(scale: float, months: int, seed: int, pin: bool = True) -> dict:
    """Build and step one model; wall and CPU times, sizes, peak memory."""
    with single_threaded() if pin else contextlib.nullcontext():
        cpu0, t0 = time.process_time(), time.perf_counter()
        model = EmploymentModel(None, rng=seed, scale=scale)
        build = time.perf_counter() - t0
        t1 = time.perf_counter()
        for _ in range(months):
            model.step()
        stepping = time.perf_counter() - t1
        cpu = time.process_time() - cpu0
    return {"build": build, "stepping": stepping, "cpu": cpu, "pid": os.getpid(),
            "people": model.pop.n_people, "households": model.pop.n_households,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def verdict(value: float, target: float) -> str:
    return f"(target <= {target:g}: {'met' if value <= target else 'NOT met'})"


def one_process(args) -> None:
    floor_seconds = load_floor()
    first = None if args.cold else first_build_seconds(args.seed + 1)
    run = timed_run(args.scale, args.months, args.seed, pin=not args.no_pin)
    people, households = run["people"], run["households"]
    total = run["build"] + run["stepping"]
    floor = min(floor_seconds(people, households, args.months) for _ in range(FLOOR_REPEATS))
    visit = mesa_visit_seconds(households)
    per_hh_month = run["stepping"] / (households * args.months)
    visit_ratio = per_hh_month / (visit / households)
    cpu_wall = run["cpu"] / total

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}; python {platform.python_version()}, mesa {mesa.__version__}")
    print(f"scale {args.scale}: {households:,} households, {people:,} people, "
          f"{args.months} months, seed {args.seed}, threads "
          f"{'pinned to 1' if not args.no_pin else 'left to the libraries'}")
    if first is not None:
        print(f"loading the compiled kernels:    {first:8.2f} s (a first build and month at scale "
              f"{FIRST_BUILD_SCALE}; a worker does it once)")
    print(f"build time:                      {run['build']:8.2f} s"
          + (" (the process's first: --cold)" if first is None else ""))
    print(f"stepping time:                   {run['stepping']:8.2f} s "
          f"({run['stepping'] / args.months * 1000:.0f} ms/month)")
    print(f"build + {args.months} months:               {total:8.2f} s")
    print(f"numpy floor, {args.months} months:          {floor:8.2f} s (fastest of {FLOOR_REPEATS})")
    print(f"run / floor:                     {total / floor:8.2f} x  "
          f"{verdict(total / floor, FLOOR_TARGET)}")
    if first is not None:
        print(f"  the same with the loading added: {(total + first) / floor:8.2f} x")
    print(f"Mesa shuffle_do, empty step:     {visit * 1000:8.1f} ms per pass over "
          f"{households:,} agents (fastest of {VISIT_REPEATS})")
    print(f"month per household / Mesa visit:{visit_ratio:8.3f} x  "
          f"{verdict(visit_ratio, VISIT_TARGET)}")
    print(f"CPU time / wall time of the run: {cpu_wall:8.2f}    ({run['cpu']:.2f} s CPU over "
          f"{total:.2f} s) {verdict(cpu_wall, CPU_WALL_TARGET)}")
    if cpu_wall < WAITED:
        print(f"  (below 1: the run waited for a core; load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores, so the wall times above are inflated)")
    print(f"peak resident memory of the run: {run['peak_mb']:8.0f} MB "
          f"{verdict(run['peak_mb'], MEMORY_TARGET_MB)}")


def on_workers(args) -> None:
    """R runs on a local cluster of N workers: CPU against wall, per run and per worker."""
    from experiments.cluster import open_client

    with open_client(workers=args.workers) as (client, where):
        client.wait_for_workers(args.workers)
        futures = [client.submit(timed_run, args.scale, args.months, args.seed + i,
                                 pure=False) for i in range(args.runs)]
        start = time.perf_counter()
        runs = client.gather(futures)
        elapsed = time.perf_counter() - start
    print(f"\n{args.runs} runs on a {where} ({elapsed:.1f} s in all)")
    by_pid: dict[int, list[dict]] = {}
    for run in runs:
        wall = run["build"] + run["stepping"]
        by_pid.setdefault(run["pid"], []).append(run)
        print(f"  worker pid {run['pid']}: wall {wall:6.2f} s, CPU {run['cpu']:6.2f} s, "
              f"CPU/wall {run['cpu'] / wall:.2f}, peak {run['peak_mb']:.0f} MB")
    for pid, mine in sorted(by_pid.items()):
        wall = sum(r["build"] + r["stepping"] for r in mine)
        cpu = sum(r["cpu"] for r in mine)
        print(f"worker pid {pid}: {len(mine)} runs, CPU/wall {cpu / wall:.2f} "
              f"{verdict(cpu / wall, CPU_WALL_TARGET)}"
              + (" (waited for a core)" if cpu / wall < WAITED else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--months", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-pin", action="store_true", help="leave native thread pools alone")
    ap.add_argument("--cold", action="store_true", help="time the process's first build (no build before)")
    ap.add_argument("--workers", type=int, default=0, help="also run on N Dask workers")
    ap.add_argument("--runs", type=int, default=4, help="runs on the workers")
    args = ap.parse_args()
    one_process(args)
    if args.workers:
        on_workers(args)


if __name__ == "__main__":
    main()
