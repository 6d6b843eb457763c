"""French words of the benchmark's dataset: names, document titles and bodies,
message threads and reimbursed acts.

Bodies are assembled from sentences with varied values, so that the search
vectors hold a realistic French medical vocabulary (a few hundred words per
document, each document different) without costing more than a join per
document to generate.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


GIVEN_NAMES_F = _words(
    "Nadia Camille Léa Manon Chloé Inès Sarah Julie Emma Louise Jeanne Alice Lucie Claire Hélène "
    "Sophie Anne Marie Isabelle Nathalie Catherine Françoise Monique Élodie Aurélie Céline Margaux "
    "Yasmine Fatima Amina Zoé Agathe Mathilde Juliette Pauline Océane Laurence Sylvie Brigitte"
)
GIVEN_NAMES_M = _words(
    "Thomas Lucas Hugo Louis Nathan Gabriel Jules Arthur Paul Pierre Jean Michel Philippe Alain "
    "Bernard Patrick Nicolas Julien Antoine Mathieu Maxime Karim Mehdi Youssef Olivier François "
    "Sébastien Guillaume Laurent Christophe Éric Didier Raphaël Théo Adam Noah Léo Bruno Hervé"
)
FAMILY_NAMES = _words(
    "Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefebvre "
    "Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent "
    "Muller Lefèvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand "
    "Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Gautier Masson "
    "Marchand Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun Blanchard Giraud "
    "Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche Renard Schmitt Roy "
    "Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier "
    "Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Leclercq Guillaume Lecomte Haddad "
    "Benali Nguyen Diallo Traoré Mendy Dasilva Ferreira Lopez Sanchez Moulin Carpentier Hubert"
)
CITIES = _words(
    "Paris Marseille Lyon Toulouse Nice Nantes Montpellier Strasbourg Bordeaux Lille Rennes Reims "
    "Toulon Grenoble Dijon Angers Nîmes Brest Limoges Tours Amiens Perpignan Metz Besançon Orléans "
    "Rouen Mulhouse Caen Nancy Avignon Poitiers Pau Valence Quimper Ajaccio Bastia Annecy Chambéry"
)


@dataclass(frozen=True, slots=True)
class Profession:
    profession: str
    specialty: str | None
    title: str | None
    organization_kind: str
    weight: int


PROFESSIONS = (
    Profession("physician", "general medicine", "Dr", "PRIVATE_PRACTICE", 30),
    Profession("physician", "cardiology", "Dr", "PRIVATE_PRACTICE", 5),
    Profession("physician", "endocrinology", "Dr", "ESTABLISHMENT", 4),
    Profession("physician", "pneumology", "Dr", "ESTABLISHMENT", 3),
    Profession("physician", "radiology", "Dr", "ESTABLISHMENT", 4),
    Profession("physician", "gynaecology", "Dr", "PRIVATE_PRACTICE", 4),
    Profession("physician", "paediatrics", "Dr", "PRIVATE_PRACTICE", 3),
    Profession("physician", "dermatology", "Dr", "PRIVATE_PRACTICE", 2),
    Profession("physician", "emergency medicine", "Dr", "ESTABLISHMENT", 3),
    Profession("biologist", "medical biology", "Dr", "LABORATORY", 3),
    Profession("pharmacist", None, "Dr", "PHARMACY", 10),
    Profession("nurse", None, None, "PRIVATE_PRACTICE", 12),
    Profession("physiotherapist", None, None, "PRIVATE_PRACTICE", 7),
    Profession("dietitian", None, None, "PRIVATE_PRACTICE", 3),
    Profession("midwife", None, None, "ESTABLISHMENT", 3),
    Profession("dentist", None, "Dr", "PRIVATE_PRACTICE", 4),
)

ORGANIZATION_NAMES = {
    "PRIVATE_PRACTICE": ("Cabinet médical", "Maison de santé pluriprofessionnelle", "Centre de santé"),
    "PHARMACY": ("Pharmacie du Centre", "Pharmacie de la Gare", "Grande Pharmacie"),
    "LABORATORY": ("Laboratoire de biologie médicale", "Biopôle", "Laboratoire d'analyses"),
    "ESTABLISHMENT": ("Centre hospitalier", "Clinique", "Hôpital privé", "CHU"),
    "MEDICO_SOCIAL": ("EHPAD", "Service de soins infirmiers à domicile"),
}

# Document types (LOINC, api/dossier/document_types.toml) with their share of a dossier
# and titles; lab results come from laboratories' feeds.
DOCUMENT_TYPES: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    (
        "11502-2",
        22,
        (
            "Bilan sanguin complet",
            "Hémoglobine glyquée (HbA1c)",
            "Bilan lipidique",
            "Numération formule sanguine",
            "Bilan thyroïdien (TSH)",
            "Créatininémie et DFG",
            "Bilan hépatique",
            "Ferritine et bilan martial",
        ),
    ),
    (
        "11488-4",
        20,
        (
            "Compte rendu de consultation",
            "Consultation de suivi",
            "Consultation de cardiologie",
            "Consultation d'endocrinologie",
            "Consultation de pneumologie",
            "Consultation de dermatologie",
        ),
    ),
    (
        "57833-6",
        16,
        ("Ordonnance", "Ordonnance de renouvellement", "Ordonnance de kinésithérapie", "Ordonnance bizone"),
    ),
    (
        "18748-4",
        8,
        (
            "Radiographie thoracique",
            "Échographie abdominale",
            "IRM du genou",
            "Scanner thoracique",
            "Mammographie de dépistage",
            "Échographie cardiaque",
        ),
    ),
    ("60593-1", 8, ("Dispensation en officine", "Délivrance de médicaments")),
    ("34108-1", 6, ("Note de suivi infirmier", "Séance de kinésithérapie", "Suivi diététique")),
    ("11490-0", 4, ("Lettre de liaison de sortie", "Compte rendu d'hospitalisation")),
    ("15507-7", 3, ("Passage aux urgences", "Compte rendu des urgences")),
    ("11369-6", 4, ("Vaccination antigrippale", "Rappel diphtérie-tétanos-polio", "Vaccination COVID-19")),
    ("18776-5", 3, ("Plan de soins", "Plan personnalisé de santé")),
    ("60591-5", 2, ("Synthèse médicale", "Volet de synthèse médicale")),
    ("11504-8", 1, ("Compte rendu opératoire", "Cholécystectomie sous cœlioscopie")),
    ("11526-1", 1, ("Compte rendu d'anatomopathologie", "Examen histologique")),
    ("34133-9", 2, ("Synthèse d'épisode de soins",)),
)

_COMMON = (
    "Patient{e} vu{e} ce jour en consultation pour le suivi de {condition}.",
    "Antécédents : {condition}, {condition2}.",
    "Traitement en cours : {drug} {dose} mg, {frequency}.",
    "Tension artérielle mesurée à {systolic}/{diastolic} mmHg, "
    "fréquence cardiaque {pulse} battements par minute.",
    "Poids {weight} kg pour une taille de {height} cm, indice de masse corporelle stable.",
    "Pas de fièvre, pas de douleur thoracique, pas de dyspnée d'effort.",
    "L'examen clinique est sans particularité : auscultation cardio-pulmonaire normale.",
    "Le patient signale une fatigue modérée depuis {weeks} semaines, sans perte de poids.",
    "Bonne observance thérapeutique, pas d'effet indésirable rapporté.",
    "Conseils hygiéno-diététiques renouvelés : activité physique régulière et alimentation équilibrée.",
    "Arrêt du tabac encouragé, substituts nicotiniques proposés.",
    "Prochain rendez-vous dans {months} mois avec un bilan biologique préalable.",
    "Allergie connue à la pénicilline, à noter dans le dossier.",
    "Vaccinations à jour selon le calendrier vaccinal en vigueur.",
    "Le patient est orienté vers un confrère {specialist} pour avis spécialisé.",
    "Glycémie capillaire à jeun à {glucose} g/L, contrôle satisfaisant.",
    "Douleurs articulaires du genou droit, soulagées par le paracétamol.",
    "Sommeil de qualité moyenne, pas de syndrome d'apnées du sommeil connu.",
    "Surveillance de la fonction rénale recommandée sous ce traitement.",
    "Pas de modification du traitement de fond à ce stade.",
)
_LAB = (
    "Hémoglobine glyquée HbA1c : {hba1c} % (objectif inférieur à 7 %).",
    "Glycémie à jeun : {glucose} g/L.",
    "Cholestérol total {chol} g/L, LDL-cholestérol {ldl} g/L, HDL-cholestérol {hdl} g/L, "
    "triglycérides {tg} g/L.",
    "Créatininémie {creat} µmol/L, débit de filtration glomérulaire estimé {dfg} mL/min/1,73 m².",
    "Hémoglobine {hb} g/dL, leucocytes {wbc} G/L, plaquettes {plt} G/L.",
    "TSH ultrasensible : {tsh} mUI/L, dans les valeurs de référence.",
    "Transaminases ASAT et ALAT normales, gamma-GT {ggt} UI/L.",
    "Ferritine {ferritin} µg/L, coefficient de saturation de la transferrine normal.",
    "Protéine C réactive inférieure à 5 mg/L, pas de syndrome inflammatoire.",
    "Prélèvement réalisé à jeun au laboratoire, résultats validés par le biologiste.",
    "Valeurs antérieures rappelées pour comparaison, évolution favorable.",
    "Natrémie {na} mmol/L, kaliémie {k} mmol/L.",
)
_IMAGING = (
    "Technique : acquisition sans injection de produit de contraste.",
    "Pas d'anomalie parenchymateuse pulmonaire décelable, pas d'épanchement pleural.",
    "Silhouette cardiaque de taille normale, coupoles diaphragmatiques régulières.",
    "Foie de taille normale, d'échostructure homogène, voies biliaires non dilatées.",
    "Lésion méniscale interne de grade {grade}, sans épanchement articulaire.",
    "Absence d'image suspecte, classification ACR {acr}.",
    "Conclusion : examen dans les limites de la normale, contrôle à prévoir dans {months} mois.",
    "Fraction d'éjection ventriculaire gauche estimée à {fevg} %.",
)
_PRESCRIPTION = (
    "{drug} {dose} mg : un comprimé {frequency}, pendant {months} mois.",
    "Paracétamol 1 g : un comprimé jusqu'à trois fois par jour si douleur.",
    "Renouvellement du traitement habituel pour {months} mois.",
    "Séances de kinésithérapie : {sessions} séances de rééducation du genou.",
    "Soins infirmiers à domicile : surveillance glycémique et injection d'insuline.",
    "Bandelettes et lancettes pour autosurveillance glycémique.",
    "Ne pas substituer. Ordonnance valable trois mois.",
)
_HOSPITAL = (
    "Hospitalisation du {day} au {day2} dans le service de {service}.",
    "Motif d'admission : {condition} décompensée.",
    "Évolution favorable sous traitement, retour à domicile autorisé.",
    "Traitement de sortie inchangé, à réévaluer par le médecin traitant.",
    "Suivi recommandé en consultation externe dans {weeks} semaines.",
    "Bilan d'entrée sans anomalie notable, électrocardiogramme en rythme sinusal.",
)
SENTENCES = {
    "11502-2": _LAB,
    "18748-4": _IMAGING,
    "57833-6": _PRESCRIPTION,
    "60593-1": _PRESCRIPTION,
    "11490-0": _HOSPITAL,
    "15507-7": _HOSPITAL,
    "11504-8": _HOSPITAL,
    "34133-9": _HOSPITAL,
}
_CONDITIONS = (
    "diabète de type 2",
    "hypertension artérielle",
    "asthme",
    "bronchopneumopathie chronique obstructive",
    "hypercholestérolémie",
    "insuffisance cardiaque",
    "hypothyroïdie",
    "arthrose du genou",
    "fibrillation atriale",
    "insuffisance rénale chronique",
    "dépression",
    "lombalgie chronique",
)
_DRUGS = (
    "Metformine",
    "Ramipril",
    "Amlodipine",
    "Atorvastatine",
    "Lévothyroxine",
    "Bisoprolol",
    "Apixaban",
    "Furosémide",
    "Sertraline",
    "Oméprazole",
)
_SPECIALISTS = ("cardiologue", "endocrinologue", "pneumologue", "rhumatologue", "néphrologue", "dermatologue")
_SERVICES = ("cardiologie", "médecine interne", "pneumologie", "chirurgie viscérale", "gériatrie")
_FREQUENCIES = ("matin et soir", "le matin", "le soir au coucher", "trois fois par jour")


def _fill(template: str, rng: random.Random) -> str:
    values = {
        "e": "",
        "condition": rng.choice(_CONDITIONS),
        "condition2": rng.choice(_CONDITIONS),
        "drug": rng.choice(_DRUGS),
        "dose": rng.choice((5, 10, 20, 40, 50, 100, 500, 850, 1000)),
        "frequency": rng.choice(_FREQUENCIES),
        "systolic": rng.randint(110, 165),
        "diastolic": rng.randint(65, 95),
        "pulse": rng.randint(55, 95),
        "weight": rng.randint(48, 110),
        "height": rng.randint(150, 192),
        "weeks": rng.randint(2, 12),
        "months": rng.choice((1, 3, 6, 12)),
        "specialist": rng.choice(_SPECIALISTS),
        "glucose": f"{rng.uniform(0.8, 1.6):.2f}".replace(".", ","),
        "hba1c": f"{rng.uniform(5.2, 9.0):.1f}".replace(".", ","),
        "chol": f"{rng.uniform(1.5, 2.8):.2f}".replace(".", ","),
        "ldl": f"{rng.uniform(0.7, 1.9):.2f}".replace(".", ","),
        "hdl": f"{rng.uniform(0.35, 0.9):.2f}".replace(".", ","),
        "tg": f"{rng.uniform(0.5, 2.5):.2f}".replace(".", ","),
        "creat": rng.randint(50, 140),
        "dfg": rng.randint(35, 110),
        "hb": f"{rng.uniform(11, 16.5):.1f}".replace(".", ","),
        "wbc": f"{rng.uniform(4, 10):.1f}".replace(".", ","),
        "plt": rng.randint(150, 400),
        "tsh": f"{rng.uniform(0.5, 4.5):.2f}".replace(".", ","),
        "ggt": rng.randint(10, 80),
        "ferritin": rng.randint(20, 300),
        "na": rng.randint(135, 145),
        "k": f"{rng.uniform(3.5, 5.0):.1f}".replace(".", ","),
        "grade": rng.randint(1, 3),
        "acr": rng.randint(1, 2),
        "fevg": rng.randint(40, 70),
        "sessions": rng.choice((10, 15, 20)),
        "service": rng.choice(_SERVICES),
        "day": f"{rng.randint(1, 14)}/{rng.randint(1, 12):02d}",
        "day2": f"{rng.randint(15, 28)}/{rng.randint(1, 12):02d}",
    }
    return template.format(**values)


class SentenceBank:
    """Each template rendered in several variants once; a body is then a draw of variants."""

    def __init__(self, rng: random.Random, variants: int = 12) -> None:
        self._common = [_fill(t, rng) for t in _COMMON for _ in range(variants)]
        self._specific = {
            code: [_fill(t, rng) for t in templates for _ in range(variants)]
            for code, templates in SENTENCES.items()
        }

    def body(self, type_code: str, rng: random.Random) -> str:
        """A document's extracted text: 150 to 300 words."""
        specific = self._specific.get(type_code, ())
        count = rng.randint(12, 24)
        own = rng.choices(specific, k=count * 2 // 3) if specific else []
        return " ".join(own + rng.choices(self._common, k=count - len(own)))


THREAD_SUBJECTS = (
    "Résultats de votre bilan sanguin",
    "Renouvellement d'ordonnance",
    "Suite de notre consultation",
    "Compte rendu d'imagerie",
    "Question sur votre traitement",
    "Rendez-vous de contrôle",
    "Vaccination antigrippale",
    "Suivi de votre tension artérielle",
)
PROFESSIONAL_MESSAGES = (
    "Bonjour, vos résultats sont arrivés : ils sont rassurants, nous en parlerons au prochain rendez-vous.",
    "Bonjour, pensez à faire votre prise de sang à jeun avant notre consultation.",
    "Votre ordonnance est renouvelée, vous pouvez la retrouver dans votre dossier.",
    "Merci de me transmettre vos relevés de tension de la semaine.",
    "Le compte rendu de l'échographie est normal, aucun examen complémentaire n'est nécessaire.",
    "Je vous propose de diminuer la dose le soir et de me tenir informé de l'évolution.",
)
PATIENT_MESSAGES = (
    "Bonjour docteur, merci pour votre retour.",
    "Bonjour, j'ai oublié de vous demander si je peux continuer le paracétamol.",
    "Voici mes relevés : 13/8 le matin, 12/7 le soir.",
    "Je ressens encore un peu de fatigue, est-ce normal avec le nouveau traitement ?",
    "Merci, je prends rendez-vous pour le mois prochain.",
)


@dataclass(frozen=True, slots=True)
class Act:
    """A reimbursed act at 2026 tariffs (cents): CCAM, NGAP or a CIP code."""

    code: str
    label: str
    category: str
    charged: int
    base: int
    rate: int
    participation_forfaitaire: int = 0
    franchise: int = 0
    weight: int = 1


ACTS = (
    Act("G", "Consultation médecin généraliste", "CONSULTATION", 3000, 3000, 70, 200, 0, 30),
    Act("APC", "Avis ponctuel de consultant", "CONSULTATION", 6000, 5600, 70, 200, 0, 3),
    Act("CSC", "Consultation cardiologie", "CONSULTATION", 4700, 4700, 70, 200, 0, 4),
    Act("DEQP003", "Électrocardiogramme", "CONSULTATION", 1426, 1426, 70, 0, 0, 3),
    Act("1577", "Hémoglobine glyquée (HbA1c)", "BIOLOGY", 810, 810, 60, 200, 0, 6),
    Act("0323", "Bilan lipidique", "BIOLOGY", 1080, 1080, 60, 200, 0, 6),
    Act("1104", "Numération formule sanguine", "BIOLOGY", 756, 756, 60, 200, 0, 6),
    Act("3400930000000", "Metformine 1000 mg, 3 boîtes", "PHARMACY", 1350, 1350, 65, 0, 300, 12),
    Act("3400935000000", "Atorvastatine 20 mg, 1 boîte", "PHARMACY", 1020, 1020, 65, 0, 100, 10),
    Act("3400936100000", "Paracétamol 1 g, 1 boîte", "PHARMACY", 218, 218, 65, 0, 100, 10),
    Act("ZBQK002", "Radiographie du thorax", "IMAGING", 2128, 2128, 70, 200, 0, 3),
    Act("ZCQM001", "Échographie abdominale", "IMAGING", 5670, 5670, 70, 200, 0, 2),
    Act("AMI1", "Soin infirmier", "PARAMEDICAL", 315, 315, 60, 0, 50, 6),
    Act("AMK8", "Séance de kinésithérapie", "PARAMEDICAL", 1720, 1720, 60, 0, 100, 5),
    Act("HBJD001", "Détartrage", "DENTAL", 2892, 2892, 60, 0, 0, 2),
    Act("2244", "Verres correcteurs", "OPTICAL", 15000, 5, 60, 0, 0, 1),
    Act("GHS", "Hospitalisation de jour", "HOSPITAL", 65000, 65000, 80, 0, 0, 1),
)
