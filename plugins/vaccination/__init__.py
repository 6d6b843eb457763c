"""Vaccination: the French vaccination calendar as data (calendar.toml), the
agenda's vaccination items, and each space's vaccinations done, due and late,
from the medical profile and from deposited immunization notes."""

from __future__ import annotations

from pathlib import Path

from api.journal.outbox import EventKind
from api.plugins import Plugin, PluginScope
from plugins.vaccination import service
from plugins.vaccination.models import VaccinationRecord
from plugins.vaccination.types import PatientVaccinationFields

HERE = Path(__file__).parent

plugin = Plugin(
    name="vaccination",
    version="1.0.0",
    description="Le calendrier des vaccinations : vaccinations faites, à faire et en retard.",
    scopes=(
        PluginScope(
            name="vaccination:read",
            label_fr="Lire le statut vaccinal",
            label_en="Read the vaccination status",
            description_fr="Les vaccinations faites, à faire et en retard selon le calendrier des "
            "vaccinations, d'après le profil médical et les documents de vaccination.",
            description_en="Vaccinations done, due and late against the French vaccination calendar, "
            "from the medical profile and immunization documents.",
        ),
    ),
    patient_fields=(PatientVaccinationFields,),
    models=(VaccinationRecord,),
    migrations=HERE / "migrations",
    programmes=HERE / "calendar.toml",
    evidence=(service.agenda_evidence,),
    hooks={EventKind.DOCUMENT_ADDED.value: service.on_document_added},
)
