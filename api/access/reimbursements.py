"""Which reimbursements of a space a principal may see, as a SQL condition.

A minor's care kept from the legal representatives is withheld from them with
its reimbursements (DOMAIN.md): neither returned nor counted in their lists
and summaries. Everyone else the space policy lets in sees the whole history.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import ColumnElement, not_, true

from api.access.policy import REPRESENTATIVE_RELATIONS, Relation
from api.access.service import SpaceAccess


class ReimbursementColumns(Protocol):
    hidden_from_representatives: Any


def visible_reimbursements(access: SpaceAccess, columns: ReimbursementColumns) -> ColumnElement[bool]:
    return reimbursements_visible_to(access.relation, columns)


def reimbursements_visible_to(relation: Relation, columns: ReimbursementColumns) -> ColumnElement[bool]:
    """The condition for a relation alone (it depends on nothing else), for
    statements built once per relation."""
    if relation in REPRESENTATIVE_RELATIONS:
        return not_(columns.hidden_from_representatives)
    return true()
