"""Small vectorised helpers shared by the rules (one place for each idiom)."""

from __future__ import annotations

import numpy as np


def first_k_per_group(group: np.ndarray, key: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Positions (into ``group``) of the ``k[g]`` smallest ``key`` in each group ``g``.

    This is how a firm takes its best applicants, a village fills its posts in
    priority order, or an institution fills its seats.
    """
    if len(group) == 0:
        return np.zeros(0, np.int64)
    # only groups with room matter; dropping the rest first keeps the sorts small
    live = np.flatnonzero(k[group] > 0)
    if len(live) == 0:
        return live
    g_live, key_live = group[live], key[live]
    by_key = np.argsort(key_live, kind="stable")
    order = by_key[np.argsort(g_live[by_key], kind="stable")]  # radix sort on ints
    g = g_live[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    counts = np.diff(np.r_[starts, len(g)])
    rank = np.arange(len(g)) - np.repeat(starts, counts)
    return live[order[rank < k[g]]]


def stochastic_round(x: np.ndarray | float, rng: np.random.Generator) -> np.ndarray:
    """Round to an integer up or down with probability given by the fraction."""
    x = np.asarray(x, dtype=float)
    base = np.floor(x)
    return (base + (rng.random(x.shape) < (x - base))).astype(np.int64)


def weighted_choice_rows(
    weights: np.ndarray, rows: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """For each entry of ``rows``, draw a column of ``weights[row]`` with
    probability proportional to the weights (rows must have a positive sum)."""
    n_cols = weights.shape[1]
    cum = np.cumsum(weights, axis=1)
    total = cum[:, -1]
    offsets = np.concatenate([[0.0], np.cumsum(total)[:-1]])
    flat = (cum + offsets[:, None]).ravel()
    u = offsets[rows] + rng.random(len(rows)) * total[rows]
    col = np.searchsorted(flat, u, side="right") - rows * n_cols
    return np.clip(col, 0, n_cols - 1)


def bernoulli(p: np.ndarray | float, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` independent draws, True with probability ``p`` (scalar or array)."""
    return rng.random(n) < p


def logistic(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))


def lookup(values: np.ndarray, members, size: int) -> np.ndarray:
    """Boolean mask ``values in members`` for small non-negative integer codes
    (a table lookup; much faster than ``np.isin`` on large arrays)."""
    table = np.zeros(size, bool)
    table[list(members)] = True
    return table[values]
