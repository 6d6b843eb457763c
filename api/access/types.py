"""GraphQL of the access policy: care team, blocks, emergency access, preferences."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.access import care_team, caregivers, preferences
from api.access import emergency as emergency_access
from api.access.models import CareRole, RepresentationKind
from api.access.policy import SpacePart
from api.directory import service as directory
from api.directory.types import PatientFields, Professional
from api.errors import BadUserInput
from api.graphql.context import Info
from api.graphql.ids import decode_id, encode_id
from api.graphql.payloads import UserError
from api.graphql.permissions import first_party_only, scoped
from api.identity.scopes import Scope

if TYPE_CHECKING:
    from api.graphql.patient import Patient

PatientRef = Annotated["Patient", strawberry.lazy("api.graphql.patient")]

strawberry.enum(CareRole, description="How a professional joined the care team.")
strawberry.enum(RepresentationKind, description="Legal representative, or caregiver the patient designated.")
strawberry.enum(SpacePart, description="A part of a space that may be delegated to a caregiver.")


@strawberry.type(description="Someone who may open this space: a legal representative or a caregiver.")
class Representative:
    id: strawberry.ID = strawberry.field(description="The person's own space (Patient id).")
    display_name: str = strawberry.field(description="The person's name.")
    kind: RepresentationKind = strawberry.field(description="Legal representative or caregiver.")
    parts: list[SpacePart] = strawberry.field(description="For a caregiver: the parts delegated.")
    expires_at: datetime | None = strawberry.field(description="For a caregiver: when the delegation ends.")


@strawberry.type(description="A professional of the patient's care team.")
class CareRelationship:
    professional_id: strawberry.Private[uuid.UUID]
    role: CareRole = strawberry.field(
        description="Médecin traitant, declared by the patient, or self-declared."
    )
    since: date = strawberry.field(description="Since when.")

    @strawberry.field(description="The professional.")
    async def professional(self, info: Info) -> Professional:
        access = info.context.require_access()
        record = await directory.read_professional(
            access, info.context.loaders.professional_by_id, self.professional_id
        )
        if record is None:  # the foreign key guarantees it
            raise RuntimeError(f"care relationship to a missing professional {self.professional_id}")
        return Professional.from_record(record)


@strawberry.type(description="The patient's choices about access and notifications.")
class AccessPreferences:
    refuses_emergency_access: bool = strawberry.field(
        description="Emergency access (bris de glace, centre 15) refused in advance."
    )
    notify_new_professional: bool = strawberry.field(
        description="Be told of a first access by a new professional."
    )
    notify_new_document: bool = strawberry.field(description="Be told of every new document.")
    notification_email: str | None = strawberry.field(
        description="Where notices are sent by e-mail (they never say more than that the space changed)."
    )


@strawberry.type(description="An emergency opening of a space by a professional (bris de glace).")
class EmergencyAccess:
    id: strawberry.ID = strawberry.field(description="Identifier of the emergency access.")
    reason: str = strawberry.field(description="The reason written by the professional.")
    opened_at: datetime = strawberry.field(description="When it was opened.")
    expires_at: datetime = strawberry.field(description="When it ends.")
    regulation: bool = strawberry.field(description="Opened by an emergency regulation doctor (centre 15).")


@strawberry.type
class PatientAccessFields(PatientFields):
    """The access part of `Patient`."""

    @strawberry.field(
        description="The professionals of the care team. Journaled when read by anyone but the patient.",
        **scoped(Scope.PROFILE_READ),
    )
    async def care_team(self, info: Info) -> list[CareRelationship] | None:
        members = await care_team.care_team(info.context.require_access(), self.record.id)
        return [
            CareRelationship(professional_id=m.professional_id, role=CareRole(m.role), since=m.since)
            for m in members
        ]

    @strawberry.field(
        description="Professionals the patient blocked. Patient and legal representatives only.",
        **first_party_only(),
    )
    async def blocked_professionals(self, info: Info) -> list[Professional] | None:
        access = info.context.require_access()
        ids = await care_team.blocked_professionals(access, self.record.id)
        records = await directory.read_professionals(access, info.context.loaders.professional_by_id, ids)
        return [Professional.from_record(record) for record in records if record is not None]

    @strawberry.field(
        description="Legal representatives and caregivers of this space. "
        "Patient and legal representatives only.",
        **first_party_only(),
    )
    async def representatives(self, info: Info) -> list[Representative] | None:
        found = await caregivers.representatives(info.context.require_access(), self.record.id)
        return [
            Representative(
                id=strawberry.ID(encode_id("Patient", entry.person_id)),
                display_name=entry.display_name,
                kind=RepresentationKind(entry.kind),
                parts=[SpacePart(part) for part in entry.parts],
                expires_at=entry.expires_at,
            )
            for entry in found
        ]

    @strawberry.field(
        description="The patient's access preferences. Patient and legal representatives only.",
        **first_party_only(),
    )
    async def access_preferences(self, info: Info) -> AccessPreferences | None:
        found = await preferences.read_preferences(info.context.require_access(), self.record.id)
        return AccessPreferences(
            refuses_emergency_access=found.refuses_emergency_access,
            notify_new_professional=found.notify_new_professional,
            notify_new_document=found.notify_new_document,
            notification_email=found.notification_email,
        )


@strawberry.type(description="The space a mutation changed.")
class PatientPayload:
    patient: PatientRef | None = strawberry.field(description="The space, as it is now.")
    user_errors: list[UserError] = strawberry.field(description="Input the user can correct.")


@strawberry.type(description="The emergency access a professional opened.")
class EmergencyAccessPayload:
    emergency_access: EmergencyAccess | None = strawberry.field(description="The emergency access.")
    patient: PatientRef | None = strawberry.field(description="The space it opens.")
    user_errors: list[UserError] = strawberry.field(description="Input the user can correct.")


@strawberry.input(description="Declare a professional in the care team.")
class DeclareCareRelationshipInput:
    patient_id: strawberry.ID = strawberry.field(description="The space.")
    professional_id: strawberry.ID | None = strawberry.field(
        default=None, description="The professional; omitted when a professional declares themselves."
    )
    role: CareRole = strawberry.field(
        default=CareRole.DECLARED_BY_PATIENT,
        description="MEDECIN_TRAITANT or DECLARED_BY_PATIENT (patients).",
    )
    consent_statement: str | None = strawberry.field(
        default=None, description="For a professional declaring themselves: how the patient consented."
    )


@strawberry.input(
    description="Designate a caregiver (proche aidant) with the parts of the space they may read."
)
class DesignateCaregiverInput:
    patient_id: strawberry.ID = strawberry.field(description="The space.")
    caregiver_ins: str = strawberry.field(description="The caregiver's INS.")
    parts: list[SpacePart] = strawberry.field(description="What they may read: documents, agenda...")


@strawberry.input(description="Change access preferences; omitted fields stay as they are.")
class UpdateAccessPreferencesInput:
    patient_id: strawberry.ID = strawberry.field(description="The space.")
    refuses_emergency_access: bool | None = strawberry.field(
        default=None, description="Refuse emergency access."
    )
    notify_new_professional: bool | None = strawberry.field(
        default=None, description="Notices of new professionals."
    )
    notify_new_document: bool | None = strawberry.field(default=None, description="Notices of new documents.")
    notification_email: str | None = strawberry.field(
        default=None, description="Where notices go by e-mail; an empty string stops them."
    )


async def _patient(info: Info, patient_id: uuid.UUID) -> Patient | None:
    from api.graphql.patient import Patient

    access = info.context.require_access()
    record = await directory.read_patient(access, info.context.loaders.patient_by_id, patient_id)
    return Patient.from_record(record)


def _patient_id(value: strawberry.ID) -> uuid.UUID:
    return decode_id(value, "Patient")[1]


def _caregiver_id(value: strawberry.ID) -> uuid.UUID:
    try:
        return decode_id(value, "Patient")[1]
    except BadUserInput as error:
        raise BadUserInput(error.message, field="caregiverId") from error


def _professional_id(value: strawberry.ID) -> uuid.UUID:
    try:
        return decode_id(value, "Professional")[1]
    except BadUserInput as error:
        raise BadUserInput(error.message, field="professionalId") from error


@strawberry.type
class AccessMutation:
    @strawberry.mutation(
        description="Block a professional: no access at all, from the next request on.", **first_party_only()
    )
    async def block_professional(
        self, info: Info, patient_id: strawberry.ID, professional_id: strawberry.ID
    ) -> PatientPayload:
        try:
            patient, professional = _patient_id(patient_id), _professional_id(professional_id)
            await care_team.block_professional(info.context.require_access(), patient, professional)
        except BadUserInput as error:
            return PatientPayload(patient=None, user_errors=UserError.from_error(error))
        return PatientPayload(patient=await _patient(info, patient), user_errors=[])

    @strawberry.mutation(description="Lift a block.", **first_party_only())
    async def unblock_professional(
        self, info: Info, patient_id: strawberry.ID, professional_id: strawberry.ID
    ) -> PatientPayload:
        try:
            patient, professional = _patient_id(patient_id), _professional_id(professional_id)
            await care_team.unblock_professional(info.context.require_access(), patient, professional)
        except BadUserInput as error:
            return PatientPayload(patient=None, user_errors=UserError.from_error(error))
        return PatientPayload(patient=await _patient(info, patient), user_errors=[])

    @strawberry.mutation(
        description="Declare a care relationship: the patient names a professional (or the médecin "
        "traitant); a professional declares themselves with the patient's consent, recorded and journaled.",
        **first_party_only(),
    )
    async def declare_care_relationship(
        self, info: Info, input: DeclareCareRelationshipInput
    ) -> PatientPayload:
        access = info.context.require_access()
        try:
            patient = _patient_id(input.patient_id)
            professional = _professional_id(input.professional_id) if input.professional_id else None
            await care_team.declare_care_relationship(
                access,
                patient,
                professional_id=professional,
                role=input.role,
                consent_statement=input.consent_statement,
            )
        except BadUserInput as error:
            return PatientPayload(patient=None, user_errors=UserError.from_error(error))
        return PatientPayload(patient=await _patient(info, patient), user_errors=[])

    @strawberry.mutation(description="Remove a professional from the care team.", **first_party_only())
    async def end_care_relationship(
        self, info: Info, patient_id: strawberry.ID, professional_id: strawberry.ID
    ) -> PatientPayload:
        try:
            patient, professional = _patient_id(patient_id), _professional_id(professional_id)
            await care_team.end_care_relationship(info.context.require_access(), patient, professional)
        except BadUserInput as error:
            return PatientPayload(patient=None, user_errors=UserError.from_error(error))
        return PatientPayload(patient=await _patient(info, patient), user_errors=[])

    @strawberry.mutation(
        description="A professional outside the care team opens a space in an emergency, with a written "
        "reason; journaled, time-limited, and the patient and médecin traitant are notified.",
        **first_party_only(),
    )
    async def open_emergency_access(
        self, info: Info, patient_id: strawberry.ID, reason: str
    ) -> EmergencyAccessPayload:
        try:
            patient = _patient_id(patient_id)
            opened = await emergency_access.open_emergency_access(
                info.context.require_access(), patient, reason
            )
        except BadUserInput as error:
            return EmergencyAccessPayload(
                emergency_access=None, patient=None, user_errors=UserError.from_error(error)
            )
        emergency = EmergencyAccess(
            id=strawberry.ID(str(opened.id)),
            reason=opened.reason,
            opened_at=opened.opened_at,
            expires_at=opened.expires_at,
            regulation=opened.regulation,
        )
        return EmergencyAccessPayload(
            emergency_access=emergency, patient=await _patient(info, patient), user_errors=[]
        )

    @strawberry.mutation(description="Change the patient's access preferences.", **first_party_only())
    async def update_access_preferences(
        self, info: Info, input: UpdateAccessPreferencesInput
    ) -> PatientPayload:
        try:
            patient = _patient_id(input.patient_id)
            await preferences.update_preferences(
                info.context.require_access(),
                patient,
                refuses_emergency_access=input.refuses_emergency_access,
                notify_new_professional=input.notify_new_professional,
                notify_new_document=input.notify_new_document,
                notification_email=input.notification_email,
            )
        except BadUserInput as error:
            return PatientPayload(patient=None, user_errors=UserError.from_error(error))
        return PatientPayload(patient=await _patient(info, patient), user_errors=[])

    @strawberry.mutation(
        description="Designate a caregiver, for the parts chosen, until the delegation expires (renewable).",
        **first_party_only(),
    )
    async def designate_caregiver(self, info: Info, input: DesignateCaregiverInput) -> PatientPayload:
        try:
            patient = _patient_id(input.patient_id)
            await caregivers.designate_caregiver(
                info.context.require_access(), patient, caregiver_ins=input.caregiver_ins, parts=input.parts
            )
        except BadUserInput as error:
            return PatientPayload(patient=None, user_errors=UserError.from_error(error))
        return PatientPayload(patient=await _patient(info, patient), user_errors=[])

    @strawberry.mutation(
        description="Renew a caregiver's delegation for another period.", **first_party_only()
    )
    async def renew_caregiver(
        self, info: Info, patient_id: strawberry.ID, caregiver_id: strawberry.ID
    ) -> PatientPayload:
        try:
            patient, caregiver = _patient_id(patient_id), _caregiver_id(caregiver_id)
            await caregivers.renew_caregiver(info.context.require_access(), patient, caregiver)
        except BadUserInput as error:
            return PatientPayload(patient=None, user_errors=UserError.from_error(error))
        return PatientPayload(patient=await _patient(info, patient), user_errors=[])

    @strawberry.mutation(description="End a caregiver's delegation now.", **first_party_only())
    async def end_caregiver(
        self, info: Info, patient_id: strawberry.ID, caregiver_id: strawberry.ID
    ) -> PatientPayload:
        try:
            patient, caregiver = _patient_id(patient_id), _caregiver_id(caregiver_id)
            await caregivers.end_caregiver(info.context.require_access(), patient, caregiver)
        except BadUserInput as error:
            return PatientPayload(patient=None, user_errors=UserError.from_error(error))
        return PatientPayload(patient=await _patient(info, patient), user_errors=[])
