"""What the rules read: the person's facts and the evidence that something was done.

The persistence layer builds these from the profile (conditions,
vaccinations, measurements), the dossier (documents), the reimbursement
history (acts) and the patient's own marks; the rules never query anything.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Literal


class EvidenceKind(StrEnum):
    DOCUMENT = "DOCUMENT"  # code: the LOINC type of document_types.toml; label: its title
    ACT = "ACT"  # code: the CCAM or NGAP code of a reimbursement line; label: its label
    VACCINATION = "VACCINATION"  # label: the profile entry's label ("Grippe saisonnière")
    MEASUREMENT = "MEASUREMENT"  # code: the measurement kind ("HBA1C")
    MARKED_DONE = "MARKED_DONE"  # code: a rule code, or one occurrence key of it


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: EvidenceKind
    on: date  # the Europe/Paris day of the care, not of the deposit
    code: str | None = None
    label: str = ""
    ref: str | None = None  # opaque to the rules: the id of the row it came from, handed back


@dataclass(frozen=True, slots=True)
class Condition:
    label: str
    code: str | None = None  # ICD-10 when the entry carries one
    since: date | None = None  # the entry's occurred_on


@dataclass(frozen=True, slots=True)
class Person:
    birth_date: date
    sex: Literal["F", "M"] | None  # None: no sex-specific programme is proposed
    conditions: tuple[Condition, ...] = ()


def fold(text: str) -> str:
    """Lower case without accents or ligatures, for keyword matching."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return bare.replace("’", "'").casefold()


@cache
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    # A keyword starts a word: "pneumo" finds "Pneumocoque", "diabete" not "prédiabète".
    return re.compile(r"(?<![a-z0-9])" + re.escape(fold(keyword)))


def mentions(text: str, keywords: tuple[str, ...]) -> bool:
    folded = fold(text)
    return any(_keyword_pattern(keyword).search(folded) for keyword in keywords)
