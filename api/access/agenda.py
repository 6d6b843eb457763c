"""What may serve as evidence in a space's agenda, as SQL conditions.

The agenda is read by the patient's whole side (representatives and
caregivers included), and a prevention item marked done says what did it: so
only what every one of them may see speaks for an item. Nothing still hidden
from the patient, nothing kept from the representatives.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, not_


class DocumentFlags(Protocol):
    hidden_from_patient: Any
    hidden_from_representatives: Any


class ReimbursementFlags(Protocol):
    hidden_from_representatives: Any


def documents_as_evidence(columns: DocumentFlags) -> ColumnElement[bool]:
    return and_(not_(columns.hidden_from_patient), not_(columns.hidden_from_representatives))


def reimbursements_as_evidence(columns: ReimbursementFlags) -> ColumnElement[bool]:
    return not_(columns.hidden_from_representatives)
