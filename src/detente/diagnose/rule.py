"""The deadlock verdict rule and its thresholds: the one place they are written down.

Every verdict detente gives (``detente diagnose``, P(deadlock) in a sweep, the goal of
the intervention search, the brief's words) comes from :func:`verdict_code` with the
thresholds below; ``docs/diagnosis.md`` states the same rule in words, and
:func:`verdict_rule` writes it out with the thresholds in force.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from detente.errors import ModelError

__all__ = [
    "AGREEMENT_GAP",
    "DEADLOCK_GAP",
    "VERDICTS",
    "VERDICT_LABELS",
    "VERDICT_SENTENCES",
    "check_thresholds",
    "verdict_code",
    "verdict_label",
    "verdict_rule",
]

VERDICTS: Final = ("deadlock", "compromise_expected", "agreement_likely")
"""The verdicts, from worst to best; a verdict's code is its index (-1: no verdict)."""

DEADLOCK_GAP: Final = 0.25
"""Final distance between the principals, as a share of the scale, above which: deadlock."""

AGREEMENT_GAP: Final = 0.05
"""Final distance at or below which: agreement likely (unless deadlocked by stalemate)."""

VERDICT_LABELS: Final = {
    "deadlock": "deadlock",
    "compromise_expected": "compromise expected",
    "agreement_likely": "agreement likely",
}
"""Short words for the verdict codes (tables, probabilities)."""

VERDICT_SENTENCES: Final = {
    "deadlock": "Deadlock: the coded positions and stakes do not point to an agreement.",
    "compromise_expected": "Compromise expected: the parties are likely to meet part way.",
    "agreement_likely": "Agreement likely: the positions are close or converging.",
}
"""One plain sentence per verdict code."""


def check_thresholds(deadlock_gap: float, agreement_gap: float) -> None:
    """Refuse thresholds the rule cannot use.

    Raises:
        ModelError: Unless ``0 <= agreement_gap <= deadlock_gap <= 1`` (finite).
    """
    if not (np.isfinite(deadlock_gap) and np.isfinite(agreement_gap)) or not (
        0.0 <= agreement_gap <= deadlock_gap <= 1.0
    ):
        raise ModelError(
            "thresholds must satisfy 0 <= agreement_gap <= deadlock_gap <= 1, got "
            f"agreement_gap={agreement_gap}, deadlock_gap={deadlock_gap}"
        )


def verdict_code(
    gap: ArrayLike,
    stalemate: ArrayLike,
    deadlock_gap: float = DEADLOCK_GAP,
    agreement_gap: float = AGREEMENT_GAP,
) -> NDArray[np.int64]:
    """The rule itself, elementwise: codes into :data:`VERDICTS`.

    deadlock if ``gap > deadlock_gap``, or if the principals are in mutual stalemate and
    ``gap > agreement_gap``; agreement likely if ``gap <= agreement_gap``; compromise
    expected otherwise (``docs/diagnosis.md``).

    Args:
        gap: Final distance between the two principals, as a share of the scale.
        stalemate: Whether each principal, by its own estimate, expects to lose by
            challenging the other (round 1 of the expected-utility model).
        deadlock_gap: See :data:`DEADLOCK_GAP`.
        agreement_gap: See :data:`AGREEMENT_GAP`.
    """
    g = np.asarray(gap, dtype=np.float64)
    s = np.asarray(stalemate, dtype=bool)
    code = np.where(g <= agreement_gap, 2, 1)
    code = np.where((g > deadlock_gap) | (s & (g > agreement_gap)), 0, code)
    return np.asarray(code, dtype=np.int64)


def verdict_label(code: str | None) -> str:
    """Short words for a verdict code; ``None`` is "no verdict", unknown codes as given."""
    if code is None:
        return "no verdict"
    return VERDICT_LABELS.get(code, code.replace("_", " "))


def verdict_rule(deadlock_gap: float = DEADLOCK_GAP, agreement_gap: float = AGREEMENT_GAP) -> str:
    """The verdict rule in words (the same text as ``docs/diagnosis.md``)."""
    return (
        f"Let g be the distance between the two principal parties after the last round, "
        f"as a share of the issue's scale. deadlock if g > {deadlock_gap:g}, or if the "
        f"principals are in mutual stalemate (each, by its own estimate, expects to lose "
        f"by challenging the other) and g > {agreement_gap:g}; agreement_likely if "
        f"g <= {agreement_gap:g}; compromise_expected otherwise."
    )
