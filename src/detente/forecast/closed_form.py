"""Closed-form bargaining models: compromise, weighted median and Nash bargaining.

Each model is a pure function over arrays with a leading batch axis ``B`` (draws),
then actors ``A`` and issues ``I``. Each issue is solved on its own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from detente.forecast.registry import ModelInput, ModelResult, Param, register

__all__ = ["nash_bargaining", "weighted_mean", "weighted_median"]

F = NDArray[np.float64]


def weighted_mean(position: F, weight: F) -> F:
    """Capability x salience weighted mean of positions (the "compromise model").

    ``outcome_j = sum_i w_ij x_ij / sum_i w_ij`` with ``w_ij = c_ij s_ij``
    (Achen 2006, "Institutional realism and bargaining models", in Thomson et al.,
    *The European Union Decides*, eq. 5.6; van den Bos 1991).

    Args:
        position: ``(B, A, I)`` ideal points.
        weight: ``(B, A, I)`` non-negative weights (zero for absent actors).

    Returns:
        ``(B, I)``; NaN where all weights on an issue are zero.
    """
    total = weight.sum(axis=-2)
    num = (weight * position).sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / total
    return np.where(total > 0, out, np.nan)


def weighted_median(position: F, weight: F) -> F:
    """Capability x salience weighted median of positions (Black 1948; Achen 2006).

    The lower weighted median: the smallest position ``x`` such that the actors at or
    below ``x`` hold at least half of the total weight. With an even split between two
    positions this picks the lower one (documented in ``docs/models/median.md``).

    Args:
        position: ``(B, A, I)`` ideal points.
        weight: ``(B, A, I)`` non-negative weights (zero for absent actors).

    Returns:
        ``(B, I)``; NaN where all weights on an issue are zero.
    """
    order = np.argsort(position, axis=-2, kind="stable")
    xs = np.take_along_axis(position, order, axis=-2)
    ws = np.take_along_axis(weight, order, axis=-2)
    cum = np.cumsum(ws, axis=-2)
    total = cum[..., -1:, :]
    # Compare 2*cum with total (not cum with total/2) to avoid a rounding step.
    first = np.argmax(2.0 * cum >= total, axis=-2)
    out = np.take_along_axis(xs, first[..., None, :], axis=-2)[..., 0, :]
    result: F = np.where(total[..., 0, :] > 0, out, np.nan)
    return result


def _gains(x: F, position: F, reach: F, utility: str) -> F:
    """Gain of each actor from outcome ``x`` over the status quo, ``(B, A, I)``."""
    dist = np.abs(x[..., None, :] - position)
    gain: F = reach**2 - dist**2 if utility == "quadratic" else reach - dist
    return gain


def nash_bargaining(
    position: F,
    weight: F,
    status_quo: F,
    utility: str = "quadratic",
    iterations: int = 100,
) -> F:
    """Asymmetric Nash bargaining solution with the status quo as disagreement point.

    Solves, per draw and issue, ``max_x prod_i (u_i(x) - u_i(q))^{w_i}`` over the
    outcomes that no actor with weight finds worse than the status quo ``q`` (Nash 1950;
    the asymmetric form of Kalai 1977; applied to EU decisions by Achen 2006, and
    Schneider, Finke & Bailer 2010). Utilities are single-peaked losses in distance,
    ``u_i(x) = -(x - x_i)^2`` (``quadratic``) or ``-|x - x_i|`` (``linear``);
    bargaining power ``w_i`` is capability x salience.

    Every actor with weight can block a move that hurts it, so the feasible set is the
    intersection of ``[x_i - r_i, x_i + r_i]`` with ``r_i = |q - x_i|``. It always contains
    ``q``; if it is only ``{q}`` (actors on both sides of the status quo) the solution is
    the status quo. The weighted sum of log-gains is concave on the interior, so
    bisection on the sign of its slope finds the maximum to floating-point resolution;
    it runs on all draws and issues at once.

    Args:
        position: ``(B, A, I)`` ideal points.
        weight: ``(B, A, I)`` bargaining weights (zero for absent actors).
        status_quo: ``(B, I)`` disagreement point; NaN gives a NaN outcome.
        utility: ``quadratic`` or ``linear``.
        iterations: Bisection steps, a fixed number so that a batched call equals
            one-by-one calls exactly; 100 halvings reach floating-point resolution.

    Returns:
        ``(B, I)`` outcomes.
    """
    q = status_quo[..., None, :]
    reach = np.abs(q - position)
    active = weight > 0
    inf = np.inf
    lo = np.max(np.where(active, position - reach, -inf), axis=-2)
    hi = np.min(np.where(active, position + reach, inf), axis=-2)
    has_weight = active.any(axis=-2)
    lo = np.where(has_weight, lo, status_quo)
    hi = np.where(has_weight, hi, status_quo)

    def slope(x: F) -> F:
        # d/dx sum_i w_i log g_i(x); for the linear form sign(0) = 0 picks a subgradient.
        diff = x[..., None, :] - position
        g = _gains(x, position, reach, utility)
        dg = -2.0 * diff if utility == "quadratic" else -np.sign(diff)
        with np.errstate(divide="ignore", invalid="ignore"):
            # Only a degenerate bracket (lo == hi) meets g = 0; its result is replaced below.
            total: F = np.where(active, weight * dg / g, 0.0).sum(axis=-2)
        return total

    # The objective is concave on [lo, hi], so its slope falls: bisect on its sign.
    a, b = lo.copy(), hi.copy()
    for _ in range(iterations):
        mid = (a + b) / 2.0
        rising = slope(mid) > 0
        a = np.where(rising, mid, a)
        b = np.where(rising, b, mid)
    x = (a + b) / 2.0
    x = np.where(hi - lo <= 0, status_quo, x)
    result: F = np.where(has_weight & ~np.isnan(status_quo), x, np.nan)
    return result


@register(
    "compromise",
    summary="Capability x salience weighted mean of positions.",
    reference="Achen (2006) in Thomson et al., The European Union Decides, ch. 4; "
    "van den Bos (1991)",
)
def _compromise(inp: ModelInput) -> ModelResult:
    return ModelResult(weighted_mean(inp.position, inp.weight))


@register(
    "median",
    summary="Capability x salience weighted median of positions (lower median on ties).",
    reference="Black (1948); Achen (2006) in Thomson et al., The European Union Decides",
)
def _median(inp: ModelInput) -> ModelResult:
    return ModelResult(weighted_median(inp.position, inp.weight))


@register(
    "nash",
    summary="Asymmetric Nash bargaining solution, status quo as disagreement point, "
    "capability x salience as bargaining power.",
    reference="Nash (1950); Kalai (1977); Achen (2006); Schneider, Finke & Bailer (2010)",
    needs_status_quo=True,
    params={
        "utility": Param(
            "quadratic", "Loss in distance: quadratic or linear.", ("quadratic", "linear")
        )
    },
)
def _nash(inp: ModelInput, utility: Any = "quadratic") -> ModelResult:
    return ModelResult(nash_bargaining(inp.position, inp.weight, inp.status_quo, str(utility)))
