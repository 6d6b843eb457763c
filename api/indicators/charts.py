"""Small inline SVG charts, server-rendered: no script, a few hundred bytes each."""

from __future__ import annotations

from html import escape

from api.indicators.service import Point

WIDTH, HEIGHT, PAD = 320, 120, 18
COLOURS = ("#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad", "#d35400", "#16a085", "#7f8c8d")


def _scale(values: list[float]) -> float:
    top = max(values, default=0.0)
    return top if top > 0 else 1.0


def chart(months: list[str], points: list[Point], title: str) -> str:
    """Bars for a whole (dimension null) when there is one, else one line per breakdown.
    A suppressed month is drawn as a hollow grey mark, never as zero."""
    wholes = [point for point in points if point.dimension is None]
    if wholes:
        return _bars(months, wholes, title)
    return _lines(months, points, title)


def _frame(title: str, body: str, legend: str = "") -> str:
    return (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT + (14 if legend else 0)}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH}" y2="{HEIGHT - PAD}" stroke="#999"/>'
        f"{body}{legend}</svg>"
    )


def _x(index: int, count: int) -> float:
    return PAD + (index + 0.5) * (WIDTH - PAD) / max(count, 1)


def _y(value: float, top: float) -> float:
    return HEIGHT - PAD - value / top * (HEIGHT - 2 * PAD)


def _bars(months: list[str], points: list[Point], title: str) -> str:
    by_month = {point.period: point for point in points}
    top = _scale([point.value for point in points if point.value is not None])
    width = (WIDTH - PAD) / max(len(months), 1) * 0.7
    body = []
    for index, month in enumerate(months):
        point, x = by_month.get(month), _x(index, len(months))
        if point is not None and point.suppressed:
            body.append(
                f'<rect x="{x - width / 2:.1f}" y="{HEIGHT - PAD - 8}" width="{width:.1f}" height="8" '
                'fill="none" stroke="#999" stroke-dasharray="2"/>'
            )
        elif point is not None and point.value is not None:
            y = _y(point.value, top)
            body.append(
                f'<rect x="{x - width / 2:.1f}" y="{y:.1f}" width="{width:.1f}" '
                f'height="{HEIGHT - PAD - y:.1f}" fill="{COLOURS[0]}"/>'
            )
        if index % 3 == 0:
            body.append(
                f'<text x="{x:.1f}" y="{HEIGHT - 4}" font-size="9" text-anchor="middle">{month[2:]}</text>'
            )
    body.append(f'<text x="2" y="{PAD - 6}" font-size="9">{top:g}</text>')
    return _frame(title, "".join(body))


def _lines(months: list[str], points: list[Point], title: str) -> str:
    dimensions = list(dict.fromkeys(point.dimension or "" for point in points))
    top = _scale([point.value for point in points if point.value is not None])
    body, legend = [], []
    for number, dimension in enumerate(dimensions):
        colour = COLOURS[number % len(COLOURS)]
        by_month = {point.period: point for point in points if (point.dimension or "") == dimension}
        coordinates = []
        for index, month in enumerate(months):
            point = by_month.get(month)
            if point is not None and point.value is not None:
                coordinates.append(f"{_x(index, len(months)):.1f},{_y(point.value, top):.1f}")
        if coordinates:
            body.append(
                f'<polyline points="{" ".join(coordinates)}" fill="none" '
                f'stroke="{colour}" stroke-width="1.5"/>'
            )
            legend.append(
                f'<text x="{PAD + number * 62}" y="{HEIGHT + 10}" font-size="8" fill="{colour}">'
                f"{escape(dimension[:14])}</text>"
            )
    for index, month in enumerate(months):
        if index % 3 == 0:
            body.append(
                f'<text x="{_x(index, len(months)):.1f}" y="{HEIGHT - 4}" font-size="9" '
                f'text-anchor="middle">{month[2:]}</text>'
            )
    body.append(f'<text x="2" y="{PAD - 6}" font-size="9">{top:g}</text>')
    return _frame(title, "".join(body), "".join(legend))
