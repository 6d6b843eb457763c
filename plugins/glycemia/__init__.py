"""Glycemia: diabetes follow-up. HbA1c from the medical profile and from lab
results (LOINC 4548-4 in FHIR Observations and CDA lab reports), a target set
by the care team, a trend; and HbA1c found in lab results as evidence for the
agenda's diabetes follow-up."""

from __future__ import annotations

from pathlib import Path

from api.journal.outbox import EventKind
from api.plugins import Plugin, PluginScope
from plugins.glycemia import hooks, store
from plugins.glycemia.models import LabReading, Target
from plugins.glycemia.types import GlycemiaMutation, PatientGlycemiaFields

plugin = Plugin(
    name="glycemia",
    version="0.1.0",
    description="Diabetes follow-up: HbA1c from the profile and lab results, target, trend.",
    scopes=(
        PluginScope(
            name="glycemia:read",
            label_fr="Lire votre suivi du diabète",
            label_en="Read your diabetes follow-up",
            description_fr="Vos résultats d'hémoglobine glyquée (HbA1c), du profil médical et de vos "
            "analyses de biologie, l'objectif fixé par votre médecin et leur évolution.",
            description_en="Your HbA1c results, from your medical profile and your lab results, the "
            "target set by your doctor and how they evolve.",
        ),
        PluginScope(
            name="glycemia:write",
            label_fr="Fixer l'objectif d'hémoglobine glyquée",
            label_en="Set the HbA1c target",
            description_fr="Fixer ou modifier votre objectif d'hémoglobine glyquée (HbA1c) : réservé "
            "aux professionnels de votre équipe de soins.",
            description_en="Set or change your HbA1c target: for professionals of your care team only.",
        ),
    ),
    patient_fields=(PatientGlycemiaFields,),
    mutations=(GlycemiaMutation,),
    models=(LabReading, Target),
    migrations=Path(__file__).with_name("migrations"),
    evidence=(store.agenda_evidence,),
    hooks={EventKind.DOCUMENT_ADDED.value: hooks.on_document_added},
)
