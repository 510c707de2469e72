"""Models with known answers, for checking the sweep and analysis machinery.

Each function here is a valid experiment ``model`` (``module:function``): it
takes its inputs as keyword arguments and returns a mapping from outcome name
to float.  They let the whole pipeline (sampling, Dask execution, storage,
Sobol analysis) be checked against analytic results, independently of the
agent-based model:

- :func:`ishigami` and :func:`sobol_g`, with their analytic first-order and
  total Sobol indices (:func:`ishigami_indices`, :func:`sobol_g_indices`);
- :func:`noisy_linear`, which uses its ``seed`` (to check replications);
- :func:`fails_where`, which raises on part of its input space (to check that
  failures become rows and the sweep goes on);
- :func:`busy`, which burns CPU for a known time (for the throughput benchmark
  and for tests that need runs in flight).

The evaluations themselves are SALib's (``SALib.test_functions``), so the
formulas are not duplicated here.
"""

from __future__ import annotations

import math
import time

import numpy as np
from SALib.test_functions import Ishigami, Sobol_G

#: Ishigami constants used in the literature (Saltelli et al. 2008, the Primer).
ISHIGAMI_A = 7.0
ISHIGAMI_B = 0.1
#: Sobol G-function coefficients of Saltelli et al. (2010), as in SALib.
SOBOL_G_A = (0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0)


def ishigami(x1: float, x2: float, x3: float) -> dict[str, float]:
    """Ishigami-Homma function on [-pi, pi]^3 (a = 7, b = 0.1); outcome ``y``."""
    x = np.array([[x1, x2, x3]], dtype=float)
    return {"y": float(Ishigami.evaluate(x, A=ISHIGAMI_A, B=ISHIGAMI_B)[0])}


def ishigami_indices(a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> dict[str, list[float]]:
    """Analytic Sobol indices of the Ishigami function.

    With uniform inputs on [-pi, pi]: V1 = (1 + b pi^4 / 5)^2 / 2, V2 = a^2 / 8,
    V13 = b^2 pi^8 (1/18 - 1/50), and V = V1 + V2 + V13.
    """
    pi4 = math.pi**4
    v1 = 0.5 * (1 + b * pi4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {"S1": [v1 / v, v2 / v, 0.0], "ST": [(v1 + v13) / v, v2 / v, v13 / v]}


def sobol_g(**x: float) -> dict[str, float]:
    """Sobol G-function on [0, 1]^8 with coefficients :data:`SOBOL_G_A`.

    Inputs are ``x1`` .. ``x8`` (keyword arguments); outcome ``y``.
    """
    names = [f"x{i + 1}" for i in range(len(SOBOL_G_A))]
    unknown = sorted(set(x) - set(names))
    if unknown:
        raise TypeError(f"sobol_g got unexpected inputs {unknown}; expected {names}")
    row = np.array([[x[n] for n in names]], dtype=float)
    return {"y": float(Sobol_G.evaluate(row, a=np.array(SOBOL_G_A))[0])}


def sobol_g_indices(a: tuple[float, ...] = SOBOL_G_A) -> dict[str, list[float]]:
    """Analytic Sobol indices of the G-function: V_i = 1 / (3 (1 + a_i)^2)."""
    vi = np.array([1 / (3 * (1 + ai) ** 2) for ai in a])
    total = np.prod(1 + vi) - 1
    s1 = vi / total
    st = np.array([vi[i] * np.prod(np.delete(1 + vi, i)) for i in range(len(vi))]) / total
    return {"S1": s1.tolist(), "ST": st.tolist()}


def noisy_linear(x1: float, x2: float, seed: int = 0, noise: float = 0.1) -> dict[str, float]:
    """``y = 2 x1 + x2 + noise * N(0, 1)``, the noise drawn from ``seed``.

    Also returns ``zero_count``, which is 0 when ``x1 < 0.5`` and 1 otherwise,
    a toy "zero stays zero" outcome, and ``cost = 10 x1 + x2``.
    """
    rng = np.random.default_rng(seed)
    y = 2 * x1 + x2 + noise * rng.standard_normal()
    return {"y": float(y), "zero_count": float(x1 >= 0.5), "cost": float(10 * x1 + x2)}


def fails_where(x1: float, x2: float, fail_above: float = 0.8) -> dict[str, float]:
    """``y = x1 + x2``, but raises ``ValueError`` when ``x1 > fail_above``."""
    if x1 > fail_above:
        raise ValueError(f"x1 = {x1:.4f} is above {fail_above} (deliberate failure)")
    return {"y": float(x1 + x2)}


def busy(x1: float, x2: float = 0.0, run_seconds: float = 0.01) -> dict[str, float]:
    """Burn CPU for ``run_seconds`` seconds (not sleep), then return ``y = x1 + x2``.

    CPU-bound on purpose: two workers on two cores should then run twice as
    many of these per second as one.
    """
    end = time.perf_counter() + run_seconds
    acc = 0.0
    while time.perf_counter() < end:
        for k in range(200):
            acc += math.sqrt(k + x1 * x1)
    return {"y": float(x1 + x2), "work": float(acc > 0)}
