#!/usr/bin/env bash
# Set up what the dashboard and its browser test need; safe to run again.
#
#   1. Debian's chromium, driven by Playwright in tests/app/test_dashboard_browser.py
#      (Playwright cannot download its own browser here), and a CJK font so the
#      county names (渭滨区, ...) render in charts and in the browser.
#   2. Solara's front-end assets in Solara's local asset cache, fetched with npm.
#      Solara serves the page's JavaScript and CSS from a CDN through that cache;
#      without network access to the CDN the page stays blank, so the set-up
#      fills the cache from the npm registry, which is where the CDN gets them.
#
# Usage: scripts/install_chromium.sh            (uses .venv/bin/python)
#        VENV_PYTHON=/path/to/venv/bin/python scripts/install_chromium.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${VENV_PYTHON:-$ROOT/.venv/bin/python}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

# ---------------------------------------------------------------- 1. apt
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
if ! { command -v fc-list >/dev/null && fc-list :lang=zh | grep -q .; }; then
  need+=(fonts-wqy-microhei)
fi
if ((${#need[@]})); then
  echo "install_chromium: apt-get install ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "install_chromium: chromium and a CJK font are already installed"
fi
echo "install_chromium: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium did not start')"

# ------------------------------------------------------ 2. solara assets
if ! "$PY" -c "import solara" 2>/dev/null; then
  echo "install_chromium: $PY has no solara; install the app extra first (pip install -e .[dev])" >&2
  exit 1
fi
if ! command -v npm >/dev/null; then
  echo "install_chromium: apt-get install npm (to fetch Solara's assets)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null
fi

# The packages (name@version) that Solara's page template loads from the CDN,
# and those not yet in the cache, read from the installed Solara itself so that
# a Solara upgrade brings its own versions.
missing=$("$PY" - <<'EOF'
import re
from pathlib import Path

import solara
from solara.server import settings

template = (Path(solara.__file__).parent / "server" / "templates" / "solara.html.j2").read_text()
packages = set(re.findall(r"\{\{cdn\}\}/((?:@[\w.-]+/)?[\w.-]+@\d[\w.+-]*)/", template))
packages.add(settings.assets.fontawesome_path.strip("/").split("/")[0])
cache = Path(settings.assets.proxy_cache_dir)
for package in sorted(packages):
    if not (cache / package / "package.json").exists():
        print(f"{package}\t{cache / package}")
EOF
)
if [ -z "$missing" ]; then
  echo "install_chromium: Solara's assets are already cached"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
while IFS=$'\t' read -r package dest; do
  echo "install_chromium: npm pack $package -> $dest"
  tarball=$(cd "$tmp" && npm pack --silent "$package" | tail -n 1)
  mkdir -p "$dest.partial"
  tar -xzf "$tmp/$tarball" --strip-components=1 -C "$dest.partial"
  rm -rf "$dest" && mv "$dest.partial" "$dest"
done <<<"$missing"
echo "install_chromium: done"
