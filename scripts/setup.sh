#!/usr/bin/env bash
# Set up the project on a machine with only Python and pip: a virtual
# environment in .venv with the package and all its extras (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
  # pyenv reads .python-version (3.12); fall back to an explicit python3.12
  if command -v python3.12 >/dev/null; then PY=python3.12; else
    echo "Python >= 3.12 is needed (found $("$PY" --version 2>&1))" >&2; exit 1; fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
echo "set-up done: $(.venv/bin/python --version), wengang $(.venv/bin/wengang --version | cut -d' ' -f2)"
