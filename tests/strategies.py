"""Shared Hypothesis strategies (cf. axelrod's tests/property.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

positions = st.floats(0, 100, allow_nan=False)
weights = st.floats(0.01, 10, allow_nan=False)


@st.composite
def model_inputs(
    draw: st.DrawFn, max_actors: int = 8, max_issues: int = 3
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One draw: positions (1, A, I), weights (1, A, I) > 0, status quo (1, I)."""
    a = draw(st.integers(1, max_actors))
    i = draw(st.integers(1, max_issues))
    p = draw(arrays(np.float64, (1, a, i), elements=positions))
    w = draw(arrays(np.float64, (1, a, i), elements=weights))
    q = draw(arrays(np.float64, (1, i), elements=positions))
    return p, w, q


@st.composite
def batches(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Several draws of the same shape: positions (B, A, I), weights, status quo (B, I)."""
    b = draw(st.integers(1, 6))
    a = draw(st.integers(1, 8))
    i = draw(st.integers(1, 3))
    p = draw(arrays(np.float64, (b, a, i), elements=positions))
    w = draw(arrays(np.float64, (b, a, i), elements=st.floats(0, 10)))
    q = draw(arrays(np.float64, (b, i), elements=positions))
    return p, w, q
