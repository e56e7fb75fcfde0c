"""Backtests: accuracy of the forecasting models on real negotiations with known outcomes.

The benchmark is DEU III (Arregui & Perarnaud 2021), EU legislative negotiations with
each actor's position and salience, the reference point and the adopted outcome.
"""

from __future__ import annotations

from detente.backtest.capability import CAPABILITY_OPTIONS, capability_table
from detente.backtest.data import Benchmark, benchmark_from_cases, load_benchmark
from detente.backtest.scoring import BacktestResult, run_backtest

__all__ = [
    "CAPABILITY_OPTIONS",
    "BacktestResult",
    "Benchmark",
    "benchmark_from_cases",
    "capability_table",
    "load_benchmark",
    "run_backtest",
]
