"""Writing fitted values into a scenario file without disturbing it.

Only the one-line ``{value: ..., unit: ...}`` mappings of the parameters that
change are rewritten; comments, order and layout are kept.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

_KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_]+):(?P<rest>.*)$")


def find_line(lines: list[str], dotted: str) -> int:
    """Index of the line that defines ``dotted`` (block mappings, two-space style)."""
    want = dotted.split(".")
    stack: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        if not line.strip() or line.lstrip().startswith(("#", "-")):
            continue
        m = _KEY_LINE.match(line)
        if not m:
            continue
        indent = len(m["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = [k for _, k in stack] + [m["key"]]
        if path == want:
            return i
        rest = m["rest"].split("#", 1)[0].strip()
        if not rest:
            stack.append((indent, m["key"]))
    raise KeyError(f"{dotted}: not found in the scenario file")


def scalar(v: Any) -> str:
    """``v`` as a YAML flow scalar (quoted only when it must be)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(scalar(x) for x in v) + "]"
    s = str(v)
    plain = not any(c in s for c in ':,[]{}#&*!|>\'"%@`') and s == s.strip() and s != ""
    if plain:
        try:
            plain = yaml.safe_load(f"k: {s}") == {"k": s}
        except yaml.YAMLError:
            plain = False
    return s if plain else json.dumps(s, ensure_ascii=False)


def set_calibrated(path: Path, updates: dict[str, tuple[Any, str]]) -> None:
    """Set ``value``, ``source: calibrated`` and ``target`` of flow-mapping parameters.

    Only the lines of those parameters change; comments, order and layout are
    kept.  The result is validated and the file is left untouched on error.
    """
    from model.scenario import load_scenario

    path = Path(path)
    original = path.read_text(encoding="utf-8")
    lines = original.split("\n")
    for dotted, (value, target) in updates.items():
        i = find_line(lines, dotted)
        m = _KEY_LINE.match(lines[i])
        flow = m["rest"].strip()
        if not (flow.startswith("{") and flow.endswith("}")):
            raise ValueError(f"{dotted}: expected a one-line {{value: ..., unit: ...}} mapping")
        spec = yaml.safe_load(flow)
        spec["value"] = value
        spec["source"] = "calibrated"
        spec["target"] = target
        body = ", ".join(f"{k}: {scalar(v)}" for k, v in spec.items())
        lines[i] = f"{m['indent']}{m['key']}: {{{body}}}"
    path.write_text("\n".join(lines), encoding="utf-8")
    try:
        loaded = load_scenario(path)
        for dotted, (value, _) in updates.items():
            if loaded.get(dotted) != value:
                raise ValueError(f"{dotted}: wrote {value!r} but read back {loaded.get(dotted)!r}")
    except Exception:
        path.write_text(original, encoding="utf-8")
        raise
