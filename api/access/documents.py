"""Which documents of a space a principal may see, as a SQL condition.

The same rules as `policy.document_decision`, for lists and counts: what may
not be seen is filtered in the database, so it is never returned nor counted.
A test holds the two to the same answers for every relationship and flag.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, false, not_, or_, true

from api.access.matrix import profession_matrix
from api.access.policy import PROFESSIONAL_RELATIONS, REPRESENTATIVE_RELATIONS, Relation
from api.access.service import SpaceAccess
from api.identity.principal import Principal


class DocumentColumns(Protocol):
    """The columns the rules look at (the dossier's Document model has them)."""

    category: Any
    author_professional_id: Any
    masked_from_professionals: Any
    hidden_from_patient: Any
    hidden_from_representatives: Any
    masked_even_in_emergency: Any


def visible_documents(
    principal: Principal, access: SpaceAccess, columns: DocumentColumns
) -> ColumnElement[bool]:
    relation = access.relation
    if relation is Relation.SELF:
        return not_(columns.hidden_from_patient)
    if relation in REPRESENTATIVE_RELATIONS:
        return and_(not_(columns.hidden_from_patient), not_(columns.hidden_from_representatives))
    if relation not in PROFESSIONAL_RELATIONS:
        return false()
    allowed = profession_matrix().professions.get(principal.profession or "", [])
    by_profession = true() if "*" in allowed else columns.category.in_(allowed or ["-"])
    if relation is Relation.MEDECIN_TRAITANT:
        unmasked = true()
    elif relation is Relation.EMERGENCY:
        unmasked = or_(not_(columns.masked_from_professionals), not_(columns.masked_even_in_emergency))
    else:
        unmasked = not_(columns.masked_from_professionals)
    own = (
        columns.author_professional_id == principal.professional_id if principal.professional_id else false()
    )
    return or_(own, and_(by_profession, unmasked))
