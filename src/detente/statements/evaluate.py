"""Cross-validated accuracy of the coder on PLOVER-shaped gold records, and its report.

Stratified k-fold cross-validation (each category split across folds), repeated over
seeds. Inside each training fold the L2 strength is and the fusion weight are
chosen by an inner 3-fold cross-validation on that fold alone
(:func:`detente.statements.coder.fit_fusion`), so no
test sentence ever informs a choice. The rules need no training: their lexicon was written
once from the PLOVER and CAMEO category definitions and is not tuned on the gold records.

Reported per method: top-1 accuracy, macro-F1 (mean of per-category F1, a category absent
from both gold and predictions skipped) and the pooled confusion matrix.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TypedDict

import numpy as np
import numpy.typing as npt

from detente.statements.coder import (
    _stratified_folds,
    features,
    fit_fusion,
    load_training,
)
from detente.statements.embed import Embedder
from detente.statements.io import CodingInput
from detente.statements.lexicon import CATEGORIES

__all__ = ["MethodScores", "cross_validate", "macro_f1", "report_markdown"]

_NONE = len(CATEGORIES)  # index of "cannot determine" in confusion matrices


class MethodScores(TypedDict):
    """Cross-validated figures of one method."""

    method: str
    accuracy: float
    accuracy_per_seed: list[float]
    macro_f1: float
    confusion: list[list[int]]
    seconds: float


def macro_f1(gold: npt.NDArray[np.int64], pred: npt.NDArray[np.int64]) -> float:
    """Mean per-category F1 over the categories present in gold or predictions."""
    f1s = []
    for c in range(len(CATEGORIES)):
        tp = int(((pred == c) & (gold == c)).sum())
        fp = int(((pred == c) & (gold != c)).sum())
        fn = int(((pred != c) & (gold == c)).sum())
        if tp + fp + fn == 0:
            continue
        f1s.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(f1s)) if f1s else 0.0


def _confusion(gold: npt.NDArray[np.int64], pred: npt.NDArray[np.int64]) -> list[list[int]]:
    m = np.zeros((len(CATEGORIES), len(CATEGORIES) + 1), dtype=np.int64)
    np.add.at(m, (gold, pred), 1)
    return [[int(v) for v in row] for row in m]


def cross_validate(
    records: Sequence[CodingInput],
    embedder: Embedder | None,
    folds: int = 5,
    seeds: Sequence[int] = (0, 1, 2),
) -> list[MethodScores]:
    """Cross-validated scores of the rules alone, the embedding alone, and both together.

    Args:
        records: Labelled records (``gold`` set to a PLOVER category).
        embedder: The embedder for the embedding methods (None: rules methods only).
        folds: Number of folds.
        seeds: One cross-validation per seed (different fold assignments).
    """
    recs = [r for r in records if r.gold in CATEGORIES]
    y = np.asarray([CATEGORIES.index(r.gold or "") for r in recs], dtype=np.int64)
    texts = [r.text for r in recs]
    t0 = time.perf_counter()
    x_rules = features(texts, None)
    t_rules = time.perf_counter() - t0
    results: list[MethodScores] = []
    # Rules alone: argmax of the rule scores, "cannot determine" when no cue fired; no
    # training, so every fold gives the same prediction and one pass is the CV figure.
    pred_rules = np.where(x_rules.max(1) > 0, x_rules.argmax(1), _NONE).astype(np.int64)
    acc = float((pred_rules == y).mean())
    results.append(
        MethodScores(
            method="rules (lexicon argmax)",
            accuracy=acc,
            accuracy_per_seed=[acc],
            macro_f1=macro_f1(y, pred_rules),
            confusion=_confusion(y, pred_rules),
            seconds=t_rules,
        )
    )
    variants: list[tuple[str, npt.NDArray[np.float64]]] = [
        ("rules fused with logistic on rule scores", x_rules)
    ]
    if embedder is not None:
        t0 = time.perf_counter()
        emb = embedder.encode(texts).astype(np.float64)
        t_emb = time.perf_counter() - t0
        variants.append((f"rules fused with logistic on {embedder.name} embedding", emb))
        variants.append(
            (
                f"rules fused with logistic on rules + {embedder.name} embedding",
                np.hstack([x_rules, emb]),
            )
        )
    else:
        t_emb = 0.0
    for name, x in variants:
        t0 = time.perf_counter()
        per_seed: list[float] = []
        pooled_pred: list[npt.NDArray[np.int64]] = []
        pooled_gold: list[npt.NDArray[np.int64]] = []
        for seed in seeds:
            pred = np.full(len(y), -1, dtype=np.int64)
            for f in _stratified_folds(y, folds, seed):
                train = np.setdiff1d(np.arange(len(y)), f)
                model = fit_fusion(x_rules[train], x[train], y[train], seed)
                pred[f] = model.scores(x_rules[f], x[f]).argmax(1)
            per_seed.append(float((pred == y).mean()))
            pooled_pred.append(pred)
            pooled_gold.append(y)
        gp, pp = np.concatenate(pooled_gold), np.concatenate(pooled_pred)
        results.append(
            MethodScores(
                method=name,
                accuracy=float(np.mean(per_seed)),
                accuracy_per_seed=per_seed,
                macro_f1=macro_f1(gp, pp),
                confusion=_confusion(gp, pp),
                seconds=time.perf_counter() - t0 + (t_emb if "embedding" in name else t_rules),
            )
        )
    return results


def _matrix_md(conf: list[list[int]]) -> str:
    short = [c[:4] for c in CATEGORIES] + ["none"]
    lines = ["| gold \\ coded | " + " | ".join(short) + " |"]
    lines.append("|---" * (len(short) + 1) + "|")
    for c, row in zip(CATEGORIES, conf, strict=True):
        cells = [str(v) if v else "·" for v in row]
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report_markdown(
    results: Sequence[MethodScores],
    n_records: int,
    folds: int,
    seeds: Sequence[int],
    source: str,
) -> str:
    """The figures section of ``docs/statements.md``, as Markdown."""
    lines = [
        f"Data: {source}, {n_records} labelled records, {len(CATEGORIES)} categories. "
        f"Stratified {folds}-fold cross-validation, seeds {list(seeds)}; the L2 strength "
        "and the fusion weight chosen inside each training fold by an inner 3-fold "
        "cross-validation.",
        "",
        "| method | top-1 accuracy (mean over seeds) | per seed | macro-F1 (pooled) | seconds |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        per = ", ".join(f"{a:.3f}" for a in r["accuracy_per_seed"])
        lines.append(
            f"| {r['method']} | {r['accuracy']:.3f} | {per} | {r['macro_f1']:.3f} | "
            f"{r['seconds']:.1f} |"
        )
    best = max(results, key=lambda r: r["accuracy"])
    lines += [
        "",
        f"Confusion matrix of the best method ({best['method']}), pooled over seeds "
        "(rows: gold; columns: coded, first four letters; `none`: cannot determine):",
        "",
        _matrix_md(best["confusion"]),
    ]
    return "\n".join(lines) + "\n"


BEGIN = "<!-- BEGIN GENERATED: detente statements evaluate -->"
END = "<!-- END GENERATED -->"


def write_report(doc: Path, body: str) -> None:
    """Replace the generated block of ``doc`` (between :data:`BEGIN` and :data:`END`)."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else f"{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{BEGIN}\n{body}{END}{tail}", encoding="utf-8")


def evaluate_file(
    path: str | Path,
    embedder: Embedder | None,
    folds: int = 5,
    seeds: Sequence[int] = (0, 1, 2),
    limit: int | None = None,
) -> tuple[list[MethodScores], int]:
    """Cross-validate on a PLOVER-shaped file (its first ``limit`` records per category)."""
    records = load_training(path)
    if limit is not None:
        kept: list[CodingInput] = []
        seen: dict[str, int] = {}
        for r in records:
            g = r.gold or ""
            if seen.get(g, 0) < limit:
                kept.append(r)
                seen[g] = seen.get(g, 0) + 1
        records = kept
    return cross_validate(records, embedder, folds, seeds), len(records)
