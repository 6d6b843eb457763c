"""The indicators' own tables: small daily aggregates, never patient rows.

Reading them costs the same whatever the number of spaces: a day holds a few
dozen cells. `indicator_runs` is the statistic's journal: one row per
aggregation run (which days, who ran it, when, how many cells), instead of any
entry in a space's access journal, because no space is accessed as such.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, new_id, utcnow


class IndicatorCell(Base):
    """One figure of one Paris day: a count of that day (a flow) or as of its end (a stock)."""

    __tablename__ = "indicator_cells"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(40), primary_key=True)
    # A breakdown (a sender sector, a key datum), "" for the whole.
    dimension: Mapped[str] = mapped_column(String(40), primary_key=True, default="")
    # The contributing organization (its id) of a document count, "" otherwise: a month's cell
    # counts its distinct contributors and the largest one's share (the dominance rule).
    organization: Mapped[str] = mapped_column(String(36), primary_key=True, default="")
    value: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


class IndicatorDelay(Base):
    """How many documents of a category deposited that day had their care `delay_days`
    earlier: a histogram, so that a median over any period is exact."""

    __tablename__ = "indicator_delays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    delay_days: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The sender's organization (its id), "" for documents without one.
    organization: Mapped[str] = mapped_column(String(36), primary_key=True, default="")
    documents: Mapped[int] = mapped_column(Integer)


class IndicatorRun(Base):
    """The journal of the statistic: one aggregation run over a range of days."""

    __tablename__ = "indicator_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    run_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cells: Mapped[int | None] = mapped_column(Integer)
