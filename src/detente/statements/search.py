"""Text retrieval for linking statements to the record: tokens and Okapi BM25.

BM25 as in Robertson & Zaragoza (2009), "The Probabilistic Relevance Framework: BM25 and
Beyond", with k1 = 1.2 and b = 0.75 and the non-negative idf ``log(1 + (N - df + 0.5) /
(df + 0.5))``; documents are scored as one sparse-free matrix product per batch of queries.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["BM25", "tokens"]

_TOKEN = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "this",
        "to",
        "was",
        "were",
        "will",
        "with",
        "which",
        "who",
        "not",
    ]
)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens without stop words, crudely stemmed (plural and -ed/-ing)."""
    out = []
    for w in _TOKEN.findall(text.lower()):
        if w in _STOP:
            continue
        for suf in ("ing", "ed", "es", "s"):
            if len(w) > len(suf) + 3 and w.endswith(suf):
                w = w[: -len(suf)]
                break
        out.append(w)
    return out


class BM25:
    """Okapi BM25 over a fixed list of documents (see the module docstring)."""

    def __init__(self, docs: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.vocab: dict[str, int] = {}
        toks = [tokens(d) for d in docs]
        for ts in toks:
            for t in ts:
                self.vocab.setdefault(t, len(self.vocab))
        n, v = len(docs), len(self.vocab)
        tf = np.zeros((n, v))
        for i, ts in enumerate(toks):
            for t in ts:
                tf[i, self.vocab[t]] += 1
        dl = tf.sum(1)
        avg = dl.mean() if n else 1.0
        df = (tf > 0).sum(0)
        self.idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)) if n else np.zeros(0)
        denom = tf + k1 * (1 - b + b * dl[:, None] / max(avg, 1e-9))
        self.weights = np.where(tf > 0, tf * (k1 + 1) / np.maximum(denom, 1e-9), 0.0) * self.idf

    def scores(self, queries: Sequence[str]) -> npt.NDArray[np.float64]:
        """BM25 score of every document for every query, shape ``(queries, docs)``."""
        q = np.zeros((len(queries), len(self.vocab)))
        for i, text in enumerate(queries):
            for t in set(tokens(text)):
                k = self.vocab.get(t)
                if k is not None:
                    q[i, k] = 1.0
        return np.asarray(q @ self.weights.T)

    def best(self, queries: Sequence[str]) -> list[tuple[int, float]]:
        """The best document and its score per query (-1 when there are no documents)."""
        if not self.vocab:
            return [(-1, 0.0)] * len(queries)
        s = self.scores(queries)
        k = s.argmax(1)
        return [(int(i), float(s[j, i])) for j, i in enumerate(k)]
