"""Public indicators: the service's adoption and usefulness figures, aggregated
daily from live data into small tables, published only as suppressed aggregates."""
