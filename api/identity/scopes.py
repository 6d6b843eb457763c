"""The one vocabulary of OAuth scopes: what a token may touch.

Defined once, with labels in French and English for the consent page and the
catalogue; manifests and tokens may only name these (plus plugins' scopes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from api import plugins


class Scope(StrEnum):
    DOCUMENTS_READ = "documents:read"
    DOCUMENTS_WRITE = "documents:write"
    PROFILE_READ = "profile:read"
    PROFILE_WRITE = "profile:write"
    REIMBURSEMENTS_READ = "reimbursements:read"
    AGENDA_READ = "agenda:read"
    AGENDA_WRITE = "agenda:write"
    MESSAGES_READ = "messages:read"
    MESSAGES_SEND = "messages:send"


@dataclass(frozen=True, slots=True)
class ScopeLabel:
    label_fr: str
    label_en: str
    description_fr: str
    description_en: str


SCOPE_LABELS: dict[Scope, ScopeLabel] = {
    Scope.DOCUMENTS_READ: ScopeLabel(
        "Lire vos documents de santé",
        "Read your health documents",
        "Comptes rendus, ordonnances, résultats d'analyses et d'imagerie de votre dossier.",
        "Reports, prescriptions, lab and imaging results held in your dossier.",
    ),
    Scope.DOCUMENTS_WRITE: ScopeLabel(
        "Ajouter des documents à votre dossier",
        "Add documents to your dossier",
        "Déposer de nouveaux documents dans votre dossier médical.",
        "Deposit new documents into your medical dossier.",
    ),
    Scope.PROFILE_READ: ScopeLabel(
        "Lire votre profil médical",
        "Read your medical profile",
        "Maladies, traitements, allergies, vaccinations et mesures de santé.",
        "Conditions, treatments, allergies, vaccinations and health measurements.",
    ),
    Scope.PROFILE_WRITE: ScopeLabel(
        "Compléter votre profil médical",
        "Update your medical profile",
        "Ajouter des mesures (poids, glycémie...) et des informations à votre profil.",
        "Add measurements (weight, glycemia...) and entries to your profile.",
    ),
    Scope.REIMBURSEMENTS_READ: ScopeLabel(
        "Lire l'historique de vos remboursements",
        "Read your reimbursement history",
        "Les soins remboursés par l'Assurance Maladie et leurs montants.",
        "Care reimbursed by the health insurance and the amounts.",
    ),
    Scope.AGENDA_READ: ScopeLabel(
        "Lire votre agenda de santé",
        "Read your health agenda",
        "Dépistages, vaccinations, bilans de prévention et rendez-vous.",
        "Screenings, vaccinations, prevention check-ups and appointments.",
    ),
    Scope.AGENDA_WRITE: ScopeLabel(
        "Modifier votre agenda de santé",
        "Update your health agenda",
        "Ajouter des rendez-vous et mettre à jour vos rappels de prévention.",
        "Add appointments and update your prevention reminders.",
    ),
    Scope.MESSAGES_READ: ScopeLabel(
        "Lire votre messagerie de santé",
        "Read your health messages",
        "Les échanges sécurisés avec vos professionnels de santé.",
        "Your secure conversations with health professionals.",
    ),
    Scope.MESSAGES_SEND: ScopeLabel(
        "Répondre dans votre messagerie de santé",
        "Reply in your health messages",
        "Envoyer des réponses à vos professionnels de santé.",
        "Send replies to your health professionals.",
    ),
}

CORE_SCOPES: frozenset[str] = frozenset(scope.value for scope in Scope)


@cache
def _plugin_labels() -> dict[str, ScopeLabel]:
    return {
        scope.name: ScopeLabel(scope.label_fr, scope.label_en, scope.description_fr, scope.description_en)
        for scope in plugins.active().scopes
    }


@cache
def all_scopes() -> frozenset[str]:
    """The core's scopes and those of the enabled plugins."""
    return CORE_SCOPES | frozenset(_plugin_labels())


def available(scopes: Iterable[str]) -> list[str]:
    """Those of `scopes` that exist in this process: an app's manifest may name the
    scope of a plugin that is installed but not enabled here; it is not offered."""
    known = all_scopes()
    return [scope for scope in scopes if scope in known]


def may_name(scope: str) -> bool:
    """Whether a manifest may name `scope`: a known one, or one of a plugin installed
    but not enabled here (its scopes cannot be checked without loading it)."""
    if scope in all_scopes():
        return True
    prefix = scope.partition(":")[0]
    found = plugins.active()
    return prefix in found.installed and found.named(prefix) is None


def scope_label(name: str) -> ScopeLabel:
    """The labels of a known scope (KeyError for an unknown one)."""
    if name in CORE_SCOPES:
        return SCOPE_LABELS[Scope(name)]
    return _plugin_labels()[name]


def parse_scopes(text: str) -> frozenset[str]:
    """Scopes from a space-separated string; unknown ones raise ValueError."""
    requested = frozenset(text.split())
    known = all_scopes()
    unknown = sorted(requested - known)
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)}; known: {' '.join(sorted(known))}")
    return requested
