"""The load generator's arithmetic and its judgement of answers, on synthetic data."""

from __future__ import annotations

import pytest

from api.bench.load import Request, failure
from api.bench.stats import figures, percentile


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 0.5) == pytest.approx(50.5)
    assert percentile(values, 0.95) == pytest.approx(95.05)
    assert percentile(values, 0.99) == pytest.approx(99.01)
    assert percentile(values, 0.0) == 1.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) == 0.0
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentile(values, 1.5)


def test_figures_in_milliseconds_and_a_run_with_errors_is_flagged() -> None:
    latencies = [0.010] * 90 + [0.100] * 9 + [1.0]  # seconds, unsorted on purpose below
    found = figures(list(reversed(latencies)), errors=2, seconds=2.0)
    assert found.requests == 100
    assert found.rps == 50.0
    assert found.p50_ms == pytest.approx(10.0)
    assert found.p95_ms == pytest.approx(100.0)
    assert found.p99_ms == pytest.approx(100.0 + 0.01 * 900, rel=1e-3)
    assert found.max_ms == pytest.approx(1000.0)
    assert found.flagged
    assert found.as_json()["flagged"] is True
    assert not figures([0.001], errors=0, seconds=1.0).flagged
    empty = figures([], errors=0, seconds=0.0)
    assert (empty.rps, empty.p99_ms) == (0.0, 0.0)


def test_what_counts_as_an_error() -> None:
    query = Request("POST", "/graphql", {})
    deposit = Request("POST", "/graphql", {}, mutation="depositDocument")
    plain = Request("GET", "/healthz", {}, graphql=False)
    assert failure(query, 200, b'{"data": {"patient": {"displayName": "A"}}}') is None
    assert failure(query, 500, b"boom").startswith("HTTP 500")
    assert failure(query, 200, b'{"data": null, "errors": [{"message": "no"}]}').startswith("GraphQL errors")
    assert failure(query, 200, b"<html>").startswith("not JSON")
    assert failure(deposit, 200, b'{"data": {"depositDocument": {"userErrors": []}}}') is None
    refused = b'{"data": {"depositDocument": {"document": null, "userErrors": [{"message": "no"}]}}}'
    assert failure(deposit, 200, refused).startswith("userErrors")
    assert failure(plain, 200, b"ok") is None
