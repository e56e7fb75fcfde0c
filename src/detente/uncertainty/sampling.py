"""The uncertain inputs of a case and how to sample them.

Every number of a case file that states a range ``[low, high]`` becomes one uncertain
input. Its distribution is the one the case names, by default PERT:

* ``pert``: a beta distribution on ``[low, high]`` with mode at the stated value and
  shape ``alpha = 1 + 4 (m - a) / (b - a)``, ``beta = 1 + 4 (b - m) / (b - a)``
  (Malcolm, Roseboom, Clark & Fazar 1959, "Application of a technique for research and
  development program evaluation", Operations Research 7(5); the "lambda = 4" form in
  Vose 2008, *Risk Analysis*, 3rd ed., sec. 9.1.5). Mean ``(a + 4m + b) / 6``.
* ``triangular``: low, mode at the stated value, high (Vose 2008, sec. 9.1.6).
* ``uniform``: flat on ``[low, high]``; the stated value is ignored.

An actor-level capability with a range is one input that applies to every issue the
actor has a position on (unless a position overrides it): the same ability, not an
independent draw per issue. A position-level capability is its own input.

Two ways to draw: :meth:`InputSpace.sample` (Monte Carlo, from a
:class:`numpy.random.Generator` passed in) and :meth:`InputSpace.from_unit` (maps points
of the unit cube through each inverse CDF; used by the Sobol design).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from detente.case.arrays import CaseArrays, case_arrays
from detente.case.model import Case, Estimate
from detente.forecast.registry import ModelInput

__all__ = ["InputKind", "InputSpace", "UncertainInput", "input_space"]

F = NDArray[np.float64]
I64 = NDArray[np.int64]
InputKind = Literal["position", "salience", "capability", "status_quo"]

_DIST_CODE = {"pert": 0, "triangular": 1, "uniform": 2}


@dataclass(frozen=True)
class UncertainInput:
    """One number of the case with a range.

    Attributes:
        name: Stable label, ``kind:actor:issue`` (``capability:actor`` for an actor-level
            capability, ``status_quo:issue`` for a status quo).
        kind: ``position``, ``salience``, ``capability`` or ``status_quo``.
        actor: Actor id, or None for a status quo.
        issue: Issue id, or None for an actor-level capability.
        low: Lower end of the range.
        value: The stated value (mode of PERT and triangular).
        high: Upper end of the range.
        distribution: ``pert``, ``triangular`` or ``uniform``.
        cells: ``(actor index, issue index)`` cells it sets (issue index only for a
            status quo, actor index -1).
    """

    name: str
    kind: InputKind
    actor: str | None
    issue: str | None
    low: float
    value: float
    high: float
    distribution: str
    cells: tuple[tuple[int, int], ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready description."""
        return {
            "name": self.name,
            "kind": self.kind,
            "actor": self.actor,
            "issue": self.issue,
            "value": self.value,
            "range": [self.low, self.high],
            "distribution": self.distribution,
        }


@dataclass(frozen=True)
class InputSpace:
    """The uncertain inputs of a case, with the arrays they perturb.

    Attributes:
        arrays: The case as arrays (stated values).
        inputs: The uncertain inputs, in a stable order (case file order).
        low, mode, high: ``(P,)`` range ends and stated values.
        dist: ``(P,)`` distribution codes (0 pert, 1 triangular, 2 uniform).
        target: ``(K,)`` kind code per assigned cell (0 position, 1 salience,
            2 capability, 3 status quo).
        source: ``(K,)`` input index per assigned cell.
        actor_index, issue_index: ``(K,)`` the cell.
    """

    arrays: CaseArrays
    inputs: tuple[UncertainInput, ...]
    low: F
    mode: F
    high: F
    dist: I64
    target: I64
    source: I64
    actor_index: I64
    issue_index: I64

    @property
    def size(self) -> int:
        """Number of uncertain inputs ``P``."""
        return len(self.inputs)

    @property
    def names(self) -> list[str]:
        """Input names in order."""
        return [u.name for u in self.inputs]

    def base(self) -> ModelInput:
        """The stated values as a batch of one draw."""
        return ModelInput.from_arrays(self.arrays)

    def sample(self, rng: np.random.Generator, n: int) -> F:
        """``(n, P)`` Monte Carlo draws of every input.

        Draws come from ``rng`` alone, in a fixed order (one block of uniforms, then one
        block of beta variates), so the same generator state gives the same draws.
        """
        p = self.size
        u = rng.random((n, p))
        span = self.high - self.low
        with np.errstate(invalid="ignore", divide="ignore"):
            alpha = np.where(span > 0, 1.0 + 4.0 * (self.mode - self.low) / span, 1.0)
            beta = np.where(span > 0, 1.0 + 4.0 * (self.high - self.mode) / span, 1.0)
        z = rng.beta(alpha, beta, size=(n, p))
        out = self._closed_form_ppf(u)
        is_pert = self.dist == 0
        out[:, is_pert] = (self.low + z * span)[:, is_pert]
        return out

    def from_unit(self, u: F) -> F:
        """Map ``(n, P)`` points of the unit cube through each input's inverse CDF."""
        out = self._closed_form_ppf(u)
        span = self.high - self.low
        is_pert = self.dist == 0
        if is_pert.any():
            with np.errstate(invalid="ignore", divide="ignore"):
                alpha = 1.0 + 4.0 * (self.mode - self.low) / span
                beta = 1.0 + 4.0 * (self.high - self.mode) / span
            # scipy comes with the [sensitivity] extra (SALib needs it); untyped, so Any.
            special: Any = importlib.import_module("scipy.special")
            z = special.betaincinv(alpha[is_pert], beta[is_pert], u[:, is_pert])
            out[:, is_pert] = self.low[is_pert] + z * span[is_pert]
        return out

    def _closed_form_ppf(self, u: F) -> F:
        """Inverse CDF of the triangular and uniform inputs (PERT columns are placeholders)."""
        a, m, b = self.low, self.mode, self.high
        span = b - a
        with np.errstate(invalid="ignore", divide="ignore"):
            cut = np.where(span > 0, (m - a) / span, 0.0)
            left = a + np.sqrt(u * span * (m - a))
            right = b - np.sqrt((1.0 - u) * span * (b - m))
        tri = np.where(u < cut, left, right)
        uni = a + u * span
        out: F = np.where(self.dist == 1, tri, uni)
        return out

    def build(self, values: F, base: ModelInput | None = None) -> ModelInput:
        """A batched :class:`ModelInput` with the inputs set to ``values`` ``(n, P)``.

        Args:
            values: One row per draw, one column per input.
            base: The draw-1 input whose other numbers are kept (default: the stated values).
        """
        base = base if base is not None else self.base()
        n = values.shape[0]
        pos = np.repeat(base.position, n, axis=0)
        sal = np.repeat(base.salience, n, axis=0)
        cap = np.repeat(base.capability, n, axis=0)
        sq = np.repeat(base.status_quo, n, axis=0)
        for code, arr in ((0, pos), (1, sal), (2, cap)):
            sel = self.target == code
            if sel.any():
                arr[:, self.actor_index[sel], self.issue_index[sel]] = values[:, self.source[sel]]
        sel = self.target == 3
        if sel.any():
            sq[:, self.issue_index[sel]] = values[:, self.source[sel]]
        return ModelInput(
            position=pos,
            salience=sal,
            capability=cap,
            present=base.present,
            status_quo=sq,
            scale_min=base.scale_min,
            scale_max=base.scale_max,
            actor_ids=base.actor_ids,
            issue_ids=base.issue_ids,
        )


def _has_range(e: Estimate | None) -> bool:
    return e is not None and e.range is not None and e.range[1] > e.range[0]


def input_space(case: Case) -> InputSpace:
    """Every number of ``case`` that has a range, as an :class:`InputSpace`.

    Numbers without a range (or with ``low == high``) stay at their stated value.
    """
    arr = case_arrays(case)
    a_index = {a: k for k, a in enumerate(arr.actor_ids)}
    i_index = {i: k for k, i in enumerate(arr.issue_ids)}
    inputs: list[UncertainInput] = []

    def add(
        name: str,
        kind: InputKind,
        actor: str | None,
        issue: str | None,
        est: Estimate,
        cells: list[tuple[int, int]],
    ) -> None:
        if not cells:
            return
        inputs.append(
            UncertainInput(
                name=name,
                kind=kind,
                actor=actor,
                issue=issue,
                low=est.low,
                value=est.value,
                high=est.high,
                distribution=est.distribution or "pert",
                cells=tuple(cells),
            )
        )

    for k, issue in enumerate(case.issues):
        if _has_range(issue.status_quo):
            assert issue.status_quo is not None
            add(f"status_quo:{issue.id}", "status_quo", None, issue.id, issue.status_quo, [(-1, k)])
    inherited: dict[str, list[tuple[int, int]]] = {a.id: [] for a in case.actors}
    for p in case.positions:
        if p.position is None or p.actor not in a_index or p.issue not in i_index:
            continue
        cell = (a_index[p.actor], i_index[p.issue])
        if _has_range(p.position):
            assert p.position is not None
            add(f"position:{p.actor}:{p.issue}", "position", p.actor, p.issue, p.position, [cell])
        if _has_range(p.salience):
            add(f"salience:{p.actor}:{p.issue}", "salience", p.actor, p.issue, p.salience, [cell])
        if p.capability is not None:
            if _has_range(p.capability):
                add(
                    f"capability:{p.actor}:{p.issue}",
                    "capability",
                    p.actor,
                    p.issue,
                    p.capability,
                    [cell],
                )
        else:
            inherited[p.actor].append(cell)
    for actor in case.actors:
        if actor.capability is not None and _has_range(actor.capability):
            add(
                f"capability:{actor.id}",
                "capability",
                actor.id,
                None,
                actor.capability,
                inherited[actor.id],
            )

    codes = {"position": 0, "salience": 1, "capability": 2, "status_quo": 3}
    target, source, ai, ii = [], [], [], []
    for n, u in enumerate(inputs):
        for a, i in u.cells:
            target.append(codes[u.kind])
            source.append(n)
            ai.append(max(a, 0))
            ii.append(i)
    return InputSpace(
        arrays=arr,
        inputs=tuple(inputs),
        low=np.array([u.low for u in inputs], dtype=float),
        mode=np.array([u.value for u in inputs], dtype=float),
        high=np.array([u.high for u in inputs], dtype=float),
        dist=np.array([_DIST_CODE[u.distribution] for u in inputs], dtype=np.int64),
        target=np.array(target, dtype=np.int64),
        source=np.array(source, dtype=np.int64),
        actor_index=np.array(ai, dtype=np.int64),
        issue_index=np.array(ii, dtype=np.int64),
    )
