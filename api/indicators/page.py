"""/indicators: the public page, server-rendered with inline SVG charts.

No script and nothing from elsewhere: the page is one light HTML response
(well under 100 KB) readable on a slow mobile connection, under a CSP that
allows only its own inline styles.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.templating import Jinja2Templates

from api.errors import BadUserInput
from api.indicators.charts import chart
from api.indicators.display import value_text
from api.indicators.service import Report, report

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
TEXTS = {
    "fr": {
        "heading": "Indicateurs publics d'Espace Santé",
        "intro": "Chiffres agrégés chaque jour, publiés par mois entiers une fois le mois écoulé. « s » : "
        "moins de {min} cas ou trop peu d'organisations, non publié ; « – » : pas de donnée. Calculés "
        "jusqu'au {through}.",
        "labels": {"from": "Du", "to": "au", "show": "Afficher"},
    },
    "en": {
        "heading": "Espace Santé public indicators",
        "intro": "Figures aggregated daily, published by whole months once over. 's': fewer than {min} or "
        "too few organizations, withheld; '–': no data. Aggregated through {through}.",
        "labels": {"from": "From", "to": "to", "show": "Show"},
    },
}


def _day(request: Request, name: str) -> date | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise BadUserInput(f"`{name}` must be a date, YYYY-MM-DD.") from error


def _blocks(found: Report, lang: str) -> list[dict[str, object]]:
    blocks = []
    for series in found.series:
        definition = series.definition
        title = definition.title_fr if lang == "fr" else definition.title_en
        rows: dict[str | None, dict[str, object]] = {}
        for point in series.points:
            rows.setdefault(point.dimension, {})[point.period] = point
        blocks.append(
            {
                "id": definition.id,
                "title": title,
                "definition": definition.definition_fr if lang == "fr" else definition.definition_en,
                "unit": definition.unit.value,
                "chart": Markup(chart(found.months, series.points, title)),  # noqa: S704 - built from numbers and escaped labels
                "rows": [
                    {
                        "label": dimension or "total",
                        "cells": [
                            value_text(points.get(month), definition.unit.value) for month in found.months
                        ],  # type: ignore[arg-type]
                    }
                    for dimension, points in rows.items()
                ],
            }
        )
    return blocks


async def indicators_page(request: Request) -> Response:
    lang = "en" if request.query_params.get("lang") == "en" else "fr"
    headers = {"Content-Security-Policy": CSP, "Cache-Control": "public, max-age=3600"}
    try:
        found = await report(
            request.app.state.database, request.app.state.settings, _day(request, "from"), _day(request, "to")
        )
    except BadUserInput as error:
        # An error answer is about this request only: never kept by a cache.
        return PlainTextResponse(
            str(error), status_code=400, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"}
        )
    texts = TEXTS[lang]
    context = {
        "lang": lang,
        "other_lang": "en" if lang == "fr" else "fr",
        "heading": texts["heading"],
        "intro": str(texts["intro"]).format(min=found.min_cell, through=found.computed_through or "—"),
        "labels": texts["labels"],
        "report": found,
        "blocks": _blocks(found, lang),
    }
    return TEMPLATES.TemplateResponse(request, "indicators.html", context, headers=headers)
