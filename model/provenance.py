"""Where a result came from: the package version and the state of the checkout.

Used by ``wengang run`` (``summary.json``) and by sweeps (``manifest.json``),
so both record provenance the same way.
"""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

GIT_TIMEOUT_S = 5
REPO = Path(__file__).resolve().parents[1]


def package_version() -> str:
    """The installed version of ``wengang`` (the source's, if not installed)."""
    try:
        return metadata.version("wengang")
    except metadata.PackageNotFoundError:
        from . import __version__

        return __version__


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT_S, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def git_state() -> tuple[str | None, bool | None]:
    """The checkout's commit and whether it has changes (untracked files count),
    or ``(None, None)`` outside a git checkout."""
    commit = _git("rev-parse", "HEAD")
    if not commit:
        return None, None
    status = _git("status", "--porcelain")
    return commit, (bool(status) if status is not None else None)
