"""Wording shared by validation messages: lists of choices and "did you mean"."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

_MAX_LISTED = 12


def choices(values: Iterable[str]) -> str:
    """`values` as a comma-separated list, shortened when long; "none" when empty."""
    listed = list(values)
    if not listed:
        return "none"
    if len(listed) > _MAX_LISTED:
        return ", ".join(listed[:_MAX_LISTED]) + f", ... ({len(listed)} in all)"
    return ", ".join(listed)


def did_you_mean(value: str, candidates: Iterable[str]) -> str:
    """A "; did you mean 'x'?" suffix naming the closest candidate, or "" if none is close.

    A case-insensitive match is preferred, so `equality` suggests `Equality`.
    """
    pool = list(candidates)
    exact = [c for c in pool if c.lower() == value.lower()]
    close = exact or difflib.get_close_matches(value, pool, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""
