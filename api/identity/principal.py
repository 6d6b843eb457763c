"""The principal: who a request speaks for, for whom, through which client."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class PrincipalKind(StrEnum):
    PATIENT = "PATIENT"
    REPRESENTATIVE = "REPRESENTATIVE"
    PROFESSIONAL = "PROFESSIONAL"
    APP = "APP"
    OPERATOR = "OPERATOR"


@dataclass(frozen=True, slots=True)
class Principal:
    """Built once per request from a verified token and the directory.

    `acting_for` is the one space a patient, representative or app acts for;
    a professional has none and names the patient per query.
    """

    kind: PrincipalKind
    account_id: uuid.UUID
    display_name: str
    client_id: str
    scopes: frozenset[str]
    token_id: str
    patient_id: uuid.UUID | None = None
    professional_id: uuid.UUID | None = None
    operator_id: uuid.UUID | None = None
    acting_for: uuid.UUID | None = None
    # For professionals, what the journal shows and the rules look at.
    profession: str | None = None
    organization_id: uuid.UUID | None = None
    organization_name: str | None = None
    emergency_regulation: bool = False
    # For catalogue apps: the app's name, which the journal shows.
    app_name: str | None = None
    # Professional software acting without a person (a laboratory's deposit feed).
    feed: bool = False
    # For catalogue apps: the patient's consent the token comes from.
    grant_id: uuid.UUID | None = None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
