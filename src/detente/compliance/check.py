"""Check a commitment's obligations against event data, period by period.

:func:`check_commitment` measures every obligation's indicator on every dataset given
(each measured on its own; datasets are shown side by side, never merged), and gives each
period a verdict: ``kept`` when the whole measured interval meets the threshold,
``breached`` when none of it does, ``undetermined`` otherwise, ``no data`` when no dataset
covers the period. The period's headline figures come from the indicator's ``source``
dataset when it names one, else from the first dataset given that covers the period; the
``datasets`` list always carries every dataset's own figures, and ``disagreement`` says
when their verdicts differ.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from detente.compliance.measure import EventArrays, Verdict, measure, verdict
from detente.compliance.metrics import MetricsFile, metric_sha256
from detente.compliance.periods import parse_duration, periods
from detente.errors import CaseError, Diagnostic
from detente.ledger.commitment import Commitment, commitment_id

__all__ = [
    "ComplianceReport",
    "DatasetEvents",
    "DatasetFigures",
    "ObligationResult",
    "PeriodResult",
    "check_commitment",
]

MAX_LISTED_EVENTS = 50
"""Event ids listed per period and dataset (the count is always complete)."""


@dataclass
class DatasetEvents:
    """One dataset's events, where they came from, and the days they cover.

    Attributes:
        dataset: Dataset name (a key of the metric's ``datasets``).
        version: Dataset version.
        sha256: Hex SHA-256 of the file.
        events: The events as arrays.
        coverage: First and last day covered (None: nothing).
        record_index: Ledger index of the signed dataset record (None for a plain file).
        source: The file name or ledger it came from.
    """

    dataset: str
    version: str
    sha256: str
    events: EventArrays
    coverage: tuple[dt.date, dt.date] | None
    record_index: int | None = None
    source: str = ""

    @property
    def label(self) -> str:
        """``dataset version``."""
        return f"{self.dataset} {self.version}"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DatasetFigures(_Frozen):
    """One dataset's measurement of one period."""

    dataset: str
    version: str
    coverage: str = Field(description="full, partial or none")
    low: float | None
    best: float | None
    high: float | None = Field(description="None: unbounded (coverage is partial)")
    verdict: Verdict
    events_low: list[str] = Field(description="Ids of events certainly in the period.")
    events_possible: list[str] = Field(description="Ids of events only possibly in it.")
    n_events_low: int
    n_events_possible: int


class PeriodResult(_Frozen):
    """One period of one obligation."""

    start: dt.date
    end: dt.date
    low: float | None
    best: float | None
    high: float | None = Field(description="None: unbounded (coverage is partial)")
    threshold: float
    comparison: str
    verdict: Verdict
    final: bool = Field(description="The period is over by the as-of date.")
    dataset: str | None = Field(description="Which dataset the headline figures are from.")
    disagreement: bool
    datasets: list[DatasetFigures]


class ObligationResult(_Frozen):
    """Every period of one obligation."""

    id: str
    text: str
    metric: str
    metric_sha256: str
    proxy_for: str
    caveat: str
    count: str
    periods: list[PeriodResult]


class ComplianceReport(_Frozen):
    """A compliance check of one commitment."""

    commitment: str = Field(description="The commitment's id (sha256:...).")
    commitment_label: str | None
    commitment_name: str
    committing_party: str
    as_of: dt.date
    datasets: list[dict[str, Any]]
    obligations: list[ObligationResult]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready view (dates as ISO text)."""
        return self.model_dump(mode="json")


def _num(x: float) -> float | None:
    return None if math.isinf(x) else float(x)


def _check_mapping(c: Commitment, mf: MetricsFile, data: list[DatasetEvents]) -> None:
    diags: list[Diagnostic] = []
    for ob in c.obligations:
        ind = ob.indicator
        if ind.metric not in mf.metrics:
            diags.append(
                Diagnostic(
                    f"obligation {ob.id}: indicator metric '{ind.metric}' is not defined",
                    expected="one of " + ", ".join(sorted(mf.metrics)),
                    hint="add it to the metrics file or correct the commitment",
                    code="unknown-metric",
                )
            )
            continue
        try:
            parse_duration(ind.period, f"obligation {ob.id}: period")
        except CaseError as exc:
            diags += exc.items
        for d in data:
            if mf.mapping(ind.metric, d.dataset, d.version) is None:
                mapped = mf.metrics[ind.metric].datasets.get(d.dataset)
                diags.append(
                    Diagnostic(
                        f"metric '{ind.metric}' does not map dataset {d.dataset} version "
                        f"{d.version}",
                        file=d.source or None,
                        expected=(
                            f"{d.dataset} versions {', '.join(mapped.versions)}"
                            if mapped
                            else "datasets " + ", ".join(mf.metrics[ind.metric].datasets)
                        ),
                        hint="add the version (or dataset) to the metric's `datasets:` once "
                        "you have checked its codes mean the same",
                        code="unmapped-dataset",
                    )
                )
    if not data:
        diags.append(Diagnostic("no events given", expected="--events FILE", code="no-events"))
    if diags:
        raise CaseError(f"cannot check commitment {c.id}: {len(diags)} problem(s)", diags)


def _primary(source: str | None, data: list[DatasetEvents]) -> list[int]:
    """Dataset order for the headline figures: the indicator's source first."""
    order = list(range(len(data)))
    if source:
        s = source.replace("@", " ").strip()
        hits = [k for k, d in enumerate(data) if s in (d.dataset, d.label)]
        order = hits + [k for k in order if k not in hits]
    return order


def check_commitment(
    c: Commitment, mf: MetricsFile, data: list[DatasetEvents], as_of: dt.date | None = None
) -> ComplianceReport:
    """Measure every obligation of ``c`` on every dataset, period by period.

    Args:
        c: The commitment.
        mf: The metrics file its indicators name.
        data: The datasets (at least one), each measured on its own.
        as_of: Check up to this day (default: the commitment's end, or today if that is
            sooner); a period still running on that day is not final.

    Raises:
        CaseError: listing every indicator whose metric is not defined, whose period is
            not an ISO 8601 duration, or whose metric does not map a dataset version given.
    """
    _check_mapping(c, mf, data)
    today = dt.datetime.now(dt.UTC).date()
    as_of = as_of or (min(c.end, today) if c.end else today)
    stop = min(c.end, as_of) if c.end else as_of
    results: list[ObligationResult] = []
    for ob in c.obligations:
        ind = ob.indicator
        dur = parse_duration(ind.period)
        if stop < c.start:
            spans: list[tuple[dt.date, dt.date]] = []
        else:
            spans = periods(c.start, stop, dur)
        full = periods(c.start, c.end or max(stop, c.start), dur) if spans else []
        meas = [measure(mf, ind.metric, d.dataset, d.events, spans, d.coverage) for d in data]
        order = _primary(ind.source, data)
        rows: list[PeriodResult] = []
        for k, (a, b) in enumerate(spans):
            figs: list[DatasetFigures] = []
            for d, ms in zip(data, meas, strict=True):
                cov = ms.covered[k]
                if cov == "none":
                    v: Verdict = "no data"
                    lo = be = hi = None
                    low_ids: list[str] = []
                    pos_ids: list[str] = []
                else:
                    v = verdict(float(ms.low[k]), float(ms.high[k]), ind.comparison, ind.threshold)
                    lo, be, hi = _num(ms.low[k]), _num(ms.best[k]), _num(ms.high[k])
                    li, hi_only = ms.events_in(d.events, k)
                    low_ids = [d.events.ids[i] for i in li]
                    pos_ids = [d.events.ids[i] for i in hi_only]
                figs.append(
                    DatasetFigures(
                        dataset=d.dataset,
                        version=d.version,
                        coverage=cov,
                        low=lo,
                        best=be,
                        high=hi,
                        verdict=v,
                        events_low=low_ids[:MAX_LISTED_EVENTS],
                        events_possible=pos_ids[:MAX_LISTED_EVENTS],
                        n_events_low=len(low_ids),
                        n_events_possible=len(pos_ids),
                    )
                )
            head = next((figs[j] for j in order if figs[j].verdict != "no data"), None)
            measured = {f.verdict for f in figs if f.verdict != "no data"}
            natural_end = full[k][1] if k < len(full) else b
            rows.append(
                PeriodResult(
                    start=a,
                    end=b,
                    low=head.low if head else None,
                    best=head.best if head else None,
                    high=head.high if head else None,
                    threshold=ind.threshold,
                    comparison=ind.comparison,
                    verdict=head.verdict if head else "no data",
                    final=natural_end <= as_of and b == natural_end,
                    dataset=f"{head.dataset} {head.version}" if head else None,
                    disagreement=len(measured) > 1,
                    datasets=figs,
                )
            )
        m = mf.metrics[ind.metric]
        results.append(
            ObligationResult(
                id=ob.id,
                text=ob.text,
                metric=ind.metric,
                metric_sha256=metric_sha256(mf, ind.metric),
                proxy_for=m.proxy_for,
                caveat=m.caveat,
                count=m.count,
                periods=rows,
            )
        )
    return ComplianceReport(
        commitment=commitment_id(c),
        commitment_label=c.label,
        commitment_name=c.id,
        committing_party=c.committing_party,
        as_of=as_of,
        datasets=[
            {
                "dataset": d.dataset,
                "version": d.version,
                "sha256": d.sha256,
                "record_index": d.record_index,
                "coverage": [x.isoformat() for x in d.coverage] if d.coverage else None,
                "source": d.source,
            }
            for d in data
        ],
        obligations=results,
    )
