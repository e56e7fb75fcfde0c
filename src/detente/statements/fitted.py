"""The shipped coder's fitted fusion coefficients, stored so that a process need not refit.

The coder (:class:`detente.statements.coder.Coder`) fuses the rules with a multinomial
logistic regression fitted on the PLOVER development half (``data/plover``), its L2
strength and fusion weight chosen by an inner 3-fold cross-validation
(:func:`detente.statements.coder.fit_fusion`). That fit is deterministic in its inputs, so
its result is stored in ``data/plover/fusion-coefficients.json`` beside the training data,
one entry per embedder, and looked up by a **fingerprint** of exactly what the fit reads:
the labels, the rule scores and the model's inputs (the embedding), rounded to 6 decimals
so that the last bit of a float sum does not matter, and the requested ``lambda`` and
``alpha``.
Any change to the training records, the lexicon or the embedder changes the fingerprint;
the stored entry is then not used and the coder refits, as it did before the file existed.
A test refits every stored entry from scratch and checks that the same coefficients come
out (``tests/statements/test_statements_fitted.py``), and another that the stored entries
match the current lexicon, so a stale file cannot pass unnoticed.

Regenerate after changing the lexicon, the training data or the embedder::

    OPENBLAS_NUM_THREADS=1 python -m detente.statements.fitted
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from detente.statements.lexicon import CATEGORIES

__all__ = ["FORMAT", "fingerprint", "fitted_path", "load_fusion", "store_fusions"]

FORMAT = "detente-fusion/v1"
"""The ``format`` field of the coefficients file."""

_FILE = "fusion-coefficients.json"
_NUMBERS = re.compile(r"\[\s+([-0-9.eE+,\s]+?)\s+\]")


def fitted_path() -> Path:
    """Where the coefficients file lives: beside the shipped training data."""
    return Path(__file__).resolve().parents[3] / "data" / "plover" / _FILE


def fingerprint(
    rules: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.int64],
    lam: float | None,
    alpha: float | None,
) -> str:
    """SHA-256 of what a fusion fit reads: labels, rule scores and model inputs, lam, alpha.

    The rule scores count even where the model does not read them: the fusion weight is
    chosen on the fused scores. Values are rounded to 6 decimals.
    """
    h = hashlib.sha256()
    shapes = [list(rules.shape), list(x.shape)]
    h.update(json.dumps([FORMAT, list(CATEGORIES), lam, alpha, shapes]).encode())
    h.update(np.asarray(y, dtype="<i8").tobytes())
    for m in (rules, x):
        # rounding, then adding 0.0, makes -0.0 and 0.0 one value
        h.update((np.round(np.asarray(m, dtype=np.float64), 6) + 0.0).astype("<f8").tobytes())
    return h.hexdigest()


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return []
    fits = doc.get("fits")
    return [f for f in fits if isinstance(f, dict)] if isinstance(fits, list) else []


def load_fusion(key: str, path: Path | None = None) -> Any | None:
    """The stored :class:`~detente.statements.coder.Fusion` whose fingerprint is ``key``.

    Returns None when there is no file, no such entry, or an entry of the wrong shape: the
    caller then fits, exactly as if nothing had been stored.
    """
    from detente.statements.coder import Fusion, Logistic

    for fit in _read(path or fitted_path()):
        if fit.get("fingerprint") != key:
            continue
        try:
            mean = np.asarray(fit["mean"], dtype=np.float64)
            scale = np.asarray(fit["scale"], dtype=np.float64)
            weights = np.asarray(fit["weights"], dtype=np.float64)
            lam, alpha = float(fit["lambda"]), float(fit["alpha"])
        except (KeyError, TypeError, ValueError):
            return None
        d = mean.shape[0]
        if mean.ndim != 1 or scale.shape != (d,) or weights.shape != (d + 1, len(CATEGORIES)):
            return None
        return Fusion(Logistic(mean, scale, weights), lam, alpha)
    return None


def store_fusions(entries: list[dict[str, Any]], path: Path | None = None) -> Path:
    """Write the coefficients file: one entry per fit (see :func:`entry`)."""
    out = path or fitted_path()
    doc = {
        "format": FORMAT,
        "about": (
            "Fitted fusion coefficients of detente's statement coder (see "
            "detente.statements.fitted); derived from plover-gsr-dev.json, CC BY-SA 4.0."
        ),
        "fits": entries,
    }
    text = json.dumps(doc, indent=1)
    # one line per vector or weight row, not one per number: readable diffs, a third the size
    text = _NUMBERS.sub(lambda m: "[" + " ".join(m.group(1).split()) + "]", text)
    out.write_text(text + "\n", encoding="utf-8")
    return out


def entry(fusion: Any, key: str, embedder: dict[str, Any], records: int) -> dict[str, Any]:
    """One stored fit: its fingerprint, provenance and coefficients (floats as repr)."""
    m = fusion.model
    return {
        "fingerprint": key,
        "embedder": embedder,
        "training_records": records,
        "lambda": fusion.lam,
        "alpha": fusion.alpha,
        "mean": [float(v) for v in m.mean],
        "scale": [float(v) for v in m.scale],
        "weights": [[float(v) for v in row] for row in m.weights],
    }


def main() -> None:  # pragma: no cover - a maintenance command, exercised by its test
    """Refit the shipped coder for each stored embedder and write the file."""
    from detente.statements.coder import default_training_path, fit_default
    from detente.statements.embed import describe, model_installed
    from detente.statements.run import make_embedder

    path = default_training_path()
    if path is None:
        raise SystemExit("no data/plover/plover-gsr-dev.json: run from a source checkout")
    names = ["none", "static"] if model_installed() else ["none"]
    entries = []
    for name in names:
        emb = make_embedder(name)
        fusion, key, n = fit_default(emb)
        entries.append(entry(fusion, key, describe(emb), n))
        print(f"{name}: lambda={fusion.lam:g} alpha={fusion.alpha:g} ({key[:12]})")
    print(store_fusions(entries))


if __name__ == "__main__":  # pragma: no cover
    main()
