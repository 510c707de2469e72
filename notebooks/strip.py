"""Keep the notebooks stored without outputs.

The policy: notebooks are committed *stripped*, with no outputs, no execution
counts and no per-run metadata, so that diffs show prose and code only and
nothing stale is ever read as a result.  They are executed, not stored, by
``tests/notebooks/test_notebooks.py``.

    python notebooks/strip.py            strip every notebook here, in place
    python notebooks/strip.py --check    list what is not stripped; exit 1 if any
    python notebooks/strip.py A.ipynb    only these files
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
CELL_METADATA_DROPPED = ("execution", "collapsed", "scrolled", "ExecuteTime")
NOTEBOOK_METADATA_KEPT = ("kernelspec", "language_info")


def problems(nb) -> list[str]:
    """What keeps a notebook from being stripped (empty when it is)."""
    found = []
    for number, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            if cell.get("outputs"):
                found.append(f"cell {number} has outputs")
            if cell.get("execution_count") is not None:
                found.append(f"cell {number} has an execution count")
        dropped = [k for k in CELL_METADATA_DROPPED if k in cell.get("metadata", {})]
        if dropped:
            found.append(f"cell {number} has run metadata {dropped}")
    extra = sorted(set(nb.metadata) - set(NOTEBOOK_METADATA_KEPT))
    if extra:
        found.append(f"notebook metadata {extra}")
    language = nb.metadata.get("language_info", {})
    if set(language) - {"name"}:
        found.append("language_info beyond the language name")
    return found


def strip(nb):
    """Remove outputs, execution counts and run metadata, in place; return the notebook."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in CELL_METADATA_DROPPED:
            cell.get("metadata", {}).pop(key, None)
    for key in set(nb.metadata) - set(NOTEBOOK_METADATA_KEPT):
        del nb.metadata[key]
    if "language_info" in nb.metadata:
        nb.metadata["language_info"] = {"name": nb.metadata["language_info"].get("name", "python")}
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="notebooks (default: notebooks/*.ipynb)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook is not stripped")
    args = parser.parse_args(argv)
    files = args.files or sorted(HERE.glob("*.ipynb"))
    dirty = 0
    for path in files:
        nb = nbformat.read(path, as_version=4)
        found = problems(nb)
        if not found:
            continue
        dirty += 1
        if args.check:
            print(f"{path}: " + "; ".join(found))
        else:
            nbformat.write(strip(nb), path)
            print(f"stripped {path}")
    if args.check and dirty:
        print(f"{dirty} notebook(s) not stripped: run python notebooks/strip.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
