"""How sure? The Monte Carlo sweep: intervals per model and P(verdict) per issue."""

from __future__ import annotations

from typing import Any

from detente.diagnose.rule import verdict_label
from detente.report import charts
from detente.report.format import count, interval_text, num, pct, seconds
from detente.report.sections.base import BriefInputs, Charts, Section, fallback_issue_view

__all__ = ["SWEEP"]


def build_sweep(inputs: BriefInputs, charts_: Charts) -> dict[str, Any] | None:
    """How the sweep ran, then per issue the intervals and the verdict shares."""
    sweep = inputs.sweep
    if sweep is None:
        return None
    views = inputs.issue_views
    draws_text = count(sweep["draws_done"])
    issues = []
    for issue_id, d in sweep["issues"].items():
        view = views.get(issue_id) or fallback_issue_view(issue_id, d["scale"])
        fc = inputs.forecast["issues"].get(issue_id)
        stated = fc["models"] if fc else {}
        rows = []
        for model, m in d["models"].items():
            iv = m["intervals"]
            row: dict[str, Any] = {
                "model": model,
                "median": m["median"],
                "mean": m["mean"],
                "median_text": num(m["median"]),
                "mean_text": num(m["mean"]),
                "stated_text": num(stated[model]["outcome"]) if model in stated else num(None),
                "n": m["n"],
                "n_text": count(m["n"]),
                "range_text": interval_text([m["min"], m["max"]]),
            }
            ok = row["median_text"] != num(None)
            for key in ("50", "80", "95"):
                pair = iv.get(key)
                row[f"i{key}_text"] = interval_text(pair)
                good = row[f"i{key}_text"] != num(None)
                row[f"lo{key}"] = pair[0] if good and pair else None
                row[f"hi{key}"] = pair[1] if good and pair else None
                ok = ok and good
            row["plotted"] = ok
            rows.append(row)
        plotted = [{k: v for k, v in r.items() if k != "plotted"} for r in rows if r["plotted"]]
        p_verdict = d["p_verdict"] or {}
        verdicts: list[dict[str, Any]] = [
            {"code": code, "verdict": verdict_label(code), "p": p, "p_text": pct(p)}
            for code, p in p_verdict.items()
        ]
        sentence, chart = "", None
        if verdicts:
            first, *rest = verdicts
            sentence = f"{first['verdict'].capitalize()} in {first['p_text']} of {draws_text} draws"
            if rest:
                sentence += "; " + "; ".join(f"{v['verdict']} in {v['p_text']}" for v in rest)
            sentence += "."
            chart = charts_.add(
                charts.verdict_chart(
                    f"Diagnosis verdict over {draws_text} draws",
                    [{k: v[k] for k in ("verdict", "p", "p_text")} for v in verdicts],
                )
            )
        issues.append(
            {
                "issue_id": issue_id,
                "question": view["question"],
                "status_quo_text": view["status_quo_text"],
                "rows": rows,
                "chart": charts_.add(charts.interval_chart(view, plotted)) if plotted else None,
                "verdicts": verdicts,
                "verdict_sentence": sentence,
                "verdict_chart": chart,
                "p_deadlock": p_verdict.get("deadlock"),
            }
        )
    return {
        "draws": count(sweep["draws"]),
        "draws_done": draws_text,
        "interrupted": sweep["interrupted"],
        "seed": sweep["seed"],
        "engine": sweep["engine"],
        "workers": sweep["workers"],
        "seconds": seconds(sweep["seconds"]),
        "models": ", ".join(sweep["models"]),
        "n_inputs": len(sweep["inputs"]),
        "bins": sweep["quantiles"].get("bins"),
        "verdict_basis": sweep["verdict_basis"] or "",
        "issues": issues,
    }


SWEEP: Section[dict[str, Any]] = Section(
    "sweep", "How sure?", "sections/sweep.html.j2", build_sweep
)
