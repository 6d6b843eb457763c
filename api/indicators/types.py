"""The public `indicators` query: no token, aggregates only. Nothing here leads to a
space, a person or an organization: every type is made of numbers and texts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from api.catalogue.types import Language
from api.graphql.context import Info
from api.indicators import service


@strawberry.type(description="One published figure: a month, a breakdown, a value or its suppression.")
class IndicatorPoint:
    period: str = strawberry.field(description="The month, YYYY-MM.")
    dimension: str | None = strawberry.field(
        description="The breakdown (a sender sector, a document category, a key datum), null for the whole."
    )
    value: float | None = strawberry.field(
        description="The figure in the indicator's unit; null when suppressed, when there is nothing to "
        "compute it from, or when the month is not wholly aggregated (never a zero for a missing month)."
    )
    suppressed: bool = strawberry.field(
        description="True when the figure is withheld: a count below the minimum cell, a cell made by fewer "
        "than 3 organizations or over 85 % by one, or one that would let a reader recompute such a figure."
    )
    provisional: bool = strawberry.field(
        description="True when the figure may still change: a month's prevention reminders FOLLOWED "
        "until 90 days after the month's end (a reminder counts as followed when done within 90 days)."
    )


@strawberry.type(description="An indicator, its definition and its monthly figures.")
class Indicator:
    id: str = strawberry.field(description="A stable identifier, e.g. documents_deposited.")
    unit: str = strawberry.field(description="The unit of the values, e.g. spaces, percent, days.")
    dimensions: list[str] = strawberry.field(description="The breakdowns its points may carry, if any.")
    points: list[IndicatorPoint] = strawberry.field(description="One point per month (and breakdown).")
    _service: strawberry.Private[service.Series]

    @strawberry.field(description="Its title.")
    def title(self, language: Language = Language.FR) -> str:
        definition = self._service.definition
        return definition.title_fr if language is Language.FR else definition.title_en

    @strawberry.field(description="How it is computed, in plain words.")
    def definition(self, language: Language = Language.FR) -> str:
        definition = self._service.definition
        return definition.definition_fr if language is Language.FR else definition.definition_en

    @classmethod
    def of(cls, series: service.Series) -> Indicator:
        return cls(
            id=series.definition.id,
            unit=series.definition.unit.value,
            dimensions=list(series.definition.dimensions),
            points=[
                IndicatorPoint(
                    period=point.period,
                    dimension=point.dimension,
                    value=point.value,
                    suppressed=point.suppressed,
                    provisional=point.provisional,
                )
                for point in series.points
            ],
            _service=series,
        )


@strawberry.type(description="The service's public indicators over a period.")
class Indicators:
    from_: date = strawberry.field(
        name="from", description="The first day of the period (Paris): the first day of its first month."
    )
    to: date = strawberry.field(
        description="The last day of the period (Paris): the last day of its last month."
    )
    months: list[str] = strawberry.field(description="The months of the period, YYYY-MM.")
    computed_through: date | None = strawberry.field(
        description="The last day aggregated so far (`espace indicators refresh`), null if none."
    )
    min_cell: int = strawberry.field(
        description="Counts below this are suppressed (ESPACE_INDICATORS_MIN_CELL)."
    )
    population: int = strawberry.field(description="The population served (ESPACE_POPULATION).")
    indicators: list[Indicator] = strawberry.field(description="Every indicator, with its definition.")


@strawberry.type
class IndicatorsQuery:
    @strawberry.field(
        description="The public indicators, by whole month; no token needed. `from` is rounded back to the "
        "first day of its month and `to` on to the last day of its month, at most the last complete month "
        "(the month before the current one in Paris): a partial month is never published. Default period: "
        "the twelve complete months ending with the last one. BAD_USER_INPUT for a date before 2000-01-01, "
        "`from` after `to`, a `to` not in the past, a period without a complete month, or over 60 months."
    )
    async def indicators(
        self,
        info: Info,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> Indicators:
        report = await service.report(info.context.database, info.context.settings, from_, to)
        return Indicators(
            from_=report.first,
            to=report.last,
            months=report.months,
            computed_through=report.computed_through,
            min_cell=report.min_cell,
            population=report.population,
            indicators=[Indicator.of(series) for series in report.series],
        )
