"""Figures of one run: throughput and latency percentiles from raw latencies."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile (0..1) of already sorted values, interpolated
    linearly between the two closest ranks (numpy's default); 0 when empty."""
    if not sorted_values:
        return 0.0
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("a fraction between 0 and 1")
    rank = fraction * (len(sorted_values) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


@dataclass(frozen=True)
class Figures:
    """What one scenario measured: successful and failed requests in `seconds`."""

    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    @property
    def flagged(self) -> bool:
        """A run with any error is not a valid measurement."""
        return self.errors > 0

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "flagged": self.flagged}


def figures(latencies: Sequence[float], *, errors: int, seconds: float) -> Figures:
    """Figures from latencies in seconds (all requests, failed ones included)
    measured over `seconds` of wall time."""
    ordered = sorted(latencies)
    count = len(ordered)

    def ms(value: float) -> float:
        return round(value * 1000, 3)

    return Figures(
        requests=count,
        errors=errors,
        seconds=round(seconds, 3),
        rps=round(count / seconds, 1) if seconds > 0 else 0.0,
        p50_ms=ms(percentile(ordered, 0.50)),
        p95_ms=ms(percentile(ordered, 0.95)),
        p99_ms=ms(percentile(ordered, 0.99)),
        mean_ms=ms(sum(ordered) / count) if count else 0.0,
        max_ms=ms(ordered[-1]) if count else 0.0,
    )
