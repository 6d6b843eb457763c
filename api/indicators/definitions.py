"""Each public indicator: its id, titles, definition (written next to it, in both
languages) and unit. The definitions are what the page and the API publish.

Every figure is of a whole calendar month (Paris), published once the month is
over and wholly aggregated: a period asked is rounded out to whole months."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Unit(StrEnum):
    SPACES = "spaces"
    PERCENT = "percent"
    DOCUMENTS = "documents"
    CONSULTATIONS = "consultations"
    MESSAGES = "messages"
    REMINDERS = "reminders"
    CONNECTIONS = "connections"
    DAYS = "days"


# Sender sectors: the directory's organization kinds, plus deposits by the patient's side.
SECTORS = ("PRIVATE_PRACTICE", "PHARMACY", "LABORATORY", "ESTABLISHMENT", "MEDICO_SOCIAL", "PATIENT", "OTHER")
KEY_DATA = ("MEDECIN_TRAITANT", "VACCINATION", "ALLERGY", "ALL")
REMINDER_STEPS = ("SENT", "FOLLOWED")
DELAY_CATEGORIES = (
    "LAB_RESULT",
    "DISCHARGE_LETTER",
    "IMAGING",
    "REPORT",
    "PRESCRIPTION",
    "VACCINATION",
    "OTHER",
)
FOLLOW_UP_DAYS = 90
ACTIVE_WINDOW_DAYS = 30


@dataclass(frozen=True, slots=True)
class Definition:
    id: str
    title_fr: str
    title_en: str
    definition_en: str
    definition_fr: str
    unit: Unit
    dimensions: tuple[str, ...] = field(default=())


DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "spaces_opened",
        "Espaces ouverts",
        "Spaces opened",
        "Open spaces at the end of the month (a space counts from its opening; closed spaces do not count).",
        "Espaces ouverts à la fin du mois (un espace compte dès son ouverture ; les espaces clos ne "
        "comptent pas).",
        Unit.SPACES,
    ),
    Definition(
        "population_share",
        "Part de la population couverte",
        "Share of the population served",
        "Spaces opened divided by the population served (the ESPACE_POPULATION setting), in percent.",
        "Espaces ouverts rapportés à la population servie (réglage ESPACE_POPULATION), en pourcentage.",
        Unit.PERCENT,
    ),
    Definition(
        "spaces_activated",
        "Espaces activés",
        "Spaces activated",
        "Open spaces whose patient's side (the holder or a representative) has acted at least once by the "
        "end of the month: sent or read a message, deposited a document, entered a profile entry, "
        "connected an app, or decided on an agenda item.",
        "Espaces ouverts dont le titulaire ou un représentant a agi au moins une fois à la fin du mois : "
        "envoyé ou lu un message, déposé un document, saisi une donnée du profil, connecté une "
        "application ou décidé d'un rappel de l'agenda.",
        Unit.SPACES,
    ),
    Definition(
        "active_30_days",
        "Espaces actifs sur 30 jours",
        "Spaces active in the last 30 days",
        "Open spaces whose patient's side acted (as for activation) in the 30 days ending on the last day "
        "of the month.",
        "Espaces ouverts dont le titulaire ou un représentant a agi (comme pour l'activation) dans les 30 "
        "jours finissant le dernier jour du mois.",
        Unit.SPACES,
    ),
    Definition(
        "documents_deposited",
        "Documents déposés",
        "Documents deposited",
        "Documents deposited in the month (new versions included), by the sender's sector: the kind of "
        "the author's organization, PATIENT for the patient's side, OTHER otherwise. A sector's figure made "
        "by fewer than 3 organizations, or more than 85 % by a single one (dominance), is suppressed with "
        "its complements, as it would be that organization's own figure (PATIENT is not an organization).",
        "Documents déposés dans le mois (nouvelles versions comprises), par secteur de l'émetteur : le "
        "type de l'organisation de l'auteur, PATIENT pour le titulaire ou un représentant, OTHER sinon. "
        "Le chiffre d'un secteur fait par moins de 3 organisations, ou à plus de 85 % par une seule "
        "(dominance), n'est pas publié, avec ses compléments : ce serait celui de cette organisation "
        "(PATIENT n'est pas une organisation).",
        Unit.DOCUMENTS,
        SECTORS,
    ),
    Definition(
        "documents_growth",
        "Croissance annuelle des dépôts",
        "Year-on-year growth of deposits",
        "Documents deposited in the whole month compared with the same whole month a year earlier, in "
        "percent; no figure when that earlier month was not aggregated.",
        "Documents déposés dans le mois entier rapportés au même mois entier de l'année précédente, en "
        "pourcentage d'évolution ; pas de chiffre si ce mois-là n'a pas été agrégé.",
        Unit.PERCENT,
    ),
    Definition(
        "professional_consultations",
        "Consultations par des professionnels",
        "Professional consultations",
        "Distinct (professional, space, day) triples in which a professional read or downloaded something "
        "of a space, from the access journal, summed over the month.",
        "Couples (professionnel, espace) distincts par jour où un professionnel a lu ou téléchargé un "
        "élément d'un espace, d'après le journal des accès, cumulés sur le mois.",
        Unit.CONSULTATIONS,
    ),
    Definition(
        "messages",
        "Messages échangés",
        "Messages",
        "Messages sent in the month in the secure messaging, by either side.",
        "Messages envoyés dans le mois par la messagerie sécurisée, dans les deux sens.",
        Unit.MESSAGES,
    ),
    Definition(
        "prevention_reminders",
        "Rappels de prévention",
        "Prevention reminders",
        f"Prevention items only (screenings, vaccinations, check-ups a prevention programme's rule "
        f"proposes; not the patient's own appointments or reminders). SENT: such items whose due reminder "
        f"was sent in the month (the latest reminder of each). FOLLOWED: of those reminders sent in the "
        f"month, the items done within {FOLLOW_UP_DAYS} days after their reminder; it is final "
        f"{FOLLOW_UP_DAYS} days after the month's end, and marked provisional until then.",
        f"Éléments de prévention seulement (dépistages, vaccinations, bilans proposés par une règle d'un "
        f"programme de prévention ; ni les rendez-vous ni les rappels du patient lui-même). SENT : rappels "
        f"de tels éléments échus envoyés dans le mois. FOLLOWED : parmi ces rappels envoyés dans le mois, "
        f"les éléments réalisés dans les {FOLLOW_UP_DAYS} jours suivant leur rappel ; ce chiffre est "
        f"définitif {FOLLOW_UP_DAYS} jours après la fin du mois, et marqué provisoire jusque-là.",
        Unit.REMINDERS,
        REMINDER_STEPS,
    ),
    Definition(
        "apps_connected",
        "Applications connectées",
        "Apps connected",
        "App connections (a patient's grant to a catalogue app) in force at the end of the month.",
        "Connexions d'applications du catalogue (autorisations données par un patient) en vigueur à la "
        "fin du mois.",
        Unit.CONNECTIONS,
    ),
    Definition(
        "deposit_delay_median",
        "Délai médian soin → dépôt",
        "Median delay from care to deposit",
        "Median number of days between the date of care a document describes and its deposit (Paris "
        "days), over the documents of the month with a care date, by document category; a discharge "
        "letter's delay measures coordination after a hospital stay. A category made by fewer than 3 "
        "organizations, or more than 85 % by a single one (dominance), is suppressed.",
        "Nombre médian de jours entre la date du soin décrit et le dépôt du document (jours de Paris), sur "
        "les documents du mois ayant une date de soin, par catégorie ; pour la lettre de liaison, il "
        "mesure la coordination à la sortie d'hospitalisation. Une catégorie faite par moins de 3 "
        "organisations, ou à plus de 85 % par une seule (dominance), n'est pas publiée.",
        Unit.DAYS,
        DELAY_CATEGORIES,
    ),
    Definition(
        "key_data_share",
        "Données clés renseignées",
        "Key data present",
        "Share of open spaces, at the end of the month, with a declared médecin traitant, at least one "
        "vaccination, at least one allergy entry (an allergy or its absence), and ALL three, in percent.",
        "Part des espaces ouverts, à la fin du mois, ayant un médecin traitant déclaré, au moins une "
        "vaccination, au moins une entrée allergie, et les trois (ALL), en pourcentage.",
        Unit.PERCENT,
        KEY_DATA,
    ),
    Definition(
        "lab_duplicates",
        "Examens biologiques en double",
        "Lab results deposited twice",
        "Lab results deposited in the month for a patient who already had a result of the same type "
        "deposited earlier in the same calendar month (new versions excluded): a proxy for duplicate tests.",
        "Résultats de biologie déposés dans le mois pour un patient ayant déjà un résultat du même type "
        "déposé plus tôt dans le même mois (nouvelles versions exclues) : indicateur d'examens redondants.",
        Unit.DOCUMENTS,
    ),
)

BY_ID = {definition.id: definition for definition in DEFINITIONS}
