"""The DEU III benchmark as arrays: every scorable issue, actors x issues.

An issue is scorable when it has an observed outcome and at least
:data:`MIN_ACTORS` actors with a position (issue 6). The capability option is applied
per proposal, since Council votes depend on the treaty period of the decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from detente.backtest.capability import capability_table
from detente.case.arrays import case_arrays
from detente.case.formats import read_cases
from detente.case.model import Case
from detente.errors import CaseError
from detente.forecast.registry import ModelInput

__all__ = ["MIN_ACTORS", "Benchmark", "benchmark_from_cases", "load_benchmark"]

F = NDArray[np.float64]

MIN_ACTORS = 3
"""Issues with fewer actors holding a position are skipped."""


@dataclass(frozen=True)
class Benchmark:
    """Scorable DEU III issues as arrays. ``A`` actors, ``N`` issues.

    Attributes:
        actor_ids: DEU actor codes, ``(A,)``.
        issue_ids: Issue ids (``isnr``), ``(N,)``.
        proposal: Proposal number (``prnr``) per issue, ``(N,)``; the bootstrap unit.
        procedure: ``COD`` or ``CNS`` per issue.
        vote: Council voting rule per issue (``QMV``, ``Unan``...).
        position: ``(A, N)``; NaN where the actor has no position.
        salience: ``(A, N)`` in [0, 1]; 0 where no position.
        capability: ``(A, N)``; 0 where no position.
        present: ``(A, N)`` bool.
        status_quo: ``(N,)`` reference point; NaN where the file gives none.
        outcome: ``(N,)`` observed outcome.
        skipped: ``{issue id: reason}`` for the issues left out.
        capability_option: The capability option used.
    """

    actor_ids: tuple[str, ...]
    issue_ids: tuple[str, ...]
    proposal: tuple[str, ...]
    procedure: tuple[str, ...]
    vote: tuple[str, ...]
    position: F
    salience: F
    capability: F
    present: NDArray[np.bool_]
    status_quo: F
    outcome: F
    skipped: dict[str, str]
    capability_option: str = "gdp"

    @property
    def n_issues(self) -> int:
        """Number of scorable issues ``N``."""
        return len(self.issue_ids)

    def model_input(self) -> ModelInput:
        """All issues as one :class:`ModelInput` with a batch of one (issues on the last axis)."""
        pos = np.where(self.present, self.position, 0.0)
        return ModelInput(
            position=pos[None],
            salience=np.where(self.present, self.salience, 0.0)[None],
            capability=np.where(self.present, self.capability, 0.0)[None],
            present=self.present,
            status_quo=self.status_quo[None],
            scale_min=np.zeros(self.n_issues),
            scale_max=np.full(self.n_issues, 100.0),
            actor_ids=self.actor_ids,
            issue_ids=self.issue_ids,
        )

    def subset(self, mask: NDArray[np.bool_]) -> Benchmark:
        """The issues where ``mask`` is true."""
        idx = np.flatnonzero(mask)

        def pick(t: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(t[k] for k in idx)

        return Benchmark(
            actor_ids=self.actor_ids,
            issue_ids=pick(self.issue_ids),
            proposal=pick(self.proposal),
            procedure=pick(self.procedure),
            vote=pick(self.vote),
            position=self.position[:, idx],
            salience=self.salience[:, idx],
            capability=self.capability[:, idx],
            present=self.present[:, idx],
            status_quo=self.status_quo[idx],
            outcome=self.outcome[idx],
            skipped=dict(self.skipped),
            capability_option=self.capability_option,
        )


def benchmark_from_cases(cases: Sequence[Case], capability: str = "gdp") -> Benchmark:
    """Stack DEU III cases (from :func:`detente.case.formats.deu.read_deu`) into arrays.

    Args:
        cases: One case per issue, all with the same actors.
        capability: ``gdp``, ``votes``, ``population`` or ``equal`` (see
            :func:`detente.backtest.capability.capability_table`).

    Raises:
        CaseError: If no issue is scorable or the cases do not share their actors.
    """
    cols: list[dict[str, object]] = []
    skipped: dict[str, str] = {}
    actor_ids: tuple[str, ...] | None = None
    for case in cases:
        issue = case.issues[0]
        arr = case_arrays(case)
        if actor_ids is None:
            actor_ids = arr.actor_ids
        elif arr.actor_ids != actor_ids:
            raise CaseError(f"case {case.case.id}: actors differ from the first case's")
        if issue.outcome is None:
            skipped[issue.id] = "no observed outcome"
            continue
        n_present = int(arr.present[:, 0].sum())
        if n_present < MIN_ACTORS:
            skipped[issue.id] = f"only {n_present} actor(s) with a position"
            continue
        meta = case.extensions.get("deu3", {})
        gdp = {a.id: (a.capability.value if a.capability else 0.0) for a in case.actors}
        table = capability_table(capability, gdp, case.case.end or case.case.start)
        cap = np.array([table[a] for a in arr.actor_ids])
        cols.append(
            {
                "id": issue.id,
                "proposal": str(meta.get("prnr", case.case.id)),
                "procedure": str(meta.get("proc", "")),
                "vote": str(meta.get("counvte", "")),
                "position": arr.position[:, 0],
                "salience": arr.salience[:, 0],
                "capability": np.where(arr.present[:, 0], cap, 0.0),
                "present": arr.present[:, 0],
                "status_quo": arr.status_quo[0],
                "outcome": issue.outcome.value,
            }
        )
    if not cols or actor_ids is None:
        raise CaseError(
            "no scorable DEU III issue (each needs an outcome and 3 actors with a position)"
        )

    def stack(key: str) -> F:
        return np.stack([np.asarray(c[key]) for c in cols], axis=-1)

    return Benchmark(
        actor_ids=actor_ids,
        issue_ids=tuple(str(c["id"]) for c in cols),
        proposal=tuple(str(c["proposal"]) for c in cols),
        procedure=tuple(str(c["procedure"]) for c in cols),
        vote=tuple(str(c["vote"]) for c in cols),
        position=stack("position").astype(float),
        salience=stack("salience").astype(float),
        capability=stack("capability").astype(float),
        present=stack("present").astype(bool),
        status_quo=np.array([float(c["status_quo"]) for c in cols]),  # type: ignore[arg-type]
        outcome=np.array([float(c["outcome"]) for c in cols]),  # type: ignore[arg-type]
        skipped=skipped,
        capability_option=capability,
    )


def load_benchmark(path: str | Path, capability: str = "gdp") -> Benchmark:
    """Read a DEU III file and stack its scorable issues (see :func:`benchmark_from_cases`)."""
    return benchmark_from_cases(read_cases(path, "deu3"), capability)
