"""Statement files as the insurer writes them, for the tests."""

from __future__ import annotations

import itertools
from pathlib import Path

from api.reimbursements.feed import CSV_COLUMNS

_lines = itertools.count(1)


def line(ins: str, **fields: str) -> dict[str, str]:
    """A valid GP consultation line (30 €, 70 %, 2 € participation), fields overridden."""
    row = {
        "line_id": f"T-{next(_lines)}",
        "ins": ins,
        "care_date": "2026-03-12",
        "act_code": "G",
        "act_label": "Consultation",
        "category": "CONSULTATION",
        "rpps": "",
        "professional": "Dr Test",
        "charged": "30,00",
        "base": "30,00",
        "rate": "70",
        "reimbursed": "19,00",
        "complementary": "9,00",
        "participation_forfaitaire": "2,00",
        "franchise": "0",
        "out_of_pocket": "2,00",
        "paid_on": "2026-03-15",
        "confidential": "0",
    }
    if "care_date" in fields and "paid_on" not in fields:
        row["paid_on"] = fields["care_date"]  # paid the same day
    return row | fields


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    text = (
        ";".join(CSV_COLUMNS) + "\n" + "".join(";".join(row[c] for c in CSV_COLUMNS) + "\n" for row in rows)
    )
    path.write_text(text, encoding="utf-8")
    return path
