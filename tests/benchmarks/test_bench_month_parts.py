"""``benchmarks/bench_month_parts.py`` counts what it says: each kernel's
calls per month, and kernel time within the month's time."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "bench_month_parts.py"
MONTHS = 3


def test_the_month_end_pass_is_counted_once_a_month_and_kernels_fit_in_the_month():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--scale", "0.005", "--warmup", "1", "--months", str(MONTHS)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    month, in_kernels, outside = map(float, re.search(
        r"month: ([\d.]+) ms \(profiled\); in the \d+ compiled kernels it called ([\d.]+) ms, outside them ([\d.]+) ms", out,
    ).groups())
    assert 0 < in_kernels < month
    assert abs(in_kernels + outside - month) < 0.02
    # the model makes one month-end pass and one monitoring pass a month (model.step)
    for kernel in ("households.month_end", "households.monitoring_due"):
        ms, calls = re.search(rf"^  {re.escape(kernel)}\s+([\d.]+)\s+([\d.]+)$", out, re.M).groups()
        assert float(calls) == 1.0 and float(ms) > 0
