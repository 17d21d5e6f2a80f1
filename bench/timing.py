"""Timing helpers the benchmarks share."""
from __future__ import annotations

import statistics
import time


def median_seconds(func, repeat: int = 5) -> float:
    """The median wall time of `repeat` calls."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)
