"""Frozen reference outcomes for tests/model/test_equivalence.py (see equivalence.py)."""
