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
from scipy import sparse  # type: ignore[import-untyped]

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
    """Okapi BM25 over a fixed list of documents (see the module docstring).

    The document weights are a sparse matrix (documents x vocabulary), so a record of many
    items costs memory in proportion to its words, not to items times vocabulary.
    """

    def __init__(self, docs: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        for i, d in enumerate(docs):
            for t in tokens(d):
                rows.append(i)
                cols.append(self.vocab.setdefault(t, len(self.vocab)))
        n, v = len(docs), len(self.vocab)
        tf = sparse.csr_matrix(
            (
                np.ones(len(rows)),
                (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)),
            ),
            shape=(n, v),
        )
        tf.sum_duplicates()
        dl = np.asarray(tf.sum(1)).ravel()
        avg = float(dl.mean()) if n else 1.0
        df = np.bincount(tf.indices, minlength=v)
        self.idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)) if n else np.zeros(0)
        coo = tf.tocoo()
        denom = coo.data + k1 * (1 - b + b * dl[coo.row] / max(avg, 1e-9))
        data = coo.data * (k1 + 1) / denom * self.idf[coo.col]
        self.weights_t = sparse.csr_matrix((data, (coo.col, coo.row)), shape=(v, n))

    def scores(self, queries: Sequence[str]) -> npt.NDArray[np.float64]:
        """BM25 score of every document for every query, shape ``(queries, docs)``."""
        rows: list[int] = []
        cols: list[int] = []
        for i, text in enumerate(queries):
            for k in {self.vocab.get(t) for t in tokens(text)}:
                if k is not None:
                    rows.append(i)
                    cols.append(k)
        q = sparse.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(len(queries), len(self.vocab))
        )
        return np.asarray((q @ self.weights_t).toarray())

    def best(self, queries: Sequence[str]) -> list[tuple[int, float]]:
        """The best document and its score per query (-1 when there are no documents)."""
        if not self.vocab:
            return [(-1, 0.0)] * len(queries)
        s = self.scores(queries)
        k = s.argmax(1)
        return [(int(i), float(s[j, i])) for j, i in enumerate(k)]
