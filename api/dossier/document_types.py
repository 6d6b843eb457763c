"""The document types, read from document_types.toml."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from api.access.matrix import CATEGORIES

TYPES_FILE = Path(__file__).with_name("document_types.toml")


class DocumentType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label_fr: str
    label_en: str
    category: str

    def model_post_init(self, context: object, /) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown category {self.category}")


class DocumentTypes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    types: dict[str, DocumentType]


@cache
def document_types(path: Path = TYPES_FILE) -> DocumentTypes:
    with path.open("rb") as handle:
        return DocumentTypes.model_validate(tomllib.load(handle))
