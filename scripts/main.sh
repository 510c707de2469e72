#!/usr/bin/env bash
# The main job: set up, run the Baoji baseline, then the quick sensitivity study.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/wengang run scenarios/baoji_baseline.yaml --out runs/baseline --force "$@"
.venv/bin/wengang sweep experiments/specs/quick.yaml --out runs/quick --force
.venv/bin/wengang analyze runs/quick
echo "results: runs/baseline (one run) and runs/quick/report.md (sensitivity)"
