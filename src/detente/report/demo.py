"""The end-to-end demo: validate a case, forecast it, diagnose it, record a guarantee, brief it.

Diagnosis (``detente.diagnose``) and the ledger guarantee (``detente.ledger.demo``) come
from other capabilities. The demo calls them when their modules are installed and says
plainly which parts it included; it never makes up their results.
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
    "DemoResult",
    "Part",
    "default_case_path",
    "run_demo",
]

DEFAULT_CASE = Path("examples") / "istanbul-2025" / "case.yaml"
"""The flagship case, relative to the repository root."""

DEFAULT_OUT = Path("out") / "istanbul-2025"
DEMO_MODELS = (*DEFAULT_MODELS, "bdm", "smp")
"""The demo runs every built-in bargaining model, so the brief shows round-by-round paths."""
"""Where ``detente demo`` writes when no ``--out`` is given (relative to the current folder)."""


@dataclass
class Part:
    """One optional part of the demo and what became of it.

    Attributes:
        name: ``diagnosis`` or ``guarantee``.
        module: The module that provides it.
        status: ``included``, ``not installed`` or ``failed``.
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
    """

    case_path: Path
    out_dir: Path
    case: Case
    forecast: Forecast
    warnings: list[Diagnostic] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    parts: list[Part] = field(default_factory=list)

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
            lines.append(f"  {role:<10} {path}")
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


def run_demo(
    case_path: str | Path | None = None,
    out_dir: str | Path | None = None,
    models: Sequence[str] | None = None,
) -> DemoResult:
    """Validate, forecast, diagnose, record a guarantee and write the brief.

    Args:
        case_path: The case file (default: the flagship Istanbul case).
        out_dir: Output folder, created if missing (default ``out/istanbul-2025``).
        models: Models to run (default: :data:`DEMO_MODELS`).

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
    res.parts = [diag_part, guar_part]

    forecast_file = out / "forecast.json"
    forecast_file.write_text(_json(result.to_dict()) + "\n", encoding="utf-8")
    res.files["forecast"] = forecast_file
    if diagnosis is not None:
        diag_file = out / "diagnosis.json"
        diag_file.write_text(_json(diagnosis) + "\n", encoding="utf-8")
        res.files["diagnosis"] = diag_file
    if guarantee is not None and guarantee.get("receipt_path"):
        res.files["receipt"] = Path(str(guarantee["receipt_path"])).resolve()
    brief_file = out / "brief.html"
    brief_file.write_text(
        build_brief(case, result, diagnosis=diagnosis, guarantee=guarantee), encoding="utf-8"
    )
    res.files["brief"] = brief_file
    return res
