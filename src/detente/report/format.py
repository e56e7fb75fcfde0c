"""How the brief writes numbers: the one place for its float formatters.

Every number on the page (tables, sentences, chart labels) goes through these, so the
same value reads the same everywhere. Missing and non-finite values are written "–".
"""

from __future__ import annotations

import math
from typing import Final, TypeGuard

from detente.case.model import Estimate

__all__ = [
    "DASH",
    "count",
    "est_text",
    "finite",
    "interval_text",
    "num",
    "pct",
    "seconds",
    "share",
    "signed_points",
    "size",
    "words",
]

DASH: Final = "–"
"""What a missing or non-finite number is written as."""


def finite(x: object) -> TypeGuard[float]:
    """Whether ``x`` is a real, finite number (not a bool, not NaN, not infinite)."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def num(value: float | None) -> str:
    """A number as people read it: up to 4 significant digits, no exponent."""
    if not finite(value):
        return DASH
    v = float(value)
    if abs(v) >= 1000:
        return f"{v:.0f}"
    text = f"{v:.4g}"
    return "0" if text == "-0" else text


def pct(p: float | None) -> str:
    """A probability as a whole percentage; ``<1%`` and ``>99%`` keep rare events visible."""
    if not finite(p):
        return DASH
    v = float(p)
    if 0 < v < 0.005:
        return "<1%"
    if 0.995 <= v < 1:
        return ">99%"
    return f"{v * 100:.0f}%"


def signed_points(p: float) -> str:
    """A difference of two probabilities in percentage points: ``+12 points``."""
    v = round(p * 100)
    return f"{v:+d} point{'s' if abs(v) != 1 else ''}"


def share(x: float | None) -> str:
    """A share of a lever's room: one decimal under 10%, whole percent above."""
    if not finite(x):
        return DASH
    v = float(x) * 100
    return f"{v:.1f}%" if v < 10 else f"{v:.0f}%"


def size(x: float | None) -> str:
    """An intervention's size (a sum of shares of room): two significant digits."""
    return f"{x:.2g}" if finite(x) else DASH


def seconds(x: float | None) -> str:
    """A duration in seconds, to a tenth."""
    return f"{x:.1f}" if finite(x) else DASH


def count(n: float | None) -> str:
    """A count with thousands separators."""
    return f"{int(n):,}" if finite(n) else DASH


def interval_text(pair: object) -> str:
    """``[lo, hi]`` as ``lo–hi``; anything else as "–"."""
    if isinstance(pair, list | tuple) and len(pair) == 2 and all(finite(x) for x in pair):
        return f"{num(pair[0])}–{num(pair[1])}"
    return DASH


def est_text(est: Estimate | None) -> str:
    """An estimate with its range: ``60 (40–70)``."""
    if est is None:
        return DASH
    if est.range is None:
        return num(est.value)
    return f"{num(est.value)} ({num(est.low)}–{num(est.high)})"


def words(code: object) -> str:
    """``receiver_capitulates`` -> ``receiver capitulates``."""
    return str(code or "").replace("_", " ")
