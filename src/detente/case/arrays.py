"""Arrays inside: a validated case as dense numpy arrays, actors x issues.

Models never see pydantic objects. They take :class:`CaseArrays` (or batched
:class:`ModelInput`, with a leading draw axis) and return arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from detente.case.model import Case

__all__ = ["CaseArrays", "case_arrays"]

F = NDArray[np.float64]


@dataclass(frozen=True)
class CaseArrays:
    """A case as arrays. ``A`` actors, ``I`` issues.

    Attributes:
        actor_ids: Actor ids, shape ``(A,)``.
        issue_ids: Issue ids, shape ``(I,)``.
        position: Ideal points, ``(A, I)``; NaN where an actor has no position.
        salience: Salience in [0, 1], ``(A, I)``; 0 where an actor has no position.
        capability: Capability, ``(A, I)``; 0 where an actor has no position.
        present: Whether the actor has a position on the issue, ``(A, I)``.
        status_quo: Reference point per issue, ``(I,)``; NaN where none is given.
        scale_min: Lower end of each issue's scale, ``(I,)``.
        scale_max: Upper end of each issue's scale, ``(I,)``.
        position_low, position_high, salience_low, salience_high, capability_low,
        capability_high, status_quo_low, status_quo_high: Uncertainty ranges (equal to the
            value where the case gives no range).
    """

    actor_ids: tuple[str, ...]
    issue_ids: tuple[str, ...]
    position: F
    salience: F
    capability: F
    present: NDArray[np.bool_]
    status_quo: F
    scale_min: F
    scale_max: F
    position_low: F
    position_high: F
    salience_low: F
    salience_high: F
    capability_low: F
    capability_high: F
    status_quo_low: F
    status_quo_high: F

    @property
    def n_actors(self) -> int:
        """Number of actors ``A``."""
        return len(self.actor_ids)

    @property
    def n_issues(self) -> int:
        """Number of issues ``I``."""
        return len(self.issue_ids)

    @property
    def weight(self) -> F:
        """Capability x salience, ``(A, I)`` (the weight of the compromise and median models)."""
        return self.capability * self.salience


def case_arrays(case: Case) -> CaseArrays:
    """Convert a validated case into :class:`CaseArrays`.

    Capability on a position overrides the actor's default capability.
    """
    actors = [a.id for a in case.actors]
    issues = [i.id for i in case.issues]
    a_index = {a: k for k, a in enumerate(actors)}
    i_index = {i: k for k, i in enumerate(issues)}
    shape = (len(actors), len(issues))
    nan = np.full(shape, np.nan)
    pos, pos_lo, pos_hi = nan.copy(), nan.copy(), nan.copy()
    sal, sal_lo, sal_hi = (np.zeros(shape) for _ in range(3))
    cap, cap_lo, cap_hi = (np.zeros(shape) for _ in range(3))
    present = np.zeros(shape, dtype=bool)
    default_cap = {a.id: a.capability for a in case.actors}
    for p in case.positions:
        if p.position is None or p.actor not in a_index or p.issue not in i_index:
            continue
        r, c = a_index[p.actor], i_index[p.issue]
        present[r, c] = True
        pos[r, c], pos_lo[r, c], pos_hi[r, c] = p.position.value, p.position.low, p.position.high
        sal[r, c], sal_lo[r, c], sal_hi[r, c] = p.salience.value, p.salience.low, p.salience.high
        capability = p.capability if p.capability is not None else default_cap[p.actor]
        if capability is not None:
            cap[r, c], cap_lo[r, c], cap_hi[r, c] = (
                capability.value,
                capability.low,
                capability.high,
            )
    sq = np.array([i.status_quo.value if i.status_quo else np.nan for i in case.issues])
    sq_lo = np.array([i.status_quo.low if i.status_quo else np.nan for i in case.issues])
    sq_hi = np.array([i.status_quo.high if i.status_quo else np.nan for i in case.issues])
    return CaseArrays(
        actor_ids=tuple(actors),
        issue_ids=tuple(issues),
        position=pos,
        salience=sal,
        capability=cap,
        present=present,
        status_quo=sq,
        scale_min=np.array([i.scale.min for i in case.issues], dtype=float),
        scale_max=np.array([i.scale.max for i in case.issues], dtype=float),
        position_low=pos_lo,
        position_high=pos_hi,
        salience_low=sal_lo,
        salience_high=sal_hi,
        capability_low=cap_lo,
        capability_high=cap_hi,
        status_quo_low=sq_lo,
        status_quo_high=sq_hi,
    )
