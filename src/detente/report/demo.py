"""The end-to-end demo: validate, forecast, diagnose, sweep, record a guarantee, brief it.

Diagnosis (``detente.diagnose``), the ledger guarantee (``detente.ledger.demo``) and the
uncertainty analyses (``detente.uncertainty``: a Monte Carlo sweep, a tornado, and an
intervention search for the case's mediators) come from other capabilities. The demo
calls them when their modules are installed and says plainly which parts it included; it
never makes up their results.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detente.case.loader import load_case
from detente.case.model import Case
from detente.errors import Diagnostic
from detente.forecast import forecast
from detente.forecast.run import DEFAULT_MODELS, Forecast
from detente.report.brief import _clean, _num, build_brief

__all__ = [
    "DEFAULT_CASE",
    "DEFAULT_OUT",
    "DEMO_MODELS",
    "SWEEP_DRAWS",
    "SWEEP_ENGINE",
    "SWEEP_SEED",
    "ROBUSTNESS_DRAWS",
    "TORNADO_MODEL",
    "DemoResult",
    "Part",
    "default_case_path",
    "intervention_actors",
    "run_demo",
]

DEFAULT_CASE = Path("examples") / "istanbul-2025" / "case.yaml"
"""The flagship case, relative to the repository root."""

DEFAULT_OUT = Path("out") / "istanbul-2025"
"""Where ``detente demo`` writes when no ``--out`` is given (relative to the current folder)."""

DEMO_MODELS = (*DEFAULT_MODELS, "bdm", "smp")
"""The demo runs every built-in bargaining model, so the brief shows round-by-round paths."""

SWEEP_DRAWS = 2000
"""Monte Carlo draws in the demo: enough for stable percentages, well under a second."""

SWEEP_SEED = 2026
"""The demo sweep's seed, so every run of the demo gives the same numbers."""
ROBUSTNESS_DRAWS = 500
"""Draws of the case's ranges on which each intervention is tested (same seed as the sweep)."""

SWEEP_ENGINE = "local"
"""The demo sweep runs in this process (``local`` with one worker)."""

TORNADO_MODEL = "bdm"
"""The model the demo's tornado varies: the one the deadlock diagnosis rests on."""

_FILE_WIDTH = 13  # "interventions", the longest file role


@dataclass
class Part:
    """One optional part of the demo and what became of it.

    Attributes:
        name: ``diagnosis``, ``sweep``, ``sensitivity``, ``interventions`` or ``guarantee``.
        module: The module that provides it.
        status: ``included``, ``not installed``, ``skipped`` (not applicable to this case)
            or ``failed``.
        detail: Why it was left out or how it failed.
    """

    name: str
    module: str
    status: str
    detail: str = ""

    @property
    def included(self) -> bool:
        """Whether the part's output is in the brief."""
        return self.status == "included"


@dataclass
class DemoResult:
    """What the demo did and wrote.

    Attributes:
        case_path: The case file used.
        out_dir: The output folder (absolute).
        case: The validated case.
        forecast: The forecast.
        warnings: Validation warnings.
        files: Files written, by role (``forecast``, ``brief``, ``diagnosis``...).
        parts: The optional parts and their status.
        sweep: The Monte Carlo sweep's ``to_dict()``, when included.
        tornado: The tornado's ``to_dict()``, when included.
        interventions: The intervention searches' ``to_dict()``, one per issue, when
            included.
    """

    case_path: Path
    out_dir: Path
    case: Case
    forecast: Forecast
    warnings: list[Diagnostic] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    parts: list[Part] = field(default_factory=list)
    sweep: dict[str, Any] | None = None
    tornado: dict[str, Any] | None = None
    interventions: list[dict[str, Any]] | None = None

    @property
    def ok(self) -> bool:
        """False when an installed optional part failed."""
        return not any(p.status == "failed" for p in self.parts)

    def summary(self) -> str:
        """A one-screen text summary: where the output is, what is in it, the forecasts."""
        info = self.case.case
        lines = [f"detente demo: {info.title}"]
        when = " – ".join(
            dict.fromkeys(d.isoformat() for d in (info.start, info.end) if d is not None)
        )
        if when or info.place:
            lines.append("  " + " · ".join(x for x in (when, info.place or "") if x))
        lines.append(
            f"  case {self.case_path.resolve()}: valid, {len(self.case.actors)} actors, "
            f"{len(self.case.issues)} issues, {len(self.warnings)} warning(s)"
        )
        lines.append("")
        lines.append("Forecasts (outcome ≈ nearest labelled point):")
        for issue in self.case.issues:
            lines.append(f"  {issue.id}: {_short(issue.question, 70)}")
            sq = f"{_num(issue.status_quo.value)}" if issue.status_quo else "–"
            lines.append(f"    {'status quo':<12} {sq}")
            for row in self.forecast.rows():
                if row["issue"] != issue.id:
                    continue
                if row["outcome"] is None:
                    text = f"– ({row['note']})"
                else:
                    text = _num(row["outcome"])
                    if row["anchor_label"]:
                        text += f" ≈ {_short(str(row['anchor_label']), 50)}"
                lines.append(f"    {row['model']:<12} {text}")
        lines.append("")
        lines.append("Parts:")
        lines.append("  validation, forecast, brief: included")
        for p in self.parts:
            extra = f" ({p.detail})" if p.detail else ""
            lines.append(f"  {p.name}: {p.status}{extra}")
        lines.append("")
        lines.append(f"Output in {self.out_dir}:")
        for role, path in self.files.items():
            lines.append(f"  {role:<{_FILE_WIDTH}} {path}")
        lines.append(f"Open the brief in a browser (works offline): {self.files['brief'].as_uri()}")
        return "\n".join(lines)


def _json(data: Any) -> str:
    return json.dumps(_clean(data), indent=2, ensure_ascii=False)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def default_case_path() -> Path:
    """The flagship case: under the current folder, else beside this source checkout."""
    here = Path.cwd() / DEFAULT_CASE
    if here.is_file():
        return here
    checkout = Path(__file__).resolve().parents[3] / DEFAULT_CASE
    return checkout if checkout.is_file() else here


def _module_available(name: str) -> bool:
    """Whether ``name`` can be imported, without importing it (parents are imported)."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def _to_data(value: Any) -> dict[str, Any]:
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    if not isinstance(value, dict):
        raise TypeError(f"expected a dict or an object with to_dict(), got {type(value).__name__}")
    return value


def _run_part(
    name: str, module: str, attr: str, call: Callable[[Callable[..., Any]], Any]
) -> tuple[Part, dict[str, Any] | None]:
    if not _module_available(module):
        return Part(name, module, "not installed", f"{module} is not available yet"), None
    try:
        fn = getattr(importlib.import_module(module), attr)
        data = _to_data(call(fn))
    except Exception as exc:  # report, do not hide: the demo says this part failed
        return Part(name, module, "failed", f"{type(exc).__name__}: {exc}"), None
    return Part(name, module, "included"), data


def intervention_actors(case: Case) -> list[str]:
    """Whose levers the demo's intervention search may move: the case's mediators.

    For the flagship Istanbul case these are Türkiye and Qatar (``TUR``, ``QAT``): the
    mediator's question is what they could change to take an issue out of deadlock.
    """
    return [a.id for a in case.actors if a.role == "mediator"]


def _pct(p: Any) -> str:
    return f"{float(p) * 100:.0f}%" if isinstance(p, int | float) else "–"


def _sweep_part(case: Case, models: Sequence[str] | None) -> tuple[Part, dict[str, Any] | None]:
    part, data = _run_part(
        "sweep",
        "detente.uncertainty.sweep",
        "run_sweep",
        lambda fn: fn(case, SWEEP_DRAWS, SWEEP_SEED, models=models, engine=SWEEP_ENGINE, workers=1),
    )
    if data is not None:
        detail = (
            f"{data['draws_done']:,} draws, seed {data['seed']}, engine {data['engine']}, "
            f"{data['seconds']:.1f} s"
        )
        dead = {
            iid: d["p_verdict"]["deadlock"]
            for iid, d in data["issues"].items()
            if d.get("p_verdict") and "deadlock" in d["p_verdict"]
        }
        if dead:
            detail += "; P(deadlock) " + ", ".join(f"{i} {_pct(p)}" for i, p in dead.items())
        part.detail = detail
    return part, data


def _tornado_part(case: Case, models: Sequence[str]) -> tuple[Part, dict[str, Any] | None]:
    if _module_available("detente.uncertainty"):
        from detente.uncertainty.sampling import input_space

        if input_space(case).size == 0:
            return Part(
                "sensitivity", "detente.uncertainty", "skipped", "the case states no ranges"
            ), None
    model = TORNADO_MODEL if TORNADO_MODEL in models else models[0]
    part, data = _run_part(
        "sensitivity", "detente.uncertainty.sensitivity", "tornado", lambda fn: fn(case, [model])
    )
    if data is not None:
        tops = []
        for iid, d in data["issues"].items():
            bars = d["models"][model]["bars"]
            if bars and bars[0]["swing"]:
                tops.append(f"{iid} {bars[0]['input']}")
        part.detail = f"tornado of {model}" + (
            f"; largest swing: {', '.join(tops)}" if tops else ""
        )
    return part, data


def _interventions_part(case: Case) -> tuple[Part, list[dict[str, Any]] | None]:
    name, module = "interventions", "detente.uncertainty.interventions"
    by = intervention_actors(case)
    if not by:
        return Part(name, module, "skipped", "the case names no mediator"), None
    if not _module_available("detente.diagnose"):
        return Part(name, module, "not installed", "needs detente.diagnose"), None

    def search(fn: Callable[..., Any]) -> dict[str, Any]:
        from detente.uncertainty.errors import UncertaintyError

        results: list[dict[str, Any]] = []
        for issue in case.issues:
            try:
                results.append(
                    _to_data(
                        fn(case, issue.id, by, robustness_draws=ROBUSTNESS_DRAWS, seed=SWEEP_SEED)
                    )
                )
            except UncertaintyError as exc:  # e.g. no mediator has a position on it
                results.append({"issue": issue.id, "by": by, "error": str(exc)})
        return {"results": results}

    part, data = _run_part(name, module, "search_interventions", search)
    if data is None:
        return part, None
    results: list[dict[str, Any]] = data["results"]
    found = []
    for r in results:
        n = len(r.get("interventions") or [])
        if r.get("error"):
            found.append(f"{r['issue']} not searched")
        elif n:
            found.append(
                f"{r['issue']} {n} found, smallest size {r['interventions'][0]['size']:.2g}"
            )
        else:
            found.append(f"{r['issue']} none")
    part.detail = f"by {', '.join(by)}: " + "; ".join(found)
    return part, results


def run_demo(
    case_path: str | Path | None = None,
    out_dir: str | Path | None = None,
    models: Sequence[str] | None = None,
) -> DemoResult:
    """Validate, forecast, diagnose, sweep, record a guarantee and write the brief.

    The uncertainty parts: a Monte Carlo sweep (:data:`SWEEP_DRAWS` draws, seed
    :data:`SWEEP_SEED`, in this process; the sweep's default models, which include bdm
    so the brief gets P(deadlock), or ``models`` when given), a tornado of
    :data:`TORNADO_MODEL`, and per issue the smallest changes the case's mediators
    (:func:`intervention_actors`) could make to take it out of deadlock.

    Args:
        case_path: The case file (default: the flagship Istanbul case).
        out_dir: Output folder, created if missing (default ``out/istanbul-2025``).
        models: Models to run (default: :data:`DEMO_MODELS` for the forecast, the
            sweep's defaults for the sweep).

    Returns:
        A :class:`DemoResult`; ``result.summary()`` is what ``detente demo`` prints.

    Raises:
        CaseError: If the case file is missing or invalid (every problem listed).
        ModelError: For an unknown model.
    """
    from detente.case.loader import validate_case_text

    path = Path(case_path) if case_path is not None else default_case_path()
    out = Path(out_dir if out_dir is not None else DEFAULT_OUT).resolve()
    case = load_case(path)
    warnings: list[Diagnostic] = []
    if path.suffix.lower() in (".yaml", ".yml", ".json"):
        _, diags = validate_case_text(path.read_text(encoding="utf-8-sig"), str(path))
        warnings = [d for d in diags if d.severity == "warning"]
    result = forecast(case, list(models or DEMO_MODELS), trajectory=True)
    out.mkdir(parents=True, exist_ok=True)
    res = DemoResult(path, out, case, result, warnings)

    diag_part, diagnosis = _run_part(
        "diagnosis", "detente.diagnose", "diagnose", lambda fn: fn(case)
    )
    guar_part, guarantee = _run_part(
        "guarantee", "detente.ledger.demo", "record_demo_guarantee", lambda fn: fn(out, case)
    )
    if diagnosis is not None:
        verdicts = [
            f"{issue_id}: {str(d.get('verdict', '?')).replace('_', ' ')}"
            for issue_id, d in (diagnosis.get("issues") or {}).items()
            if isinstance(d, dict)
        ]
        diag_part.detail = "; ".join(verdicts)
    if guarantee is not None:
        check = guarantee.get("verification") or {}
        guar_part.detail = (
            "illustrative example; verified offline"
            if check.get("ok") is True
            else f"illustrative example; NOT verified: {check.get('reason') or check}"
        )
    sweep_part, res.sweep = _sweep_part(case, models)
    tornado_part, res.tornado = _tornado_part(case, list(models or DEMO_MODELS))
    iv_part, res.interventions = _interventions_part(case)
    res.parts = [diag_part, sweep_part, tornado_part, iv_part, guar_part]

    forecast_file = out / "forecast.json"
    forecast_file.write_text(_json(result.to_dict()) + "\n", encoding="utf-8")
    res.files["forecast"] = forecast_file
    if diagnosis is not None:
        diag_file = out / "diagnosis.json"
        diag_file.write_text(_json(diagnosis) + "\n", encoding="utf-8")
        res.files["diagnosis"] = diag_file
    for role, data in (
        ("sweep", res.sweep),
        ("sensitivity", res.tornado),
        ("interventions", res.interventions),
    ):
        if data is not None:
            path = out / f"{role}.json"
            path.write_text(_json(data) + "\n", encoding="utf-8")
            res.files[role] = path
    if guarantee is not None and guarantee.get("receipt_path"):
        res.files["receipt"] = Path(str(guarantee["receipt_path"])).resolve()
    brief_file = out / "brief.html"
    brief_file.write_text(
        build_brief(
            case,
            result,
            diagnosis=diagnosis,
            guarantee=guarantee,
            sweep=res.sweep,
            tornado=res.tornado,
            interventions=res.interventions,
        ),
        encoding="utf-8",
    )
    res.files["brief"] = brief_file
    return res
