"""Same rules after speed work: the current code against frozen reference outcomes.

The reference (``tests/model/reference/equivalence.json``) is frozen by
``tests/model/reference/freeze.py`` before the speed work; what is compared,
and how, is in ``tests/model/reference/equivalence.py``.  Without the
reference the slow test fails, saying how to make it.
"""

from __future__ import annotations

import copy
import math

import pytest

from tests.model.reference import equivalence as eq


@pytest.mark.slow
def test_outcomes_agree_with_the_frozen_reference():
    try:
        reference = eq.load_reference()
    except eq.MissingReference as exc:
        pytest.fail(str(exc), pytrace=False)
    current = eq.run_outcomes(list(reference["scenarios"]), reference["seeds"],
                              reference["scale"], reference["months"])
    rows = eq.compare(reference, current)
    assert all(r["ok"] for r in rows), (
        f"the current code differs from the reference frozen at commit "
        f"{reference.get('git_commit')}:\n{eq.table(rows)}")


# ------------------------------------------- the comparison, on known answers
REF = {"scenarios": {"s": {
    "employed_end": [100.0, 102, 98, 101, 99, 103, 97, 100, 101, 99],
    **{o: [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10] for o in eq.KEY_OUTCOMES if o != "employed_end"},
}}}


def shifted(outcome: str, by: float) -> dict:
    current = copy.deepcopy(REF["scenarios"])
    current["s"][outcome] = [v + by for v in current["s"][outcome]]
    return current


def failures(current) -> list[dict]:
    return [r for r in eq.compare(REF, current) if not r["ok"]]


def test_identical_outcomes_agree():
    assert failures(copy.deepcopy(REF["scenarios"])) == []


def test_a_mean_beyond_three_standard_errors_fails():
    values = REF["scenarios"]["s"]["employed_end"]
    sd = float(__import__("numpy").std(values, ddof=1))
    se = math.sqrt(2 * sd**2 / len(values))  # same spread on both sides
    assert failures(shifted("employed_end", 2.9 * se)) == []
    failed = failures(shifted("employed_end", 3.1 * se))
    assert [r["outcome"] for r in failed] == ["employed_end"]
    assert "SE apart" in failed[0]["why"]


def test_a_changed_distribution_fails_the_two_sample_test():
    # the reference's mean (5.5), but nine runs low and one far out: the means
    # agree, the distributions do not (KS distance 0.9)
    current = copy.deepcopy(REF["scenarios"])
    current["s"]["migrant_end"] = [0.5] * 9 + [50.5]
    failed = failures(current)
    assert [r["outcome"] for r in failed] == ["migrant_end"]
    assert "KS p" in failed[0]["why"] and "SE apart" not in failed[0]["why"]


def test_a_missing_key_outcome_fails_and_an_optional_one_is_skipped():
    current = copy.deepcopy(REF["scenarios"])
    del current["s"]["in_training_end"]
    current["s"]["market_employed_end"] = [1.0] * 10  # not in the reference: skipped
    failed = failures(current)
    assert [(r["outcome"], r["why"]) for r in failed] == [("in_training_end",
                                                          "missing in the current run")]


def test_a_missing_reference_says_how_to_make_it(tmp_path):
    with pytest.raises(eq.MissingReference, match="freeze.py"):
        eq.load_reference(tmp_path / "equivalence.json")
