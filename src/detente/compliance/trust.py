"""Trust over time: a Beta reputation of each party from its recorded verdicts.

The rule is the beta reputation system of Jøsang, A. & Ismail, R. (2002), "The Beta
Reputation System", *Proc. 15th Bled Electronic Commerce Conference*. Each final verdict
on a period of one of a party's obligations is one observation: ``kept`` adds 1 to ``r``
(positive evidence), ``breached`` adds 1 to ``s``; ``undetermined`` and ``no data`` add
nothing. With a forgetting factor ``λ`` in (0, 1] older evidence fades (paper §4.2):
``r ← λ·r + kept`` and ``s ← λ·s + breached`` at each observation, in period order. The
party's reputation is the Beta(``r + a``, ``s + b``) distribution with prior
Beta(``a``, ``b``) (the paper's prior is the uniform Beta(1, 1)); its mean is the expected
probability that the party keeps the next period, shown with its central 80% interval.

When the same period was judged more than once, the latest verdict in the log counts.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from detente.compliance.verdicts import RecordedVerdict

__all__ = [
    "PartyCredibility",
    "TrustDocument",
    "TrustPoint",
    "TrustSeries",
    "beta_cdf",
    "beta_ppf",
    "credibility",
    "trust_over_time",
]


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz's method)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def beta_cdf(x: float, a: float, b: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    ln = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(ln)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def beta_ppf(q: float, a: float, b: float) -> float:
    """The ``q`` quantile of Beta(a, b), by bisection on :func:`beta_cdf` (1e-12)."""
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if beta_cdf(mid, a, b) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


class TrustPoint(BaseModel):
    """A party's reputation after the observations up to ``date``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: dt.date
    kept: float = Field(description="r: (discounted) periods kept")
    breached: float = Field(description="s: (discounted) periods breached")
    alpha: float
    beta: float
    mean: float
    low80: float
    high80: float
    rating: float = Field(description="Jøsang-Ismail rating (r - s) / (r + s + 2) in [-1, 1]")


class TrustSeries(BaseModel):
    """One party's reputation over time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    party: str
    prior: tuple[float, float]
    forgetting: float
    observations: int
    points: list[TrustPoint]

    @property
    def current(self) -> TrustPoint | None:
        """The latest point (None without any observation)."""
        return self.points[-1] if self.points else None


def _point(date: dt.date, r: float, s: float, a: float, b: float) -> TrustPoint:
    al, be = r + a, s + b
    return TrustPoint(
        date=date,
        kept=r,
        breached=s,
        alpha=al,
        beta=be,
        mean=al / (al + be),
        low80=beta_ppf(0.1, al, be),
        high80=beta_ppf(0.9, al, be),
        rating=(r - s) / (r + s + 2),
    )


def trust_over_time(
    verdicts: Sequence[RecordedVerdict],
    prior: tuple[float, float] = (1.0, 1.0),
    forgetting: float = 1.0,
    by: Sequence[str] | None = None,
) -> list[TrustSeries]:
    """Each party's Beta reputation after each date on which one of its periods ended.

    Args:
        verdicts: Verdicts read from a ledger (:func:`~detente.compliance.verdicts.read_verdicts`).
        prior: ``(a, b)`` of the Beta prior, both > 0 (default: uniform).
        forgetting: ``λ`` in (0, 1]; 1 keeps all evidence at full weight.
        by: Count only verdicts recorded by these actors (default: all).

    Raises:
        ValueError: for a prior or forgetting factor out of range.
    """
    a, b = prior
    if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)):
        raise ValueError(f"prior {prior} must be two finite numbers > 0")
    if not 0 < forgetting <= 1:
        raise ValueError(f"forgetting factor {forgetting} must be in (0, 1]")
    latest: dict[tuple[str, str, str], RecordedVerdict] = {}
    for v in verdicts:
        if by is not None and v.by not in by:
            continue
        key = (v.commitment, str(v.payload.get("obligation")), v.payload["period"]["start"])
        if key not in latest or v.index > latest[key].index:
            latest[key] = v
    per_party: dict[str, list[tuple[dt.date, bool]]] = {}
    for v in latest.values():
        if v.kind in ("fulfilled", "breached") and v.payload.get("final"):
            per_party.setdefault(v.party, []).append((v.period_end, v.kind == "fulfilled"))
        else:
            per_party.setdefault(v.party, [])
    out: list[TrustSeries] = []
    for party in sorted(per_party):
        obs = sorted(per_party[party])
        r = s = 0.0
        points: list[TrustPoint] = []
        for k, (date, kept) in enumerate(obs):
            r, s = forgetting * r + kept, forgetting * s + (not kept)
            if k + 1 == len(obs) or obs[k + 1][0] != date:
                points.append(_point(date, r, s, a, b))
        out.append(
            TrustSeries(
                party=party,
                prior=(a, b),
                forgetting=forgetting,
                observations=len(obs),
                points=points,
            )
        )
    return out


class PartyCredibility(BaseModel):
    """One party's current reputation in a trust file (all None without observations)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    observations: int = Field(ge=0)
    kept: float | None = Field(default=None, ge=0.0)
    breached: float | None = Field(default=None, ge=0.0)
    mean: float | None = Field(ge=0.0, le=1.0)
    low80: float | None = Field(ge=0.0, le=1.0)
    high80: float | None = Field(ge=0.0, le=1.0)
    as_of: dt.date | None


class TrustDocument(BaseModel):
    """A ``detente.trust/v1`` file: what ``detente trust LEDGER --out FILE`` writes.

    A case takes it as an input (``trust: {file: ...}``, docs/case-format.md): each party's
    ``mean`` is the Beta reputation expectation E = (r + a) / (r + s + a + b), with the
    uniform prior (r + 1) / (r + s + 2) (Jøsang & Ismail 2002), read as the probability
    that the party keeps a promise, and ``low80``/``high80`` as its range.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    format: Literal["detente.trust/v1"]
    rule: str
    prior: tuple[float, float]
    forgetting: float = Field(gt=0.0, le=1.0)
    parties: dict[str, PartyCredibility]


def credibility(series: Sequence[TrustSeries]) -> dict[str, Any]:
    """A ``detente.trust/v1`` document: each party's current reputation, for case inputs.

    ``parties.<actor>.mean`` is the expected probability that the party keeps its next
    period; models and what-if files can read it as the credibility of its promises.
    """
    parties: dict[str, Any] = {}
    for s in series:
        p = s.current
        parties[s.party] = (
            {"observations": 0, "mean": None, "low80": None, "high80": None, "as_of": None}
            if p is None
            else {
                "observations": s.observations,
                "kept": p.kept,
                "breached": p.breached,
                "mean": p.mean,
                "low80": p.low80,
                "high80": p.high80,
                "as_of": p.date.isoformat(),
            }
        )
    prior = series[0].prior if series else (1.0, 1.0)
    lam = series[0].forgetting if series else 1.0
    doc = TrustDocument.model_validate(
        {
            "format": "detente.trust/v1",
            "rule": "beta reputation, Jøsang & Ismail (2002)",
            "prior": list(prior),
            "forgetting": lam,
            "parties": parties,
        }
    )
    return doc.model_dump(mode="json")
