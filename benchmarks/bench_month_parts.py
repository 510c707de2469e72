"""Where a month's time goes: each compiled kernel, and the Python and numpy around them.

Builds the Baoji baseline at ``--scale`` (default 1.0), steps ``--warmup``
months, then times ``--months`` months with every compiled kernel of
:mod:`model.kernels` wrapped to add up its time and calls, and with
cProfile on for the rest.  Prints the month's cost, the kernels' share of
it, each kernel's time per month, and the functions that spend most time
outside the kernels (their own time: numpy calls inside them count, the
kernels they call do not).

The profiler and the wrappers add their own cost (10-15 % of the month
here), so the month printed is a little slower than ``bench_model.py``'s;
the parts are for finding where to work, not for targets.

Usage: ``.venv/bin/python benchmarks/bench_month_parts.py [--scale 1.0]
[--warmup 8] [--months 40] [--seed 0] [--top 15]``
"""

from __future__ import annotations

import argparse
import cProfile
import collections
import importlib
import pkgutil
import pstats
import sys
import time
from pathlib import Path

from numba.core.registry import CPUDispatcher

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import model.kernels  # noqa: E402
from experiments.cluster import single_threaded  # noqa: E402
from bench_model import first_build_seconds  # noqa: E402  (this folder: the same warm-up)
from model import EmploymentModel  # noqa: E402

TIME: dict[str, float] = collections.defaultdict(float)
CALLS: collections.Counter = collections.Counter()


def _timed(kernel, name: str):
    def kernel_call(*args, **kwargs):
        start = time.perf_counter()
        try:
            return kernel(*args, **kwargs)
        finally:
            TIME[name] += time.perf_counter() - start
            CALLS[name] += 1

    return kernel_call


def wrap_kernels() -> None:
    """Replace each compiled kernel of :mod:`model.kernels` by a timed
    wrapper, in its own module (callers look kernels up there at call time).

    Call after the kernels are loaded (a first build and month): a kernel
    compiled afterwards would find a wrapper where it calls another kernel."""
    for info in pkgutil.iter_modules(model.kernels.__path__):
        module = importlib.import_module(f"model.kernels.{info.name}")
        for attr, value in list(vars(module).items()):
            if isinstance(value, CPUDispatcher) and value.__module__ == module.__name__:
                setattr(module, attr, _timed(value, f"{info.name}.{attr}"))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--warmup", type=int, default=8, help="months stepped before timing")
    ap.add_argument("--months", type=int, default=40, help="months timed")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--top", type=int, default=15, help="functions listed outside the kernels")
    args = ap.parse_args(argv)

    with single_threaded():
        first_build_seconds(args.seed + 1)  # loads the compiled kernels
        wrap_kernels()
        m = EmploymentModel(None, rng=args.seed, scale=args.scale)
        m.run(args.warmup)
        TIME.clear()
        CALLS.clear()
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.enable()
        m.run(args.months)
        profile.disable()
        wall = time.perf_counter() - start

    per_month = 1000.0 / args.months
    in_kernels = sum(TIME.values())
    print(f"scale {args.scale}: {m.pop.n_households:,} households, {m.pop.n_people:,} people; "
          f"months {args.warmup + 1}-{args.warmup + args.months}, seed {args.seed}")
    print(f"month: {wall * per_month:.2f} ms (profiled); in the {len(TIME)} compiled kernels it called "
          f"{in_kernels * per_month:.2f} ms, outside them {(wall - in_kernels) * per_month:.2f} ms")
    print("\nkernel                                ms/month  calls/month")
    for name, seconds in sorted(TIME.items(), key=lambda kv: -kv[1]):
        print(f"  {name:36s} {seconds * per_month:7.3f}  {CALLS[name] / args.months:9.1f}")
    stats = pstats.Stats(profile).stats
    own = [(tt, f"{Path(file).name}:{line}({fn})") for (file, line, fn), (_, _, tt, _, _) in stats.items()
           if fn != "kernel_call"]
    print(f"\noutside the kernels, the {args.top} largest (own time)   ms/month")
    for tt, where in sorted(own, reverse=True)[: args.top]:
        print(f"  {where:52s} {tt * per_month:7.3f}")


if __name__ == "__main__":
    main()
