"""What a sample can certify about zero-employment household-months at full scale.

"Zero stays zero" is a property of the whole population: any of ~210,000
households in any month.  A run at scale < 1 simulates a sample of them, so
"no zero-employment household in the sample" is not "none at full scale".
For each design point this module gives the one-sided 95 % upper bound on the
full-scale zero-employment household-months (per run) that the sample is
consistent with.

**Data.**  The model reports, per run (see ``model.outcomes.run_metrics``):

- ``households_sampled``: households simulated (unweighted);
- ``households_fullscale``: their full-scale equivalent;
- ``zero_household_months_sampled``: unweighted zero-employment
  household-months after the warm-up;
- ``months_after_warmup``.

**Bound.**  Over a point's successful replications, pooled:
``n = sum(households_sampled x months_after_warmup)`` household-months were
simulated and ``k = sum(zero_household_months_sampled)`` of them were
zero-employment.  The share ``p`` of zero-employment household-months has the
one-sided 95 % Clopper-Pearson upper bound

- ``p_U = beta.ppf(0.95, k + 1, n - k)`` when ``k > 0`` (``1`` when ``k = n``);
- ``p_U = 3 / n`` when ``k = 0`` (the *rule of three*).  The exact
  Clopper-Pearson value is then ``1 - 0.05 ** (1 / n)``; ``3 / n`` is never
  below it and overstates it, relative, by at most 0.15 % + 2 / n (under 1 %
  once n >= 200, 0.3 % at n = 1,000; a sample at 2 % scale has ~150,000
  household-months per run).

The bound on full-scale household-months per run is ``p_U x N`` with ``N`` the
mean over replications of ``households_fullscale x months_after_warmup``.

**At full scale** (``households_sampled == households_fullscale`` in every
run) nothing is sampled away: the column holds the observed full-scale
zero-employment household-months, ``k / n x N`` (the mean per run over the
replications), and ``bound`` says ``observed``.

**Caveat.**  The binomial bound treats household-months as independent
draws.  They are not: a zero-employment spell lasts months, and the sample
takes whole villages.  The true uncertainty is larger; the bound is a floor on
what the sample cannot rule out, never a certificate of zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import beta

#: One-sided confidence level of the bound.
CONFIDENCE = 0.95
#: The rule of three: with none of n observed, the 95 % upper bound on a share is 3/n.
RULE_OF_THREE = 3.0
#: Relative slack when comparing sampled and full-scale households (float sums of weights).
FULL_SCALE_RTOL = 1e-9
#: The per-run metrics the bound needs.
METRICS = ("households_sampled", "households_fullscale", "zero_household_months_sampled",
           "months_after_warmup")
#: The column ``wengang analyze`` writes in ``analysis/zero_by_point.csv``.
COLUMN = "zero_hh_months_upper95_fullscale"
#: All columns this module adds to the per-point table.
COLUMNS = ("household_months_sampled", "zero_hh_months_sampled", "household_months_fullscale",
           "full_scale", "zero_hh_share_upper95", "bound", COLUMN)


def share_upper(k: float, n: float) -> float:
    """One-sided 95 % upper bound on a share from ``k`` of ``n`` (see module doc)."""
    if n <= 0:
        return float("nan")
    if k <= 0:
        return min(1.0, RULE_OF_THREE / n)
    if k >= n:
        return 1.0
    return float(beta.ppf(CONFIDENCE, k + 1, n - k))


def has_metrics(runs: pd.DataFrame) -> bool:
    """True when the runs report every metric the bound needs (not all missing)."""
    return all(m in runs.columns and runs[m].notna().any() for m in METRICS)


def by_point(runs: pd.DataFrame) -> pd.DataFrame:
    """Per design point (index ``point``): the columns :data:`COLUMNS`.

    Uses successful runs that report every metric in :data:`METRICS`; a
    point with none gets no row.  Empty (with those columns) when the runs
    lack the metrics altogether.
    """
    if not has_metrics(runs):
        return pd.DataFrame(columns=list(COLUMNS))
    ok = runs[(runs["status"] == "ok")] if "status" in runs else runs
    ok = ok.dropna(subset=list(METRICS))
    hh_months = ok["households_sampled"] * ok["months_after_warmup"]
    full = ok["households_fullscale"] * ok["months_after_warmup"]
    at_full = ok["households_sampled"] >= ok["households_fullscale"] * (1 - FULL_SCALE_RTOL)
    frame = pd.DataFrame({"point": ok["point"], "n": hh_months, "k":
                          ok["zero_household_months_sampled"], "N": full, "at_full": at_full})
    grouped = frame.groupby("point")
    table = pd.DataFrame({"household_months_sampled": grouped["n"].sum(),
                          "zero_hh_months_sampled": grouped["k"].sum(),
                          "household_months_fullscale": grouped["N"].mean(),
                          "full_scale": grouped["at_full"].all()})
    rows = []
    for n, k, big_n, full_scale in table[["household_months_sampled", "zero_hh_months_sampled",
                                          "household_months_fullscale",
                                          "full_scale"]].itertuples(index=False):
        if full_scale:
            share = k / n if n else np.nan
            rows.append((share, "observed", share * big_n))
        else:
            share = share_upper(k, n)
            rows.append((share, "rule_of_three" if k == 0 else "clopper_pearson", share * big_n))
    table["zero_hh_share_upper95"] = [r[0] for r in rows]
    table["bound"] = [r[1] for r in rows]
    table[COLUMN] = [r[2] for r in rows]
    return table


def below_full_scale(table: pd.DataFrame, spec_scale: float | None) -> bool:
    """Whether a study's zero claims need qualifying: some point ran below
    full scale (from the data when the runs report it, else from the spec)."""
    if len(table) and "full_scale" in table:
        return not bool(table["full_scale"].astype(bool).all())
    return spec_scale is not None and spec_scale < 1
