"""Export a ledger as static C2SP tlog-tiles.

Layout (tlog-tiles §Tiles): ``checkpoint``; ``tile/<L>/<N>`` hash tiles of height 8 (256
hashes of 32 bytes; level-L tile N holds the tree nodes at level 8L of leaf indexes
[256N, 256N+256)); partial tiles ``tile/<L>/<N>.p/<W>`` with W < 256 hashes; entry bundles
``tile/entries/<N>`` (and ``.p/<W>``) of up to 256 entries, each a big-endian uint16 length
then the entry. ``<N>`` is written in groups of three digits, ``x`` before all but the last
(``x001/x234/067``).
"""

from __future__ import annotations

from pathlib import Path

from detente.errors import StorageError
from detente.ledger.log import Ledger
from detente.ledger.note import checkpoint_of

__all__ = ["encode_index", "export_tiles"]

TILE_WIDTH = 256
TILE_HEIGHT = 8


def encode_index(n: int) -> str:
    """A tile index as path elements: ``1234067`` -> ``x001/x234/067`` (tlog-tiles)."""
    s = str(n)
    pad = (-len(s)) % 3
    s = "0" * pad + s
    groups = [s[i : i + 3] for i in range(0, len(s), 3)]
    return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])


def _tile_path(level: str, n: int, width: int) -> str:
    base = f"tile/{level}/{encode_index(n)}"
    return base if width == TILE_WIDTH else f"{base}.p/{width}"


def export_tiles(ledger: Ledger, out: Path) -> dict[str, int]:
    """Write the tiles for the last signed checkpoint's tree under ``out``.

    Returns:
        Counts: ``{"size", "hash_tiles", "entry_bundles"}``.

    Raises:
        StorageError: if the ledger has no checkpoint.
    """
    try:
        return _export(ledger, out)
    except OSError as exc:
        raise StorageError(f"cannot write tiles under {out}: {exc.strerror or exc}") from exc


def _export(ledger: Ledger, out: Path) -> dict[str, int]:
    note = ledger.cosigned_checkpoint()
    size = checkpoint_of(note).size
    out.mkdir(parents=True, exist_ok=True)
    (out / "checkpoint").write_text(note, encoding="utf-8")
    hash_tiles = 0
    level = 0
    while True:
        # Number of stored nodes at tree level 8*level.
        count = size >> (TILE_HEIGHT * level)
        if count == 0:
            break
        for n in range((count + TILE_WIDTH - 1) // TILE_WIDTH):
            start = n * TILE_WIDTH
            width = min(TILE_WIDTH, count - start)
            data = b"".join(
                ledger.storage.node(TILE_HEIGHT * level, i) for i in range(start, start + width)
            )
            path = out / _tile_path(str(level), n, width)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            hash_tiles += 1
        level += 1
    bundles = 0
    for n in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        start = n * TILE_WIDTH
        width = min(TILE_WIDTH, size - start)
        parts = []
        for _, data, _ in ledger.storage.iter_entries(start, start + width):
            if len(data) > 0xFFFF:
                raise StorageError("entry too large for a tile bundle")
            parts.append(len(data).to_bytes(2, "big") + data)
        path = out / _tile_path("entries", n, width)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"".join(parts))
        bundles += 1
    return {"size": size, "hash_tiles": hash_tiles, "entry_bundles": bundles}
