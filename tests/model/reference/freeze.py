"""Freeze the reference outcomes for the equivalence test, or check against them.

    .venv/bin/python tests/model/reference/freeze.py            # write equivalence.json
    .venv/bin/python tests/model/reference/freeze.py --out /tmp/ref.json
    .venv/bin/python tests/model/reference/freeze.py --check [PATH] [--first-seed 10]

Freeze once, at the commit whose rules the speed work must keep (after the
rule changes, before the speed work), and commit ``equivalence.json``: it
records that commit and whether ``model/`` or ``scenarios/`` had uncommitted
changes.  ``--check`` runs the current code and prints the comparison the
test makes (exit 1 on a failure); ``--first-seed N`` runs seeds N..N+9
instead of the reference's, to see how often independent draws fail by
chance.  See ``equivalence.py`` for what is compared and how.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import equivalence as eq  # noqa: E402


def _progress(start: float):
    def report(scenario: str, seed: int) -> None:
        print(f"  {scenario} seed {seed} ({time.perf_counter() - start:.0f} s)",
              file=sys.stderr, flush=True)
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=eq.REFERENCE, help="where to write the reference")
    ap.add_argument("--check", nargs="?", const=eq.REFERENCE, type=Path, metavar="PATH",
                    help="compare the current code with a reference instead of freezing")
    ap.add_argument("--first-seed", type=int, default=None,
                    help="with --check: run seeds N..N+9 instead of the reference's")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    if args.check is None:
        ref = eq.freeze(args.out, progress=_progress(start))
        print(f"wrote {args.out}: {len(ref['scenarios'])} scenarios x {len(ref['seeds'])} seeds "
              f"at scale {ref['scale']}, {ref['months']} months, commit {ref['git_commit']}"
              + (" (model/ or scenarios/ had uncommitted changes)"
                 if ref["uncommitted_model_changes"] else "")
              + f", {time.perf_counter() - start:.0f} s")
        return 0
    try:
        ref = eq.load_reference(args.check)
    except eq.MissingReference as exc:
        print(exc, file=sys.stderr)
        return 2
    seeds = ref["seeds"] if args.first_seed is None else \
        list(range(args.first_seed, args.first_seed + len(ref["seeds"])))
    current = eq.run_outcomes(list(ref["scenarios"]), seeds, ref["scale"], ref["months"],
                              progress=_progress(start))
    rows = eq.compare(ref, current)
    print(eq.table(rows))
    failed = [r for r in rows if not r["ok"]]
    print(f"{len(rows) - len(failed)} of {len(rows)} comparisons agree with {args.check} "
          f"(commit {ref.get('git_commit')}; seeds {seeds[0]}..{seeds[-1]}), "
          f"{time.perf_counter() - start:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
