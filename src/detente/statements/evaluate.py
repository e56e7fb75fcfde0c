"""Cross-validated accuracy of the coder on PLOVER-shaped gold records, and its report.

Stratified k-fold cross-validation (each category split across folds), repeated over
seeds. Inside each training fold the L2 strength is and the fusion weight are
chosen by an inner 3-fold cross-validation on that fold alone
(:func:`detente.statements.coder.fit_fusion`), so no
test sentence ever informs a choice. The rules need no training and nothing of them is
fitted in the folds; but their lexicon was written by developers who had the development
records (or their confusion matrix) in view, so the rules' figure, and every fused one, is
optimistic for unseen sentences (``docs/statements.md`` says which choices saw the file).

Reported per method: top-1 accuracy (mean over the repeats, their range, and a Wilson
95% interval for the accuracy on as many unseen sentences; Wilson 1927), macro-F1 (mean of
per-category F1, a category absent from both gold and predictions skipped), per-category
F1 and the confusion matrix, pooled over the repeats.

Besides the fused coders, one method has no rule argmax in its decision: a multinomial
logistic regression on the rule scores and the embedding, its L2 strength chosen by inner
cross-validation (``learned only``). Its figure does not lean on the lexicon's choices
(the lexicon was written by someone who had read development sentences, which makes the
rules' own figure optimistic); it is the check of what the learned part alone carries.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TypedDict

import numpy as np
import numpy.typing as npt

from detente.statements.coder import (
    _LAMBDAS,
    Logistic,
    _stratified_folds,
    features,
    fit_fusion,
    fit_logistic,
    load_training,
)
from detente.statements.embed import Embedder
from detente.statements.io import CodingInput
from detente.statements.lexicon import CATEGORIES

__all__ = [
    "MethodScores",
    "cross_validate",
    "fit_learned",
    "macro_f1",
    "per_class_f1",
    "report_markdown",
    "wilson_interval",
]

_NONE = len(CATEGORIES)  # index of "cannot determine" in confusion matrices


class MethodScores(TypedDict):
    """Cross-validated figures of one method."""

    method: str
    accuracy: float
    accuracy_per_seed: list[float]
    interval: tuple[float, float]
    macro_f1: float
    per_class_f1: dict[str, float]
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


def per_class_f1(gold: npt.NDArray[np.int64], pred: npt.NDArray[np.int64]) -> dict[str, float]:
    """F1 of each category present in gold or predictions (pooled counts)."""
    out: dict[str, float] = {}
    for c, name in enumerate(CATEGORIES):
        tp = int(((pred == c) & (gold == c)).sum())
        fp = int(((pred == c) & (gold != c)).sum())
        fn = int(((pred != c) & (gold == c)).sum())
        if tp + fp + fn:
            out[name] = 2 * tp / (2 * tp + fp + fn)
    return out


def wilson_interval(accuracy: float, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson's score interval (Wilson 1927) for a proportion observed on ``n`` trials.

    Used for the accuracy on ``n`` unseen sentences: the spread between cross-validation
    repeats measures only the fold assignment, not which sentences were drawn.
    """
    if n <= 0:
        return (0.0, 1.0)
    centre = (accuracy + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * float(np.sqrt(accuracy * (1 - accuracy) / n + z * z / (4 * n * n)))
    return (max(0.0, centre - half), min(1.0, centre + half))


def fit_learned(x: npt.NDArray[np.float64], y: npt.NDArray[np.int64], seed: int = 0) -> Logistic:
    """The logistic model alone, its L2 strength chosen by inner 3-fold CV on (x, y) only."""
    folds = _stratified_folds(y, 3, seed)
    best: tuple[int, float] = (-1, _LAMBDAS[0])
    for lam in _LAMBDAS:
        hits = 0
        for f in folds:
            train = np.setdiff1d(np.arange(len(y)), f)
            hits += int((fit_logistic(x[train], y[train], lam).proba(x[f]).argmax(1) == y[f]).sum())
        if hits > best[0]:
            best = (hits, lam)
    return fit_logistic(x, y, best[1])


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
            interval=wilson_interval(acc, len(y)),
            macro_f1=macro_f1(y, pred_rules),
            per_class_f1=per_class_f1(y, pred_rules),
            confusion=_confusion(y, pred_rules),
            seconds=t_rules,
        )
    )
    # (name, features, fused with the rules?)
    variants: list[tuple[str, npt.NDArray[np.float64], bool]] = [
        ("rules fused with logistic on rule scores", x_rules, True)
    ]
    if embedder is not None:
        t0 = time.perf_counter()
        emb = embedder.encode(texts).astype(np.float64)
        t_emb = time.perf_counter() - t0
        both = np.hstack([x_rules, emb])
        variants.append((f"rules fused with logistic on {embedder.name} embedding", emb, True))
        variants.append(
            (f"rules fused with logistic on rules + {embedder.name} embedding", both, True)
        )
        variants.append(
            (f"learned only: logistic on rule scores + {embedder.name} embedding", both, False)
        )
    else:
        t_emb = 0.0
    for name, x, fused in variants:
        t0 = time.perf_counter()
        per_seed: list[float] = []
        pooled_pred: list[npt.NDArray[np.int64]] = []
        pooled_gold: list[npt.NDArray[np.int64]] = []
        for seed in seeds:
            pred = np.full(len(y), -1, dtype=np.int64)
            for f in _stratified_folds(y, folds, seed):
                train = np.setdiff1d(np.arange(len(y)), f)
                if fused:
                    model = fit_fusion(x_rules[train], x[train], y[train], seed)
                    pred[f] = model.scores(x_rules[f], x[f]).argmax(1)
                else:
                    pred[f] = fit_learned(x[train], y[train], seed).proba(x[f]).argmax(1)
            per_seed.append(float((pred == y).mean()))
            pooled_pred.append(pred)
            pooled_gold.append(y)
        gp, pp = np.concatenate(pooled_gold), np.concatenate(pooled_pred)
        results.append(
            MethodScores(
                method=name,
                accuracy=float(np.mean(per_seed)),
                accuracy_per_seed=per_seed,
                interval=wilson_interval(float(np.mean(per_seed)), len(y)),
                macro_f1=macro_f1(gp, pp),
                per_class_f1=per_class_f1(gp, pp),
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
        f"Stratified {folds}-fold cross-validation, {len(seeds)} repeat(s) with seeds "
        f"{', '.join(str(s) for s in seeds)}; the L2 strength and the fusion weight chosen "
        "inside each training fold by an inner 3-fold cross-validation. Accuracy: the mean "
        "over the repeats, their range, and Wilson's 95% interval for the accuracy on "
        f"{n_records} unseen sentences like these.",
        "",
        "| # | method | top-1 accuracy | range over repeats | Wilson 95% | macro-F1 (pooled) "
        "| seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for k, r in enumerate(results, start=1):
        per = r["accuracy_per_seed"]
        lo, hi = r["interval"]
        lines.append(
            f"| {k} | {r['method']} | {r['accuracy']:.3f} | {min(per):.3f}-{max(per):.3f} | "
            f"{lo:.2f}-{hi:.2f} | {r['macro_f1']:.3f} | {r['seconds']:.1f} |"
        )
    support = [
        sum(row) // max(1, len(results[0]["accuracy_per_seed"])) for row in results[0]["confusion"]
    ]
    lines += [
        "",
        "Per-category F1, pooled over the repeats (columns: the methods above by number):",
        "",
        "| category | sentences | " + " | ".join(str(k) for k in range(1, len(results) + 1)) + " |",
        "|---|---" + "|---" * len(results) + "|",
    ]
    for c, name in enumerate(CATEGORIES):
        cells = [
            f"{r['per_class_f1'][name]:.2f}" if name in r["per_class_f1"] else "·" for r in results
        ]
        lines.append(f"| {name} | {support[c]} | " + " | ".join(cells) + " |")
    best = max(results, key=lambda r: r["accuracy"])
    lines += [
        "",
        f"Confusion matrix of the best method ({best['method']}), pooled over the repeats "
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
