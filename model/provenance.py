"""Where a result came from: the package version and the state of the checkout.

Used by ``wengang run`` (``summary.json``) and by sweeps (``manifest.json``),
so both record provenance the same way.  Both are written as strict JSON
(:func:`dumps_strict`): an undefined number is ``null``, never ``NaN``.
"""

from __future__ import annotations

import json
import math
import subprocess
from typing import Any
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


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, +-inf) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _finite(value.item())
    return value


def dumps_strict(data: Any) -> str:
    """Strict JSON text (RFC 8259): NaN and infinities become ``null``."""
    return json.dumps(_finite(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"not strict JSON: {name}")


def loads_strict(text: str) -> Any:
    """Parse JSON as a strict parser does: ``NaN`` and ``Infinity`` are errors."""
    return json.loads(text, parse_constant=_refuse_constant)
