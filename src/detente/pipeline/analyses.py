"""Run every analysis the brief shows, for any case: the shared core of ``brief`` and ``demo``.

:func:`analyse` runs, on one case, the forecast (with rounds), the deadlock diagnosis,
a Monte Carlo sweep, a tornado, an intervention search per issue for the case's
mediators, the what-if files given, and reads the case's guarantees from a ledger when
one is given. Each part can be left out (:class:`BriefOptions`); the brief says which
were and why. Draws and seeds default to :mod:`detente.uncertainty.defaults`, the same
as ``detente sweep`` and ``detente interventions``, so the same question gets the same
figure from the CLI and from the brief.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from detente.case.checks import did_you_mean
from detente.case.model import Case
from detente.diagnose import Diagnosis, diagnose
from detente.errors import Diagnostic
from detente.forecast import forecast as run_forecast
from detente.forecast.run import Forecast
from detente.pipeline.guarantees import guarantees_from_ledger
from detente.pipeline.records import GuaranteeRecord
from detente.report.brief import build_brief
from detente.report.sections import Provenance
from detente.uncertainty.defaults import DEFAULT_DRAWS, DEFAULT_ROBUSTNESS_DRAWS, DEFAULT_SEED
from detente.uncertainty.errors import UncertaintyError
from detente.uncertainty.interventions import InterventionResult, search_interventions
from detente.uncertainty.results import SkippedSearchDict
from detente.uncertainty.sampling import input_space
from detente.uncertainty.sensitivity import TornadoResult, tornado
from detente.uncertainty.sweep import SweepResult, run_sweep
from detente.uncertainty.whatif import WhatIfResult, load_whatif, run_whatif

__all__ = [
    "PARTS",
    "SENSITIVITY_MODEL",
    "Analyses",
    "BriefOptions",
    "Part",
    "analyse",
    "file_sha256",
    "intervention_actors",
    "write_brief",
]

PARTS = ("diagnosis", "sweep", "sensitivity", "interventions", "whatif", "guarantees")
"""The parts of the brief beyond the forecast, each with a ``--no-PART`` flag."""

SENSITIVITY_MODEL = "bdm"
"""The model the tornado varies by default: the one the deadlock diagnosis rests on."""

SWEEP_ENGINE = "local"
"""The brief's sweep runs in this process."""


@dataclass(frozen=True)
class BriefOptions:
    """What to run for a brief.

    Attributes:
        models: Models (default: the forecast's defaults plus bdm and smp for the
            forecast, so the brief has round-by-round paths; the sweep's own defaults,
            as ``detente sweep``, for the sweep).
        diagnosis: Run the deadlock diagnosis.
        sweep: Run the Monte Carlo sweep.
        sensitivity: Run the tornado.
        interventions: Search interventions for the mediators.
        draws: Sweep draws.
        seed: Seed of the sweep and of the robustness draws.
        robustness_draws: Draws each intervention is tested on.
        by: Whose levers the search moves (default: the case's mediators).
        whatifs: What-if files to run.
        ledger: A ledger to read the case's guarantees from.
    """

    models: tuple[str, ...] | None = None
    diagnosis: bool = True
    sweep: bool = True
    sensitivity: bool = True
    interventions: bool = True
    draws: int = DEFAULT_DRAWS
    seed: int = DEFAULT_SEED
    robustness_draws: int = DEFAULT_ROBUSTNESS_DRAWS
    by: tuple[str, ...] | None = None
    whatifs: tuple[pathlib.Path, ...] = ()
    ledger: str | None = None


@dataclass
class Part:
    """One part of the brief and what became of it.

    Attributes:
        name: One of :data:`PARTS`.
        status: ``included``, ``left out`` (asked for) or ``skipped`` (does not apply).
        detail: What it found, or why it is not there.
    """

    name: str
    status: str
    detail: str = ""

    @property
    def included(self) -> bool:
        """Whether the part's output is in the brief."""
        return self.status == "included"


@dataclass
class Analyses:
    """The results of every part run on one case."""

    case: Case
    forecast: Forecast
    provenance: Provenance
    diagnosis: Diagnosis | None = None
    sweep: SweepResult | None = None
    tornado: TornadoResult | None = None
    interventions: list[InterventionResult | SkippedSearchDict] | None = None
    whatifs: list[WhatIfResult] | None = None
    guarantees: list[GuaranteeRecord] | None = None
    parts: list[Part] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)
    """Results for the sections of other packages, by section id (compliance, statements)."""

    def left_out(self) -> dict[str, str]:
        """Part name -> why it is not in the brief."""
        return {p.name: p.detail for p in self.parts if not p.included}

    def brief(self) -> str:
        """The HTML brief of these results."""
        return build_brief(
            self.case,
            self.forecast,
            diagnosis=self.diagnosis,
            sweep=self.sweep,
            tornado=self.tornado,
            interventions=self.interventions,
            whatifs=self.whatifs,
            guarantees=self.guarantees,
            provenance=self.provenance,
            left_out=self.left_out(),
            extra=self.extra,
        )


DEFAULT_BRIEF_MODELS = ("compromise", "median", "nash", "bdm", "smp")
"""The forecast models of a full brief: the defaults, plus bdm and smp for their rounds."""


def file_sha256(path: pathlib.Path) -> str:
    """SHA-256 of a file's bytes, hex (read in blocks: bounded memory)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def intervention_actors(case: Case) -> list[str]:
    """Whose levers the search moves by default: the case's mediators.

    For the flagship Istanbul case these are Türkiye and Qatar (``TUR``, ``QAT``): the
    mediator's question is what they could change to take an issue out of deadlock.
    """
    return [a.id for a in case.actors if a.role == "mediator"]


def _interventions(
    case: Case, by: Sequence[str], options: BriefOptions
) -> list[InterventionResult | SkippedSearchDict]:
    ids = [a.id for a in case.actors]
    unknown = [a for a in by if a not in ids]
    if unknown:  # a typo is an error, not an issue "not searched"
        raise UncertaintyError(
            f"--by: no actor {', '.join(repr(a) for a in unknown)} in case '{case.case.id}'",
            [
                Diagnostic(
                    f"no actor '{a}' in case '{case.case.id}'",
                    code="unknown-actor",
                    expected="one of: " + ", ".join(ids),
                    hint=did_you_mean(a, ids),
                )
                for a in unknown
            ],
        )
    out: list[InterventionResult | SkippedSearchDict] = []
    for issue in case.issues:
        try:
            out.append(
                search_interventions(
                    case,
                    issue.id,
                    by,
                    robustness_draws=options.robustness_draws,
                    seed=options.seed,
                )
            )
        except UncertaintyError as exc:  # e.g. no mediator holds a position on it
            out.append({"issue": issue.id, "by": list(by), "error": str(exc)})
    return out


def analyse(
    case: Case,
    options: BriefOptions | None = None,
    case_path: str | pathlib.Path | None = None,
    now: dt.datetime | None = None,
) -> Analyses:
    """Run every part of the brief that ``options`` asks for on ``case``.

    Args:
        case: A validated case.
        options: What to run (default: everything but what-ifs and the ledger).
        case_path: The case file, for the brief's provenance (name and SHA-256).
        now: The generation time (default: now, UTC).

    Raises:
        DetenteError: A part got bad input (unknown model, unreadable what-if or
            ledger...): the message says which.
    """
    opts = options or BriefOptions()
    case_path = pathlib.Path(case_path) if case_path is not None else None
    models = list(opts.models or DEFAULT_BRIEF_MODELS)
    when = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    prov = Provenance(
        when,
        case_path.name if case_path is not None else None,
        file_sha256(case_path) if case_path is not None and case_path.is_file() else None,
    )
    res = Analyses(case, run_forecast(case, models, trajectory=True), prov)
    parts: list[Part] = []

    if opts.diagnosis:
        res.diagnosis = diagnose(case)
        parts.append(
            Part(
                "diagnosis",
                "included",
                "; ".join(
                    f"{i}: {d.verdict.replace('_', ' ')}" for i, d in res.diagnosis.issues.items()
                ),
            )
        )
    else:
        parts.append(Part("diagnosis", "left out", "left out with --no-diagnosis"))

    has_ranges = input_space(case).size > 0
    if not opts.sweep:
        parts.append(Part("sweep", "left out", "left out with --no-sweep"))
    elif not has_ranges:
        # Every draw would be the case as stated: a sweep would measure nothing.
        parts.append(
            Part("sweep", "skipped", "the case states no ranges, so there is nothing to sample")
        )
    else:
        # The sweep's own default models unless the user chose: the same as `detente sweep`.
        res.sweep = run_sweep(
            case,
            opts.draws,
            opts.seed,
            models=list(opts.models) if opts.models else None,
            engine=SWEEP_ENGINE,
            workers=1,
        )
        dead = {
            iid: p["deadlock"] for iid, p in (res.sweep.p_verdict or {}).items() if "deadlock" in p
        }
        detail = f"{res.sweep.draws_done:,} draws, seed {res.sweep.seed}"
        if dead:
            detail += "; P(deadlock) " + ", ".join(f"{i} {p:.0%}" for i, p in dead.items())
        parts.append(Part("sweep", "included", detail))

    if not opts.sensitivity:
        parts.append(Part("sensitivity", "left out", "left out with --no-sensitivity"))
    elif not has_ranges:
        parts.append(Part("sensitivity", "skipped", "the case states no ranges"))
    else:
        model = SENSITIVITY_MODEL if SENSITIVITY_MODEL in models else models[0]
        res.tornado = tornado(case, [model])
        parts.append(Part("sensitivity", "included", f"tornado of {model}"))

    by = list(opts.by) if opts.by else intervention_actors(case)
    if not opts.interventions:
        parts.append(Part("interventions", "left out", "left out with --no-interventions"))
    elif not by:
        parts.append(
            Part("interventions", "skipped", "the case names no mediator whose levers to search")
        )
    else:
        res.interventions = _interventions(case, by, opts)
        found = []
        for r in res.interventions:
            if isinstance(r, InterventionResult):
                found.append(f"{r.issue} {len(r.interventions)} found")
            else:
                found.append(f"{r['issue']} not searched")
        parts.append(Part("interventions", "included", f"by {', '.join(by)}: " + "; ".join(found)))

    if opts.whatifs:
        res.whatifs = [run_whatif(case, load_whatif(p), models) for p in opts.whatifs]
        parts.append(Part("whatif", "included", f"{len(res.whatifs)} file(s)"))
    else:
        parts.append(
            Part("whatif", "skipped", "no what-if file given (detente brief --whatif FILE)")
        )

    if opts.ledger is not None:
        res.guarantees = guarantees_from_ledger(opts.ledger, case)
        parts.append(
            Part("guarantees", "included", f"{len(res.guarantees)} for case {case.case.id}")
        )
    else:
        parts.append(Part("guarantees", "skipped", "no ledger given (detente brief --ledger DB)"))
    res.parts = parts
    return res


def write_brief(analyses: Analyses, out: pathlib.Path) -> pathlib.Path:
    """Write the brief of ``analyses`` to ``out`` (an ``.html`` file) and return it."""
    out.write_text(analyses.brief(), encoding="utf-8")
    return out
