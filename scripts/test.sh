#!/usr/bin/env bash
# The test suite: set up, install what the browser test needs, run pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -f scripts/install_chromium.sh ]; then bash scripts/install_chromium.sh; fi
.venv/bin/python -m pytest "$@"
