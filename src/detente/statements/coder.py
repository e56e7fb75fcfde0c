"""Coding what a statement does: PLOVER category, mode, source, target, issue, score, evidence.

The coder fuses the transparent rules (:mod:`detente.statements.rules`) with a multinomial
logistic regression on sentence embeddings (:mod:`detente.statements.embed`; on the 18 rule
scores when there is no embedder): ``rules / max(rules) + alpha * P(model)``
(:class:`Fusion`), trained on labelled sentences (by default the PLOVER gold-standard
development half shipped in ``data/plover``), its L2 strength and ``alpha`` chosen by an
inner cross-validation on the training data only. The default fit is stored in
``data/plover/fusion-coefficients.json`` and used when its fingerprint matches
(:mod:`detente.statements.fitted`), so a process does not refit. Without training data the
rules decide alone (argmax of the rule scores).

Every code carries its evidence: the strongest cue span of the chosen category when the
rules saw one, else the nearest labelled sentence by embedding (id and similarity), and the
probability of the chosen category as its score. A text in a language the lexicons and the
model do not cover is coded ``cannot determine``, never guessed.

Source and target actors come from the statement's speaker and targets when given, else
from the alias table: actors named before the strongest cue are candidate sources, those
after it targets. The issue comes from the statement, else the most similar case issue
(BM25 over the issue's question, anchors and recorded positions) when a case is given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize  # type: ignore[import-untyped]

from detente import boundedjson
from detente.errors import ModelError
from detente.inputs import read_bounded
from detente.statements.embed import Embedder, describe
from detente.statements.io import MAX_FILE_BYTES as MAX_PLOVER_BYTES
from detente.statements.io import CodingInput
from detente.statements.lexicon import CANNOT_DETERMINE, CATEGORIES
from detente.statements.rules import rule_matrix, rule_scores
from detente.statements.search import BM25

__all__ = [
    "SUPPORTED_LANGUAGES",
    "Coder",
    "StatementCode",
    "default_training_path",
    "fit_default",
    "fit_logistic",
    "load_training",
    "model_inputs",
]

SUPPORTED_LANGUAGES = frozenset({"en"})
"""Languages the lexicons and the default model cover."""

_REPO_DATA = Path(__file__).resolve().parents[3] / "data" / "plover" / "plover-gsr-dev.json"
_LAMBDAS = (0.01, 0.1, 1.0, 10.0)
# Fits are deterministic in (embedder, training set, lam, alpha): one per process suffices.
_FITTED: dict[tuple[Any, ...], tuple[Fusion, npt.NDArray[np.float32] | None, str]] = {}


class StatementCode(TypedDict):
    """The code of one statement (the JSON of ``detente statements code``)."""

    id: str
    plover: str
    mode: str | None
    source: str | None
    target: list[str]
    issue: str | None
    score: float
    evidence: dict[str, Any]
    method: str
    alternatives: list[dict[str, Any]]


def default_training_path() -> Path | None:
    """The shipped PLOVER development half, when this is a source checkout."""
    return _REPO_DATA if _REPO_DATA.is_file() else None


def load_training(path: str | Path) -> list[CodingInput]:
    """Labelled sentences from a PLOVER-shaped JSON array (records with ``event``)."""
    from detente.statements.io import read_coding_inputs

    inputs, _ = read_coding_inputs(path)
    return [i for i in inputs if i.gold in CATEGORIES]


def _latin_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(c.isascii() for c in letters) / len(letters)


def language_supported(item: CodingInput) -> bool:
    """Whether the coder may code this text (declared language and script)."""
    base = item.language.split("-")[0].lower()
    return base in SUPPORTED_LANGUAGES and _latin_share(item.text) >= 0.8


@dataclass
class Logistic:
    """A fitted multinomial logistic regression over standardised features."""

    mean: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float64]  # (features + 1, classes)

    def proba(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Class probabilities, one row per sample."""
        z = (x - self.mean) / self.scale
        logits = z @ self.weights[:-1] + self.weights[-1]
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits)
        return np.asarray(p / p.sum(1, keepdims=True))


def fit_logistic(x: npt.NDArray[np.float64], y: npt.NDArray[np.int64], lam: float) -> Logistic:
    """Softmax regression with an L2 penalty ``lam * |W|^2 / 2`` (bias unpenalised), L-BFGS."""
    mean = x.mean(0)
    scale = x.std(0) + 1e-6
    z = (x - mean) / scale
    n, d = z.shape
    k = len(CATEGORIES)
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    za = np.hstack([z, np.ones((n, 1))])

    def loss(w_flat: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
        w = w_flat.reshape(d + 1, k)
        logits = za @ w
        logits -= logits.max(1, keepdims=True)
        lse = np.log(np.exp(logits).sum(1, keepdims=True))
        logp = logits - lse
        penalty = 0.5 * lam * float((w[:-1] ** 2).sum())
        value = -float((onehot * logp).sum()) / n + penalty
        grad = za.T @ (np.exp(logp) - onehot) / n
        grad[:-1] += lam * w[:-1]
        return value, grad.ravel()

    res = minimize(loss, np.zeros((d + 1) * k), jac=True, method="L-BFGS-B")
    return Logistic(mean, scale, np.asarray(res.x).reshape(d + 1, k))


def features(
    texts: Sequence[str], embedder: Embedder | None, rule_weight: float = 1.0
) -> npt.NDArray[np.float64]:
    """Rule scores, then the embedding when there is an embedder."""
    rules = rule_matrix(list(texts)) * rule_weight
    if embedder is None:
        return rules
    emb = embedder.encode(list(texts)).astype(np.float64)
    return np.hstack([rules, emb])


def _stratified_folds(y: npt.NDArray[np.int64], k: int, seed: int) -> list[npt.NDArray[np.int64]]:
    rng = np.random.default_rng(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    offset = 0
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        for j, i in enumerate(idx):
            folds[(offset + j) % k].append(int(i))
        offset += len(idx)
    return [np.asarray(sorted(f), dtype=np.int64) for f in folds]


_ALPHAS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)


def rules_normalised(rules: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Rule scores scaled so that each row's strongest category scores 1 (zeros stay 0)."""
    top = rules.max(1, keepdims=True)
    return np.asarray(rules / np.where(top > 0, top, 1.0))


@dataclass
class Fusion:
    """Late fusion: ``argmax(rules / max(rules) + alpha * P_model)``.

    The rules keep the lead where they see a cue; the learned model breaks ties, overrules
    weak cues when ``alpha`` is large, and decides alone where no cue fired.
    """

    model: Logistic
    lam: float
    alpha: float

    def scores(
        self, rules: npt.NDArray[np.float64], x: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """Fused scores, one row per sample (normalised to sum to 1 per row)."""
        s = rules_normalised(rules) + self.alpha * self.model.proba(x)
        return np.asarray(s / np.maximum(s.sum(1, keepdims=True), 1e-12))


def fit_fusion(
    rules: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.int64],
    seed: int = 0,
    lam: float | None = None,
    alpha: float | None = None,
) -> Fusion:
    """Fit the model on ``x`` and choose ``lam`` and ``alpha`` by inner 3-fold CV on (x, y).

    Nothing outside the given rows is looked at: called on a training fold, the choice
    stays inside it.
    """
    lams = _LAMBDAS if lam is None else (lam,)
    alphas = _ALPHAS if alpha is None else (alpha,)
    if len(lams) * len(alphas) > 1:
        folds = _stratified_folds(y, 3, seed)
        best: tuple[float, float, float] = (-1.0, lams[0], alphas[0])
        for lm in lams:
            proba = np.zeros((len(y), len(CATEGORIES)))
            for f in folds:
                train = np.setdiff1d(np.arange(len(y)), f)
                proba[f] = fit_logistic(x[train], y[train], lm).proba(x[f])
            for al in alphas:
                pred = (rules_normalised(rules) + al * proba).argmax(1)
                acc = float((pred == y).mean())
                if acc > best[0]:
                    best = (acc, lm, al)
        _, lam_c, alpha_c = best
    else:
        lam_c, alpha_c = lams[0], alphas[0]
    return Fusion(fit_logistic(x, y, lam_c), lam_c, alpha_c)


def model_inputs(
    rules: npt.NDArray[np.float64], emb: npt.NDArray[np.floating[Any]] | None
) -> npt.NDArray[np.float64]:
    """The logistic model's inputs: the embedding when there is one, else the rule scores.

    This is method 3 of ``detente statements evaluate`` (the rules fused with a logistic
    model on the embedding; the rules enter through the fusion, not as features) or,
    without an embedder, method 2. The cross-validation in ``docs/statements.md`` measures
    these same variants.
    """
    if emb is None:
        return rules
    return np.asarray(emb, dtype=np.float64)


def _fit_or_load(
    training: Sequence[CodingInput],
    embedder: Embedder | None,
    lam: float | None,
    alpha: float | None,
) -> tuple[Fusion, str, npt.NDArray[np.float32] | None]:
    """The fusion for ``training``: the stored one if its fingerprint matches, else fitted."""
    from detente.statements.fitted import fingerprint, load_fusion

    y = np.asarray([CATEGORIES.index(t.gold or "") for t in training], dtype=np.int64)
    texts = [t.text for t in training]
    rules = rule_matrix(texts)
    emb = embedder.encode(texts) if embedder is not None else None
    x = model_inputs(rules, emb)
    fusion = load_fusion(fingerprint(rules, x, y, lam, alpha))
    if fusion is not None:
        return fusion, "stored", emb
    return fit_fusion(rules, x, y, lam=lam, alpha=alpha), "fitted", emb


def fit_default(embedder: Embedder | None) -> tuple[Fusion, str, int]:
    """Fit (never load) the shipped coder's fusion: ``(fusion, fingerprint, records)``.

    The default training data and the choices by inner cross-validation, as
    :class:`Coder` makes them; used to write and to check the stored coefficients.
    """
    from detente.statements.fitted import fingerprint

    path = default_training_path()
    training = load_training(path) if path is not None else []
    y = np.asarray([CATEGORIES.index(t.gold or "") for t in training], dtype=np.int64)
    texts = [t.text for t in training]
    rules = rule_matrix(texts)
    emb = embedder.encode(texts) if embedder is not None else None
    x = model_inputs(rules, emb)
    return fit_fusion(rules, x, y), fingerprint(rules, x, y, None, None), len(training)


def _alias_pattern(
    aliases: Mapping[str, Sequence[str]],
) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    """One pattern for every actor's id and names (longest first), and name -> actor.

    A name given for two actors refers to the first one listed.
    """
    owner: dict[str, str] = {}
    for actor, names in aliases.items():
        for name in (actor, *names):
            owner.setdefault(name.lower(), actor)
    if not owner:
        return None, owner
    alts = sorted(owner, key=lambda n: (-len(n), n))
    pat = r"(?<![\w])(?:" + "|".join(re.escape(a) for a in alts) + r")(?![\w])"
    return re.compile(pat, re.IGNORECASE), owner


class Coder:
    """Codes statements (see the module docstring).

    Args:
        embedder: Sentence embedder, or None for the rules alone.
        training: Labelled sentences (default: the shipped PLOVER development half, when
            there is one); with an empty list the rules decide alone.
        aliases: Actor id to the names that refer to it in texts.
        issues: Issue id to the text that describes it (question, anchors, positions),
            for coding the issue of a statement that does not name one.
        lam: L2 strength of the logistic model; chosen by inner cross-validation on the
            training data if None.
        alpha: Weight of the model against the rules (see :class:`Fusion`); chosen the
            same way if None.
    """

    def __init__(
        self,
        embedder: Embedder | None = None,
        training: Sequence[CodingInput] | None = None,
        aliases: Mapping[str, Sequence[str]] | None = None,
        issues: Mapping[str, str] | None = None,
        lam: float | None = None,
        alpha: float | None = None,
    ) -> None:
        self.embedder = embedder
        if training is None:
            path = default_training_path()
            training = load_training(path) if path is not None else []
        self.training = list(training)
        self._alias_re, self._alias_owner = _alias_pattern(aliases or {})
        self._issue_ids = list(issues or {})
        self._issue_index = BM25([(issues or {})[i] for i in self._issue_ids])
        self.model: Fusion | None = None
        self._train_emb: npt.NDArray[np.float32] | None = None
        self.coefficients = "none"
        """Where the fusion's coefficients came from: ``stored`` (the shipped file whose
        fingerprint matches), ``fitted`` (fitted in this process) or ``none``."""
        if self.training:
            key = (
                json.dumps(describe(embedder), sort_keys=True),
                tuple((t.id, t.text, t.gold) for t in self.training),
                lam,
                alpha,
            )
            cached = _FITTED.get(key)
            if cached is None:
                fusion, stored, emb = _fit_or_load(self.training, embedder, lam, alpha)
                cached = _FITTED[key] = (fusion, emb, stored)
            self.model, self._train_emb, self.coefficients = cached

    @property
    def method(self) -> str:
        """How codes are decided, for the record."""
        if self.model is None:
            return "rules"
        name = self.embedder.name if self.embedder is not None else "none"
        m = self.model
        return f"rules+{name}+logistic(n={len(self.training)}, lambda={m.lam:g}, alpha={m.alpha:g})"

    def describe(self) -> dict[str, Any]:
        """What the coder is: method, embedder (with its model digests), training size."""
        return {
            "method": self.method,
            "embedder": describe(self.embedder),
            "training": len(self.training),
            "coefficients": self.coefficients,
        }

    def code(self, items: Sequence[CodingInput]) -> list[StatementCode]:
        """Code every item (a batch: one embedding call, one matrix product)."""
        ok = [language_supported(i) for i in items]
        texts = [i.text for i, good in zip(items, ok, strict=True) if good]
        rules = [rule_scores(t) for t in texts]
        proba: npt.NDArray[np.float64] | None = None
        emb: npt.NDArray[np.float32] | None = None
        if self.model is not None and texts:
            rmat = np.asarray([r.scores for r in rules])
            if self.embedder is not None:
                emb = self.embedder.encode(texts)
            proba = self.model.scores(rmat, model_inputs(rmat, emb))
        issue_guess = self._issue_index.best([t for t in texts]) if self._issue_ids else None
        out: list[StatementCode] = []
        j = 0
        for item, good in zip(items, ok, strict=True):
            if not good:
                out.append(self._undetermined(item, "language not covered"))
                continue
            r = rules[j]
            if proba is not None:
                p = proba[j]
            elif r.scores.max() > 0:
                p = r.scores / r.scores.sum()
            else:
                out.append(self._undetermined(item, "no cue matched and no model"))
                j += 1
                continue
            k = int(np.argmax(p))
            cat = CATEGORIES[k]
            evidence: dict[str, Any]
            ev = r.evidence.get(cat)
            if ev is not None:
                evidence = {"kind": "rule", "text": ev.text, "start": ev.start, "end": ev.end}
                evidence["rule"] = ev.rule
                cue_at = ev.start
            else:
                evidence = self._nearest(emb[j] if emb is not None else None)
                cue_at = 0
            source, target = self._actors(item, cue_at)
            issue = item.issue
            if issue is None and issue_guess is not None:
                gi, gs = issue_guess[j]
                if gi >= 0 and gs > 0:
                    issue = self._issue_ids[gi]
            order = np.argsort(-p)[1:3]
            out.append(
                StatementCode(
                    id=item.id,
                    plover=cat,
                    mode=r.modes.get(cat),
                    source=source,
                    target=target,
                    issue=issue,
                    score=round(float(p[k]), 4),
                    evidence=evidence,
                    method=self.method,
                    alternatives=[
                        {"plover": CATEGORIES[int(a)], "score": round(float(p[a]), 4)}
                        for a in order
                    ],
                )
            )
            j += 1
        return out

    def _undetermined(self, item: CodingInput, why: str) -> StatementCode:
        return StatementCode(
            id=item.id,
            plover=CANNOT_DETERMINE,
            mode=None,
            source=item.source,
            target=list(item.target),
            issue=item.issue,
            score=0.0,
            evidence={"kind": "none", "reason": f"{why} (language '{item.language}')"},
            method=self.method,
            alternatives=[],
        )

    def _nearest(self, vec: npt.NDArray[np.float32] | None) -> dict[str, Any]:
        if vec is None or self._train_emb is None:
            return {"kind": "model", "reason": "no cue of this category; the model decided"}
        sims = self._train_emb @ vec
        k = int(np.argmax(sims))
        t = self.training[k]
        return {
            "kind": "nearest",
            "example": t.id,
            "example_code": t.gold,
            "similarity": round(float(sims[k]), 4),
            "text": t.text[:200],
        }

    def _actors(self, item: CodingInput, cue_at: int) -> tuple[str | None, list[str]]:
        source = item.source
        if item.target:
            return source, list(item.target)
        before: list[tuple[int, str]] = []
        after: list[tuple[int, str]] = []
        if self._alias_re is not None:
            for m in self._alias_re.finditer(item.text):
                actor = self._alias_owner[m.group(0).lower()]
                (before if m.start() < cue_at else after).append((m.start(), actor))
        if source is None and before:
            source = min(before)[1]
        target: list[str] = []
        for _, actor in sorted(after) + sorted(before):
            if actor != source and actor not in target:
                target.append(actor)
        return source, target


def gold_json(path: str | Path) -> list[dict[str, Any]]:
    """The raw records of a PLOVER-shaped JSON file (for tests and evaluation)."""
    try:
        raw = read_bounded(path, MAX_PLOVER_BYTES, "PLOVER records file", error=ModelError)
        doc = boundedjson.loads(raw.decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read PLOVER records from {path}: {exc}") from exc
    if not isinstance(doc, list):
        raise ModelError(f"{path}: expected a JSON array of records")
    return [r for r in doc if isinstance(r, dict)]
