"""The flagship demo: the full brief of the Istanbul case, plus an illustrative guarantee.

``detente demo`` is only this: :func:`run_demo` runs :func:`detente.pipeline.analyse` on
the flagship case (or the case given), records the ILLUSTRATIVE guarantee of
:mod:`detente.ledger.demo` in a throwaway ledger **for the flagship case only**, and
writes every result and the brief into one folder. For any other case the brief has the
case's own parts and no guarantee: the flagship's is never pasted into another case.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detente.case.loader import load_case, validate_case_text
from detente.case.model import Case
from detente.compliance.demo import run_demo as run_compliance_demo
from detente.errors import Diagnostic
from detente.pipeline.analyses import Analyses, BriefOptions, Part, analyse
from detente.pipeline.guarantees import demo_guarantee
from detente.report.brief import clean
from detente.report.format import num
from detente.report.sections.base import actor_name
from detente.statements.brief import StatementsSection, statements_section
from detente.statements.io import speaker_actor
from detente.statements.run import check_file

__all__ = [
    "DEFAULT_CASE",
    "DEFAULT_OUT",
    "FLAGSHIP_CASE_ID",
    "DemoResult",
    "default_case_path",
    "run_demo",
]

DEFAULT_CASE = Path("examples") / "istanbul-2025" / "case.yaml"
"""The flagship case, relative to the repository root."""

DEFAULT_OUT = Path("out") / "istanbul-2025"
"""Where ``detente demo`` writes when no ``--out`` is given (relative to the current folder)."""

FLAGSHIP_CASE_ID = "istanbul-2025-round3"
"""The case the demo's illustrative guarantee is written for."""

_FILE_WIDTH = 13  # "interventions", the longest file role


@dataclass
class DemoResult:
    """What the demo did and wrote.

    Attributes:
        case_path: The case file used.
        out_dir: The output folder (absolute).
        analyses: Every result, as the brief shows them.
        warnings: Validation warnings.
        files: Files written, by role (``forecast``, ``brief``, ``diagnosis``...).
    """

    case_path: Path
    out_dir: Path
    analyses: Analyses
    warnings: list[Diagnostic] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def case(self) -> Case:
        """The validated case."""
        return self.analyses.case

    @property
    def parts(self) -> list[Part]:
        """The brief's parts and what became of each."""
        return self.analyses.parts

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
            lines.append(f"  {issue.id}: {issue.question}")
            sq = num(issue.status_quo.value) if issue.status_quo else "–"
            lines.append(f"    {'status quo':<12} {sq}")
            for row in self.analyses.forecast.rows():
                if row["issue"] != issue.id:
                    continue
                if row["outcome"] is None:
                    text = f"– ({row['note']})"
                else:
                    text = num(row["outcome"])
                    if row["anchor_label"]:
                        text += f" ≈ {row['anchor_label']}"
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


def _statements_section(case: Case, file: Path, compliance: Path) -> StatementsSection:
    """The flagship's statements, coded and checked: proposals only, no review."""
    sf, codes, checks = check_file(
        file, case, compliance=[compliance] if compliance.is_file() else []
    )
    speakers = {}
    for st in sf.statements:
        who = speaker_actor(sf, st)
        speakers[st.id] = actor_name(case, who) if who else (st.speaker.outlet or "")
    return statements_section(sf.statements, codes, checks, {}, speakers)


def _json(data: Any) -> str:
    return json.dumps(clean(data), indent=2, ensure_ascii=False)


def default_case_path() -> Path:
    """The flagship case: under the current folder, else beside this source checkout."""
    here = Path.cwd() / DEFAULT_CASE
    if here.is_file():
        return here
    checkout = Path(__file__).resolve().parents[3] / DEFAULT_CASE
    return checkout if checkout.is_file() else here


def run_demo(
    case_path: str | Path | None = None,
    out_dir: str | Path | None = None,
    models: Sequence[str] | None = None,
) -> DemoResult:
    """Run the full brief of the flagship case and write every result into ``out_dir``.

    The parts are :func:`detente.pipeline.analyse`'s, with its defaults (the same draws
    and seeds as ``detente sweep`` and ``detente interventions``). The flagship case
    also gets the illustrative guarantee, recorded in a throwaway ledger in
    ``out_dir``; another case gets none.

    Args:
        case_path: The case file (default: the flagship Istanbul case).
        out_dir: Output folder, created if missing (default ``out/istanbul-2025``).
        models: Models to run (default: those of :class:`BriefOptions`).

    Returns:
        A :class:`DemoResult`; ``result.summary()`` is what ``detente demo`` prints.

    Raises:
        CaseError: If the case file is missing or invalid (every problem listed).
        ModelError: For an unknown model.
    """
    path = Path(case_path) if case_path is not None else default_case_path()
    out = Path(out_dir if out_dir is not None else DEFAULT_OUT).resolve()
    case = load_case(path)
    warnings: list[Diagnostic] = []
    if path.suffix.lower() in (".yaml", ".yml", ".json"):
        _, diags = validate_case_text(path.read_text(encoding="utf-8-sig"), str(path))
        warnings = [d for d in diags if d.severity == "warning"]
    analyses = analyse(case, BriefOptions(models=tuple(models) if models else None), path)
    out.mkdir(parents=True, exist_ok=True)
    res = DemoResult(path, out, analyses, warnings)
    parts = [p for p in analyses.parts if p.name != "guarantees"]
    if case.case.id == FLAGSHIP_CASE_ID:
        g = demo_guarantee(out, case)
        analyses.guarantees = [g]
        ok = g["verification"]["ok"]
        parts.append(
            Part(
                "guarantees",
                "included",
                "illustrative example; verified offline"
                if ok
                else f"illustrative example; NOT verified: {g['verification']['reason']}",
            )
        )
        res.files["receipt"] = out / g["receipt_name"]
        comp = run_compliance_demo(out / "compliance", path)
        section = comp["section"]
        for d in section["datasets"]:  # a brief names files, never the folders they were in
            if isinstance(d.get("source"), str):
                d["source"] = Path(d["source"]).name
        analyses.extra["compliance"] = section
        tally = ", ".join(f"{n} {k}" for k, n in sorted(comp["verdicts"].items()))
        parts.append(
            Part(
                "compliance",
                "included",
                f"illustrative commitment measured on the shipped UCDP GED 23.1 sample: {tally}"
                + ("; a verdict's receipt verified offline" if comp["receipt_verified"] else ""),
            )
        )
        res.files["compliance"] = Path(comp["ledger"])
        said = _statements_section(
            case, path.parent / "statements.yaml", out / "compliance" / "compliance-check.json"
        )
        analyses.extra["statements"] = said
        parts.append(
            Part(
                "statements",
                "included",
                f"{said['total']} statements from the seed, coded and "
                "checked against the case and the compliance record; none reviewed",
            )
        )
    else:
        parts.append(
            Part(
                "guarantees",
                "skipped",
                f"the demo's illustrative guarantee belongs to the flagship case "
                f"({FLAGSHIP_CASE_ID}); give a ledger with `detente brief --ledger DB`",
            )
        )
    analyses.parts = parts

    def write(role: str, data: Any) -> None:
        if data is None:
            return
        p = out / f"{role}.json"
        p.write_text(_json(data) + "\n", encoding="utf-8")
        res.files[role] = p

    write("forecast", analyses.forecast.to_dict())
    write("diagnosis", analyses.diagnosis.to_dict() if analyses.diagnosis else None)
    write("sweep", analyses.sweep.to_dict() if analyses.sweep else None)
    write("sensitivity", analyses.tornado.to_dict() if analyses.tornado else None)
    write(
        "interventions",
        [r if isinstance(r, dict) else r.to_dict() for r in analyses.interventions]
        if analyses.interventions is not None
        else None,
    )
    brief_file = out / "brief.html"
    brief_file.write_text(analyses.brief(), encoding="utf-8")
    res.files["brief"] = brief_file
    return res
