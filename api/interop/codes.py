"""The FHIR vocabulary both directions share: code systems, and how our
document flags, profile entries and measurements map to FHIR R4.

One table per mapping, read by the export and by the import, so a space
exported here imports back to the same space.
"""

from __future__ import annotations

from api.access.policy import VisibilityFlag

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
# The national identifiers: INS (NIR), professionals (IDNPS = "8" + RPPS), FINESS.
INS_SYSTEM = "urn:oid:1.2.250.1.213.1.4.8"
IDNPS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"
FINESS_SYSTEM = "http://finess.sante.gouv.fr"
# The national confidentiality codes of documents (JDV_J58), names kept as DOMAIN.md asks.
CONFIDENTIALITY_SYSTEM = "urn:oid:1.2.250.1.213.1.1.4.13"
# What the national codes have no name for: the patient's "masked even in emergencies".
ESPACE_SYSTEM = "https://espace-sante.example/fhir/CodeSystem"
CATEGORY_SYSTEM = f"{ESPACE_SYSTEM}/document-category"
EMERGENCY_MASK_CODE = "MASQUE_URGENCE"

# Visibility flags as security labels, both ways.
SECURITY_LABELS: dict[VisibilityFlag, tuple[str, str]] = {
    VisibilityFlag.MASKED_FROM_PROFESSIONALS: (CONFIDENTIALITY_SYSTEM, "MASQUE_PS"),
    VisibilityFlag.HIDDEN_FROM_PATIENT: (CONFIDENTIALITY_SYSTEM, "INVISIBLE_PATIENT"),
    VisibilityFlag.HIDDEN_FROM_REPRESENTATIVES: (CONFIDENTIALITY_SYSTEM, "INVISIBLE_REP_LEGAUX"),
    VisibilityFlag.MASKED_EVEN_IN_EMERGENCY: (ESPACE_SYSTEM + "/visibility", EMERGENCY_MASK_CODE),
}
SECURITY_LABELS_BY_CODE: dict[str, tuple[str, str]] = {
    code: (system, code) for system, code in SECURITY_LABELS.values()
}

# Measurements: kind -> (LOINC code, display, Observation category).
MEASUREMENT_CODES: dict[str, tuple[str, str, str]] = {
    "WEIGHT": ("29463-7", "Body weight", "vital-signs"),
    "HEIGHT": ("8302-2", "Body height", "vital-signs"),
    "SYSTOLIC_BLOOD_PRESSURE": ("8480-6", "Systolic blood pressure", "vital-signs"),
    "DIASTOLIC_BLOOD_PRESSURE": ("8462-4", "Diastolic blood pressure", "vital-signs"),
    "GLYCEMIA": ("2339-0", "Glucose [Mass/volume] in Blood", "laboratory"),
    "HBA1C": ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "laboratory"),
}
# Also read on import: glycemia in moles per volume.
MEASUREMENT_BY_LOINC: dict[str, str] = {code: kind for kind, (code, _, _) in MEASUREMENT_CODES.items()} | {
    "15074-8": "GLYCEMIA"
}

# Profile entries: kind -> FHIR resource type (people to notify are Patient.contact).
ENTRY_RESOURCES: dict[str, str] = {
    "CONDITION": "Condition",
    "TREATMENT": "MedicationStatement",
    "ALLERGY": "AllergyIntolerance",
    "FAMILY_HISTORY": "FamilyMemberHistory",
    "VACCINATION": "Immunization",
    "ADVANCE_DIRECTIVE": "Consent",
}
ENTRY_BY_RESOURCE: dict[str, str] = {resource: kind for kind, resource in ENTRY_RESOURCES.items()}

# FHIR gender <-> the directory's sex.
GENDERS = {"F": "female", "M": "male"}
