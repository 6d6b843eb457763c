"""The profession x document-category matrix, read from matrix.toml."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

MATRIX_FILE = Path(__file__).with_name("matrix.toml")
CATEGORIES = frozenset(
    {
        "REPORT",
        "PRESCRIPTION",
        "LAB_RESULT",
        "IMAGING",
        "DISCHARGE_LETTER",
        "VACCINATION",
        "CERTIFICATE",
        "OTHER",
    }
)


class ProfessionMatrix(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    professions: dict[str, list[str]]

    def model_post_init(self, context: object, /) -> None:
        for profession, categories in self.professions.items():
            unknown = set(categories) - CATEGORIES - {"*"}
            if unknown:
                raise ValueError(f"{profession}: unknown categories {sorted(unknown)}")

    def allows(self, profession: str | None, category: str) -> bool:
        allowed = self.professions.get(profession or "", [])
        return "*" in allowed or category in allowed


@cache
def profession_matrix(path: Path = MATRIX_FILE) -> ProfessionMatrix:
    with path.open("rb") as handle:
        return ProfessionMatrix.model_validate(tomllib.load(handle))
