"""Parse KTAB reference runs (the 'History of ...' tables KTAB prints at the end)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


def position_history(path: Path, actors: list[str], dims: list[str]) -> NDArray[np.float64]:
    """``(T+1, A, D)`` positions as KTAB printed them (0-100 scale, 1 decimal)."""
    text = path.read_text(encoding="utf-8")
    out: list[list[list[float]]] = []
    for a in actors:
        rows = []
        for d in dims:
            m = re.search(rf"^{re.escape(a)}, {re.escape(d)}:((?:\s+[-\d.]+)+)", text, re.M)
            assert m is not None, (a, d)
            rows.append([float(x) for x in m.group(1).split()])
        out.append(rows)
    return np.transpose(np.array(out), (2, 0, 1))


def win_history(path: Path, actors: list[str]) -> NDArray[np.float64]:
    """``(T+1, A)`` winning probabilities as KTAB printed them (4 decimals)."""
    text = path.read_text(encoding="utf-8")
    rows = []
    for a in actors:
        m = re.search(rf"^{re.escape(a)}, prob :((?:\s+[\d.]+)+)", text, re.M)
        assert m is not None, a
        rows.append([float(x) for x in m.group(1).split()])
    return np.array(rows).T
