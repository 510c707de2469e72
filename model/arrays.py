"""Small vectorised helpers shared by the rules (one place for each idiom)."""

from __future__ import annotations

import numpy as np

from .kernels.people import categories_of, sample_k_per_group


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
    g_live, key_live = group[live], key[live].astype(float)
    # one sort on "group + key scaled into [0, 0.5]" orders by group, then key
    lo, span = key_live.min(), np.ptp(key_live)
    scaled = (key_live - lo) / span * 0.5 if span > 0 else np.zeros_like(key_live)
    order = np.argsort(g_live + scaled)
    g = g_live[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    counts = np.diff(np.r_[starts, len(g)])
    rank = np.arange(len(g)) - np.repeat(starts, counts)
    return live[order[rank < k[g]]]


def sample_per_group(group: np.ndarray, k: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Positions of a uniformly random ``k[g]``-subset of each group ``g``
    (all its members if it has fewer): a partial shuffle per group, one
    uniform per member drawn (:func:`model.kernels.people.sample_k_per_group`)."""
    if len(group) == 0:
        return np.zeros(0, np.int64)
    k = np.asarray(k, np.int64)
    n_uniforms = min(len(group), int(k[k > 0].sum()))
    return sample_k_per_group(np.asarray(group, np.int64), k, rng.random(n_uniforms))


def draw_categories(rng: np.random.Generator, shares, size: int) -> np.ndarray:
    """``size`` categories drawn with probabilities ``shares``: the same draws
    as ``rng.choice(len(shares), size, p=shares)`` (one uniform each, by the
    same cumulative shares), several times faster on large draws."""
    p = np.asarray(shares, dtype=float)
    if p.ndim != 1 or len(p) == 0 or (p < 0).any() or not np.isclose(p.sum(), 1.0, rtol=0, atol=np.sqrt(np.finfo(float).eps)):
        raise ValueError(f"shares must be non-negative and sum to 1, not {p.tolist()}")
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return categories_of(cdf, rng.random(size))


def stochastic_round(x: np.ndarray | float, rng: np.random.Generator) -> np.ndarray:
    """Round to an integer up or down with probability given by the fraction."""
    x = np.asarray(x, dtype=float)
    base = np.floor(x)
    return (base + (rng.random(x.shape) < (x - base))).astype(np.int64)


def bernoulli_positions(n: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Positions ``i < n`` of the successes of ``n`` Bernoulli(``p``) trials.

    Unless events are common, the gaps between successes are geometric, so
    drawing the gaps costs O(successes) instead of O(n).  A gap is drawn by
    inversion, ``1 + floor(log(1 - U) / log(1 - p))``, which is several times
    cheaper than ``Generator.geometric``.
    """
    if n == 0 or p <= 0:
        return np.zeros(0, np.int64)
    if p >= 0.25:
        return np.flatnonzero(rng.random(n) < p)
    scale = 1.0 / np.log1p(-p)

    def gaps(size: int) -> np.ndarray:
        return (np.log1p(-rng.random(size)) * scale).astype(np.int64) + 1

    expected = n * p
    size = int(expected + 8 * np.sqrt(expected) + 16)
    pos = np.cumsum(gaps(size)) - 1
    while pos[-1] < n:  # rare: draw more gaps
        more = np.cumsum(gaps(size)) + pos[-1]
        pos = np.concatenate([pos, more])
    return pos[: np.searchsorted(pos, n)]


def logistic(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))


def lookup(values: np.ndarray, members, size: int) -> np.ndarray:
    """Boolean mask ``values in members`` for small non-negative integer codes
    (a table lookup; much faster than ``np.isin`` on large arrays)."""
    table = np.zeros(size, bool)
    table[list(members)] = True
    return table[values]


def as_bits(members) -> int:
    """Small non-negative integer codes as the bits of one integer:
    ``(bits >> code) & 1`` tests membership, which, unlike a table look-up,
    lets a compiled loop vectorise (the kernels' channel and capacity sets)."""
    return sum(1 << int(c) for c in set(members))
