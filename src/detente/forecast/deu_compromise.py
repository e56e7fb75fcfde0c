"""``deu-compromise``: the compromise model with damped capability and exchange-aware salience.

The compromise model (Achen 2006; van den Bos 1991) weights each actor's position by
capability x salience. Two changes, chosen by the DEU III research in
``docs/backtest.md`` (tuned on a training part of ``deu3-public.csv`` only):

1. **Damped capability** ``c ** gamma`` (``gamma`` = 0.75): capability ratios between
   large and small member states overstate their bargaining weight (the Penrose 1946
   square-root intuition for voting power points the same way; Council weights under
   Nice grow more slowly than population).
2. **Exchange-aware salience**: actors trade influence across the issues of one proposal
   (the exchange model of Arregui, Stokman & Thomson 2006, "Compromise, exchange and
   challenge in the European Union", in Thomson et al., *The European Union Decides*).
   We keep only its first-order effect: an actor's salience on an issue counts relative
   to its total salience over the issues negotiated together,
   ``s_rel = n * s_ij / sum_k s_ik`` (``n`` issues, so that the mean stays 1), mixed with
   the raw salience: ``s_eff = (1 - mix) * s + mix * s_rel`` (``mix`` = 0.25). With a
   single issue the relative part is 1 for every actor with salience, so only
   ``(1 - mix)`` of the raw salience differentiates actors; give the model every issue of
   a proposal at once.

The outcome is ``sum_i w_i x_i / sum_i w_i`` with ``w_i = c_i ** gamma * s_eff_i``.

Prediction intervals (``extras["interval_low"]``, ``extras["interval_high"]``) are
split-conformal (Vovk et al. 2005; Lei et al. 2018): the outcome plus or minus the
``ceil((n + 1) level)``-th smallest absolute residual of this model on the ``n`` scored
issues of ``deu3-public.csv``, scaled to the issue's scale and clipped to it. The coverage
of this procedure on proposals not used to set the width is reported in
``docs/backtest.md``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from detente.forecast.closed_form import weighted_mean
from detente.forecast.registry import ModelInput, ModelResult, Param, register

__all__ = ["GAMMA", "HALF_WIDTH", "MIX", "deu_compromise", "deu_compromise_weights"]

F = NDArray[np.float64]

GAMMA = 0.75
"""Capability exponent chosen by cross-validation on the training proposals."""

MIX = 0.25
"""Share of proposal-relative salience chosen by cross-validation on the training proposals."""

HALF_WIDTH: dict[float, float] = {0.5: 19.0, 0.8: 38.5, 0.9: 50.3}
"""Conformal half-widths on a 0-100 scale per nominal level, from all public DEU III issues
(``python -m detente.backtest.research``; a test keeps them in step)."""


def deu_compromise_weights(
    salience: F, capability: F, present: NDArray[np.bool_], gamma: float, mix: float
) -> F:
    """Weights ``c ** gamma * s_eff``, ``(B, A, I)``; zero where not present.

    Args:
        salience: ``(B, A, I)`` in [0, 1].
        capability: ``(B, A, I)`` >= 0.
        present: ``(A, I)``.
        gamma: Capability exponent (1 = the compromise model).
        mix: Weight of the proposal-relative salience (0 = raw salience).
    """
    s = np.where(present, salience, 0.0)
    n_issues = present.shape[-1]
    total = s.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(total > 0, n_issues * s / total, 0.0)
    s_eff = (1.0 - mix) * s + mix * rel
    c = np.where(present, np.maximum(capability, 0.0), 0.0) ** gamma
    return np.where(present, c * s_eff, 0.0)


def deu_compromise(
    position: F,
    salience: F,
    capability: F,
    present: NDArray[np.bool_],
    gamma: float = GAMMA,
    mix: float = MIX,
) -> F:
    """Outcome per draw and issue, ``(B, I)``; NaN where no actor has weight."""
    w = deu_compromise_weights(salience, capability, present, gamma, mix)
    return weighted_mean(position, w)


@register(
    "deu-compromise",
    summary="Compromise model with capability ** 0.75 and salience relative to the other "
    "issues negotiated together; conformal prediction intervals.",
    reference="Achen (2006); Arregui, Stokman & Thomson (2006) exchange model; "
    "Penrose (1946); tuned on DEU III public part (docs/backtest.md)",
    multi_issue=True,
    params={
        # gamma: 0 ignores capability, 1 is the plain compromise (the backtest's grid
        # is 0.25-1); at 10 twice the capability already weighs 1,024 times as much
        "gamma": Param(
            GAMMA,
            "Capability exponent (1 = plain compromise).",
            value_type=float,
            low=0.0,
            high=10.0,
        ),
        "mix": Param(
            MIX,
            "Share of proposal-relative salience in the weight (0 = raw).",
            value_type=float,
            low=0.0,
            high=1.0,
        ),
        "level": Param(0.8, "Nominal coverage of the prediction interval.", (0.5, 0.8, 0.9)),
    },
)
def _deu_compromise(
    inp: ModelInput, gamma: Any = GAMMA, mix: Any = MIX, level: Any = 0.8
) -> ModelResult:
    out = deu_compromise(
        inp.position, inp.salience, inp.capability, inp.present, float(gamma), float(mix)
    )
    width = (inp.scale_max - inp.scale_min) / 100.0 * HALF_WIDTH[float(level)]
    low = np.clip(out - width, inp.scale_min, inp.scale_max)
    high = np.clip(out + width, inp.scale_min, inp.scale_max)
    return ModelResult(out, {"interval_low": low, "interval_high": high})
