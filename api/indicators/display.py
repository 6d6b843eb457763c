"""How a published value reads, for the terminal table and the page alike."""

from __future__ import annotations

from api.indicators.service import Point

SUPPRESSED = "s"
MISSING = "–"
PROVISIONAL = "*"


def value_text(point: Point | None, unit: str) -> str:
    text = _text(point, unit)
    return text + PROVISIONAL if point is not None and point.provisional and point.value is not None else text


def _text(point: Point | None, unit: str) -> str:
    if point is None or (point.value is None and not point.suppressed):
        return MISSING
    if point.suppressed or point.value is None:
        return SUPPRESSED
    if unit == "percent":
        if point.value == 0:
            return "0 %"
        return f"{point.value:.5f} %" if point.value < 1 else f"{point.value:.1f} %"
    if unit == "days":
        return f"{point.value:g}"
    return f"{int(point.value):,}".replace(",", " ")
