"""`espace indicators` (the figures as a table) and `espace indicators refresh`."""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Callable
from datetime import date
from typing import Any

from api.errors import BadUserInput
from api.indicators.aggregate import refresh, yesterday
from api.indicators.display import PROVISIONAL, SUPPRESSED, value_text
from api.indicators.service import Report, report
from api.settings import Settings


def add_commands(commands: Any, runner: Callable[..., int]) -> None:
    """Declare the commands; `runner(work, settings, args)` is the CLI's way to run on the database."""
    indicators = commands.add_parser(
        "indicators",
        help="the public indicators as a table",
        description="Print the public indicators by whole month (suppressed cells as 's'), as the "
        "/indicators page and the `indicators` query publish them.",
    )
    indicators.add_argument(
        "--from", dest="first", type=date.fromisoformat, help="a day of the first month, YYYY-MM-DD"
    )
    indicators.add_argument(
        "--to",
        dest="last",
        type=date.fromisoformat,
        help="a day of the last month (default and latest: the last complete month)",
    )
    indicators.add_argument("--language", choices=["fr", "en"], default="fr", help="titles (default fr)")
    indicators.set_defaults(run=lambda settings, args: runner(_show, settings, args))
    subcommands = indicators.add_subparsers(title="indicators commands", metavar="SUBCOMMAND")
    refresh = subcommands.add_parser(
        "refresh",
        help="aggregate a past day (default: yesterday in Paris) into the indicators' tables",
        description="Run it daily, after midnight Paris time. Idempotent: re-running a day replaces its "
        "rows; it also recomputes the prevention reminders FOLLOWED of the 90 days before. A day over 90 "
        "days old that was already aggregated is published history: re-running it is refused unless "
        "--force (its first aggregation is allowed). Each run is recorded in indicator_runs (the "
        "statistic's journal).",
    )
    refresh.add_argument("--day", type=date.fromisoformat, help="the day, YYYY-MM-DD (default: yesterday)")
    refresh.add_argument("--from", dest="first", type=date.fromisoformat, help="first day of a range")
    refresh.add_argument(
        "--to",
        dest="last",
        type=date.fromisoformat,
        help="last day of a range (with --from; default yesterday)",
    )
    refresh.add_argument(
        "--force",
        action="store_true",
        help="re-aggregate days over 90 days old already aggregated, rewriting their published figures "
        "from today's data",
    )
    refresh.set_defaults(run=lambda settings, args: runner(_refresh, settings, args))


def _who() -> str:
    try:
        return f"command line ({getpass.getuser()})"
    except (KeyError, OSError):  # no user name in some containers
        return "command line"


def _flags(error: BadUserInput) -> ValueError:
    """The service's message with the command's flags: `from` and `to` are --from and --to here."""
    return ValueError(str(error).replace("`from`", "--from").replace("`to`", "--to"))


async def _refresh(database: Any, settings: Settings, args: argparse.Namespace) -> str:
    if args.day and (args.first or args.last):
        raise ValueError("give --day, or --from (and --to), not both")
    if args.last and not args.first:
        raise ValueError("--to needs --from: give --from D --to D, or --day D")
    first = args.day or args.first or yesterday()
    last = args.day or args.last or (args.first and yesterday()) or first
    if first > last:
        raise ValueError("--from must not come after --to")
    try:
        done = await refresh(database, first, last, run_by=_who(), force=args.force)
    except BadUserInput as error:
        raise ValueError(str(error).replace("force it", "--force")) from error
    return f"Indicators: {done.days} day(s) from {done.first} to {done.last}, {done.cells} cell(s) written."


async def _show(database: Any, settings: Settings, args: argparse.Namespace) -> str:
    try:
        found = await report(database, settings, args.first, args.last)
    except BadUserInput as error:
        raise _flags(error) from error
    return render_table(found, args.language)


def render_table(report: Report, language: str = "fr") -> str:
    label_width = 22
    months = report.months
    lines = [
        f"Indicators from {report.first} to {report.last} (aggregated through "
        f"{report.computed_through or 'never'}; '{SUPPRESSED}': fewer than {report.min_cell}, suppressed; "
        f"'{PROVISIONAL}': provisional, may still change)",
    ]
    header = " " * label_width + "".join(f"{month:>10}" for month in months)
    for series in report.series:
        definition = series.definition
        title = definition.title_fr if language == "fr" else definition.title_en
        lines += ["", f"{title} [{definition.id}, {definition.unit.value}]", header]
        by_row: dict[str | None, dict[str, Any]] = {}
        for point in series.points:
            by_row.setdefault(point.dimension, {})[point.period] = point
        for dimension, points in by_row.items():
            label = (dimension or "total")[:label_width]
            cells = "".join(f"{value_text(points.get(month), definition.unit.value):>10}" for month in months)
            lines.append(f"{label:<{label_width}}{cells}")
    return "\n".join(lines)
