"""The ``diagnose`` command: why a negotiation is stuck, pair by pair and issue by issue."""

from __future__ import annotations

from pathlib import Path

import click

from detente.cli._common import (
    FiniteFloat,
    case_argument,
    case_id_option,
    emit,
    format_option,
    input_format_option,
    load_one,
    render_table,
)
from detente.cli.forecast import parse_params
from detente.diagnose import AGREEMENT_GAP, DEADLOCK_GAP
from detente.errors import ModelError

__all__ = ["commands"]


@click.command(
    short_help="Diagnose deadlocks with the expected-utility model (Scholz et al. 2011)."
)
@case_argument
@click.option(
    "--rounds", type=click.IntRange(min=1), default=None, help="Model rounds (default 8)."
)
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    help="bdm model parameter bdm.NAME=VALUE (repeatable), e.g. bdm.q=0.5.",
)
@click.option(
    "--principals",
    default=None,
    metavar="A,B",
    help="Two actor ids to treat as the principal parties (default: chosen per issue).",
)
@click.option(
    "--deadlock-gap",
    type=FiniteFloat(0.0, 1.0),
    default=DEADLOCK_GAP,
    show_default=True,
    help="Final distance between principals, as a share of the scale, above which: deadlock.",
)
@click.option(
    "--agreement-gap",
    type=FiniteFloat(0.0, 1.0),
    default=AGREEMENT_GAP,
    show_default=True,
    help="Final distance at or below which: agreement likely.",
)
@input_format_option
@case_id_option
@format_option("table", "json")
def diagnose(
    case_file: Path,
    rounds: int | None,
    params: tuple[str, ...],
    principals: str | None,
    deadlock_gap: float,
    agreement_gap: float,
    input_format: str | None,
    case_id: str | None,
    fmt: str,
) -> None:
    """Diagnose deadlocks with the expected-utility model (Scholz et al. 2011).

    For every pair of actors on every issue: the octant as each side sees it and the
    expected utilities behind it; then a verdict per issue (deadlock, compromise
    expected, agreement likely) in plain words. The rule is in docs/diagnosis.md.
    """
    case = load_one(case_file, input_format, case_id)
    parsed = parse_params(params)
    others = [m for m in parsed if m != "bdm"]
    if others:
        raise ModelError(f"--param: diagnose uses the bdm model only, not {', '.join(others)}")
    model_params = dict(parsed.get("bdm", {}))
    if rounds is not None:
        model_params["rounds"] = rounds
    pair = None
    if principals is not None:
        pair = [p.strip() for p in principals.split(",") if p.strip()]
    from detente.diagnose import diagnose as run_diagnose

    result = run_diagnose(
        case,
        principals=pair,
        deadlock_gap=deadlock_gap,
        agreement_gap=agreement_gap,
        **model_params,
    )

    def text() -> list[str]:
        lines = [f"{case.case.title}  ({case_file})"]
        for issue_id, d in result.issues.items():
            lines += ["", f"== {issue_id}: {d.verdict.replace('_', ' ').upper()}", d.explanation]
            rows = [
                {
                    "initiator": p.initiator,
                    "receiver": p.receiver,
                    "eu_initiator": p.eu_initiator,
                    "eu_receiver": p.eu_receiver,
                    "initiator_view": p.octant_initiator_view,
                    "receiver_view": p.octant_receiver_view,
                }
                for p in d.pairs
            ]
            lines.append(render_table(rows))
        for issue_id, why in result.skipped.items():
            lines.append(f"\n== {issue_id}: no diagnosis ({why})")
        return lines

    emit(fmt, result, text=text)


commands = [diagnose]
