"""Polynomial emulators of the model's outputs and their bounded optimisation.

Pure numerics on points ``u`` in the unit cube of the free parameters' ranges;
nothing here runs the model.
"""

from __future__ import annotations

import numpy as np


def design(n: int, lo: np.ndarray, hi: np.ndarray, seed: int) -> np.ndarray:
    """``n`` points of a scrambled Sobol design in the box ``[lo, hi]``."""
    from scipy.stats import qmc

    u = qmc.Sobol(d=len(lo), scramble=True, seed=seed).random(n)
    return lo + u * (hi - lo)


def features(u: np.ndarray, degree: int = 2) -> np.ndarray:
    """1, u_i and (degree 2) u_i u_j (i <= j) for points ``u`` of shape (n, k)."""
    n, k = u.shape
    cols = [np.ones(n)] + [u[:, i] for i in range(k)]
    if degree == 2:
        cols += [u[:, i] * u[:, j] for i in range(k) for j in range(i, k)]
    return np.column_stack(cols)


def fit_emulator(u: np.ndarray, y: np.ndarray, degree: int = 2) -> tuple[np.ndarray, float]:
    """Least-squares polynomial emulator (degree 1 or 2): coefficients and R²."""
    X = features(u, degree)
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ coef
    r2 = 1.0 - resid.var() / y.var() if y.var() > 0 else 1.0
    return coef, float(r2)


def predict(coef: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The emulator's value at points ``u`` (its degree read from the number of coefficients)."""
    k = u.shape[1]
    return features(u, 1 if len(coef) == k + 1 else 2) @ coef


def optimise(emulators: dict[str, np.ndarray], targets: dict[str, float], lo: np.ndarray, hi: np.ndarray,
             starts: np.ndarray, prior: np.ndarray | None = None, prior_weight: float = 0.0) -> tuple[np.ndarray, float]:
    """Minimise the summed squared relative errors of the emulated targets over ``[lo, hi]``,
    plus ``prior_weight`` times the squared distance from ``prior``; the best of several starts."""
    from scipy.optimize import minimize

    def loss(u: np.ndarray) -> float:
        err = sum((predict(c, u[None, :])[0] / targets[k] - 1.0) ** 2 for k, c in emulators.items())
        if prior is not None:
            err += prior_weight * float(np.sum((u - prior) ** 2))
        return float(err)

    best = None
    for u0 in starts:
        res = minimize(loss, np.clip(u0, lo, hi), method="L-BFGS-B", bounds=list(zip(lo, hi)))
        if best is None or res.fun < best.fun:
            best = res
    return best.x, float(best.fun)
