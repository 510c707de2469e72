"""Speed and memory of the core model (issue "The simulation core").

Runs the baseline at scale 1.0 for 60 months and prints:

* build time;
* stepping time per person-month;
* peak resident memory;
* the ratio of stepping time per household-month to what Mesa itself spends on
  ``agents.shuffle_do("step")`` with an empty ``step`` over the same number of
  Household agents, measured in the same process.

Targets: ratio <= 0.2; build + 60 months <= 10 s; peak memory <= 2 GB.

Usage: ``.venv/bin/python benchmarks/bench_model.py [--scale 1.0] [--months 60]``
"""

from __future__ import annotations

import argparse
import platform
import resource
import time

import mesa

from model import EmploymentModel


class _EmptyHousehold(mesa.Agent):
    def step(self) -> None:  # Mesa's own cost of visiting an agent
        pass


def mesa_visit_seconds(n_agents: int, repeats: int = 5) -> float:
    """Median seconds for one ``shuffle_do("step")`` over ``n_agents`` empty agents."""
    m = mesa.Model(rng=0)
    _EmptyHousehold.create_agents(m, n_agents)
    agents = m.agents_by_type[_EmptyHousehold]
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        agents.shuffle_do("step")
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--months", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    # stepping time is CPU-bound; on a shared machine also note the CPU time
    cpu0 = time.process_time()

    t0 = time.perf_counter()
    model = EmploymentModel(None, rng=args.seed, scale=args.scale, overrides={"run.months": args.months})
    build = time.perf_counter() - t0
    # Mesa's cost is measured before and after the run, in this process; the
    # smaller one is the headline (it gives the stricter ratio)
    visit_before = mesa_visit_seconds(model.pop.n_households)
    t1 = time.perf_counter()
    model.run()
    stepping = time.perf_counter() - t1
    people, households = model.pop.n_people, model.pop.n_households
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    visit_after = mesa_visit_seconds(households)
    visit = min(visit_before, visit_after)
    per_household_month = stepping / (households * args.months)
    ratio = per_household_month / (visit / households)

    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}, mesa {mesa.__version__}")
    print(f"scale {args.scale}: {households:,} households, {people:,} people, {args.months} months")
    print(f"build time:                     {build:8.2f} s")
    print(f"stepping time:                  {stepping:8.2f} s ({stepping / args.months * 1000:.0f} ms/month)")
    print(f"CPU time, whole benchmark:      {time.process_time() - cpu0:8.2f} s")
    print(f"stepping per person-month:      {stepping / (people * args.months) * 1e9:8.1f} ns")
    print(f"build + {args.months} months:              {build + stepping:8.2f} s   (target <= 10 s)")
    print(f"peak resident memory:           {peak_mb:8.0f} MB  (target <= 2048 MB)")
    print(f"Mesa shuffle_do, empty step:    {visit * 1000:8.1f} ms per pass over {households:,} agents"
          f" (before the run {visit_before * 1000:.0f} ms, after {visit_after * 1000:.0f} ms)")
    print(f"ratio per household-month:      {ratio:8.3f}     (target <= 0.2)")


if __name__ == "__main__":
    main()
