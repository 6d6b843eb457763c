"""The insurer's statement feed, read into checked statement lines.

Two formats: the CSV feed (semicolon-separated, UTF-8, one statement line per
row, amounts in euros with a decimal comma or point) and FHIR R4 Bundles of
ExplanationOfBenefit. Every line is checked on its own (identifiers, dates,
amounts that add up); a problem is reported with its line number (CSV) or
entry number (FHIR), never raised half-way.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from api.directory.identifiers import is_valid_ins
from api.interop import codes
from api.reimbursements.models import CareCategory
from api.timezones import paris_today

CSV_COLUMNS = (
    "line_id",
    "ins",
    "care_date",
    "act_code",
    "act_label",
    "category",
    "rpps",
    "professional",
    "charged",
    "base",
    "rate",
    "reimbursed",
    "complementary",
    "participation_forfaitaire",
    "franchise",
    "out_of_pocket",
    "paid_on",
    "confidential",
)
MAX_CENTS = 1_000_000_00  # a million euros: a line above is an error; a year stays within GraphQL's Int
_LINE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_ACT_CODE = re.compile(r"^[A-Z0-9]{1,16}$")
_RPPS = re.compile(r"^\d{11}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")  # and bidi overrides
_AMOUNT = re.compile(r"^\d{1,9}([.,]\d{1,2})?$")
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
ESPACE_ADJUDICATION = f"{codes.ESPACE_SYSTEM}/adjudication"
CATEGORY_SYSTEM = f"{codes.ESPACE_SYSTEM}/care-category"


class LineError(ValueError):
    """What is wrong with one statement line."""


@dataclass(frozen=True, slots=True)
class StatementLine:
    line_id: str
    ins: str
    care_date: date
    act_code: str
    act_label: str
    category: str
    rpps: str | None
    professional_name: str | None
    charged_cents: int
    base_cents: int
    rate_percent: int
    reimbursed_cents: int
    complementary_cents: int
    participation_forfaitaire_cents: int
    franchise_cents: int
    out_of_pocket_cents: int
    paid_on: date | None
    hidden_from_representatives: bool


# (where in the file, the line or what is wrong with it)
Parsed = tuple[str, StatementLine | LineError]


def cents(value: str | float | int | None, what: str) -> int:
    """Euros as written in the feed ("23,50", "23.5", 23.5) to integer cents, exactly."""
    if value is None or value == "":
        raise LineError(f"{what}: missing amount")
    text = str(value).strip()
    if isinstance(value, float):
        text = format(Decimal(str(value)), "f")
    if not _AMOUNT.match(text):
        raise LineError(f"{what}: {text!r} is not an amount in euros (at most 2 decimals)")
    try:
        amount = int((Decimal(text.replace(",", ".")) * 100).to_integral_exact())
    except InvalidOperation as error:
        raise LineError(f"{what}: {text!r} is not an amount") from error
    if amount > MAX_CENTS:
        raise LineError(f"{what}: {text} € is beyond any care")
    return amount


def _date(value: str | None, what: str, *, required: bool = True) -> date | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise LineError(f"{what}: missing date")
        return None
    wrong = LineError(f"{what}: {text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")
    french = re.fullmatch(r"([0-9]{2})/([0-9]{2})/([0-9]{4})", text)  # the French way, DD/MM/YYYY
    iso = re.fullmatch(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", text)
    if not (french or iso):
        raise wrong
    day, month, year = french.groups() if french else tuple(reversed(iso.groups()))  # type: ignore[union-attr]
    try:
        return date(int(year), int(month), int(day))
    except ValueError as error:
        raise wrong from error


def _words(value: object, what: str) -> str:
    """Free text of the feed, spaces collapsed; control characters (a NUL byte breaks
    PostgreSQL) refused."""
    text = str(value or "")
    if _CONTROL.search(text):
        raise LineError(f"{what}: control characters")
    return " ".join(text.split())[:200]


def checked_line(fields: dict[str, Any]) -> StatementLine:
    """One statement line, or LineError saying what is wrong."""
    line_id = str(fields.get("line_id") or "").strip()
    if not _LINE_ID.match(line_id):
        raise LineError("line_id: 1 to 64 letters, digits or . _ : -")
    ins = str(fields.get("ins") or "").strip().upper()
    if not is_valid_ins(ins):
        raise LineError(f"ins: {ins!r} is not a valid INS")
    care_date = _date(fields.get("care_date"), "care_date")
    assert care_date is not None  # noqa: S101 - required above
    if not date(1900, 1, 1) <= care_date <= paris_today():
        raise LineError(f"care_date: {care_date} is not a past date")
    act_code = str(fields.get("act_code") or "").strip().upper()
    if not _ACT_CODE.match(act_code):
        raise LineError(f"act_code: {act_code!r} is not a CCAM or NGAP code")
    act_label = _words(fields.get("act_label"), "act_label")
    if not act_label:
        raise LineError("act_label: missing")
    category = str(fields.get("category") or "").strip().upper()
    if category not in CareCategory.__members__:
        raise LineError(f"category: {category!r} is none of {', '.join(CareCategory)}")
    rpps = str(fields.get("rpps") or "").strip() or None
    if rpps is not None and not _RPPS.match(rpps):
        raise LineError(f"rpps: {rpps!r} is not an RPPS number (11 digits)")
    rate_text = str(fields.get("rate") if fields.get("rate") is not None else "").strip().rstrip("%").strip()
    if not re.fullmatch(r"[0-9]{1,3}", rate_text) or not 0 <= int(rate_text) <= 100:
        raise LineError(f"rate: {rate_text!r} is not a percentage from 0 to 100")
    amounts = {
        name: cents(fields.get(name), name)
        for name in (
            "charged",
            "base",
            "reimbursed",
            "complementary",
            "participation_forfaitaire",
            "franchise",
            "out_of_pocket",
        )
    }
    if amounts["out_of_pocket"] != amounts["charged"] - amounts["reimbursed"] - amounts["complementary"]:
        raise LineError("amounts do not add up: out_of_pocket must be charged - reimbursed - complementary")
    paid_on = _date(fields.get("paid_on"), "paid_on", required=False)
    if paid_on is not None and paid_on < care_date:
        raise LineError("paid_on: before the care")
    confidential = str(fields.get("confidential") or "").strip().lower()
    if confidential not in {"", "0", "1", "true", "false", "oui", "non"}:
        raise LineError(f"confidential: {confidential!r} is not yes or no")
    professional = _words(fields.get("professional"), "professional") or None
    return StatementLine(
        line_id=line_id,
        ins=ins,
        care_date=care_date,
        act_code=act_code,
        act_label=act_label,
        category=category,
        rpps=rpps,
        professional_name=professional,
        charged_cents=amounts["charged"],
        base_cents=amounts["base"],
        rate_percent=int(rate_text),
        reimbursed_cents=amounts["reimbursed"],
        complementary_cents=amounts["complementary"],
        participation_forfaitaire_cents=amounts["participation_forfaitaire"],
        franchise_cents=amounts["franchise"],
        out_of_pocket_cents=amounts["out_of_pocket"],
        paid_on=paid_on,
        hidden_from_representatives=confidential in {"1", "true", "oui"},
    )


def read_csv(path: Path, progress: Callable[[int], None] | None = None) -> Iterator[Parsed]:
    """Each row as ("line N", line or error); the header is line 1."""
    number = 1
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=";")
            header = [name.strip().lower() for name in next(reader, [])]
            missing = [name for name in CSV_COLUMNS if name not in header]
            if missing:
                yield "line 1", LineError(f"the header lacks {', '.join(missing)}")
                return
            for number, row in enumerate(reader, start=2):
                yield from _csv_row(number, header, row, progress)
    except UnicodeDecodeError:
        yield f"line {number + 1}", LineError("not UTF-8 text (the feed is UTF-8)")
    except csv.Error as error:
        yield f"line {number + 1}", LineError(f"not CSV: {error}")


def _csv_row(
    number: int, header: list[str], row: list[str], progress: Callable[[int], None] | None
) -> Iterator[Parsed]:
    """One row of the CSV feed, or nothing for a blank row."""
    if progress is not None and number % 1000 == 0:
        progress(number)
    if not any(cell.strip() for cell in row):
        return
    if len(row) != len(header):
        yield f"line {number}", LineError(f"{len(row)} fields where the header has {len(header)}")
        return
    try:
        yield f"line {number}", checked_line(dict(zip(header, row, strict=True)))
    except LineError as error:
        yield f"line {number}", error


def read_eob_bundle(path: Path) -> Iterator[Parsed]:
    """Each ExplanationOfBenefit of a FHIR R4 Bundle as ("entry N", line or error)."""
    try:
        data = json.loads(path.read_bytes())
        Bundle.model_validate(data)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        yield "file", LineError(f"not a valid FHIR R4 Bundle: {where}: {problem['msg']}")
        return
    except (ValueError, RecursionError):
        yield "file", LineError("not JSON")
        return
    entries = [entry.get("resource") or {} for entry in data.get("entry") or []]
    by_reference = {}
    for entry in data.get("entry") or []:
        resource = entry.get("resource") or {}
        by_reference[f"{resource.get('resourceType')}/{resource.get('id')}"] = resource
        if entry.get("fullUrl"):
            by_reference[entry["fullUrl"]] = resource
    for number, resource in enumerate(entries, start=1):
        if resource.get("resourceType") != "ExplanationOfBenefit":
            continue
        try:
            yield f"entry {number}", checked_line(_eob_fields(resource, by_reference))
        except LineError as error:
            yield f"entry {number}", error


def _eob_fields(eob: dict[str, Any], by_reference: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """An ExplanationOfBenefit as the fields of a CSV line."""
    patient = by_reference.get((eob.get("patient") or {}).get("reference") or "", {})
    ins = next(
        (i.get("value") for i in patient.get("identifier") or [] if i.get("system") == codes.INS_SYSTEM), None
    )
    provider = by_reference.get((eob.get("provider") or {}).get("reference") or "", {})
    idnps = next(
        (
            str(i.get("value"))
            for i in provider.get("identifier") or []
            if i.get("system") == codes.IDNPS_SYSTEM
        ),
        None,
    )
    items = eob.get("item") or []
    if len(items) != 1:
        raise LineError("an ExplanationOfBenefit carries one statement line (one item)")
    item = items[0]
    act = next(iter((item.get("productOrService") or {}).get("coding") or []), {})
    category = next(
        (
            c.get("code")
            for c in (item.get("category") or {}).get("coding") or []
            if c.get("system") == CATEGORY_SYSTEM
        ),
        None,
    )
    amounts: dict[str, Any] = {}
    for adjudication in item.get("adjudication") or []:
        for coding in (adjudication.get("category") or {}).get("coding") or []:
            name = _ADJUDICATIONS.get((coding.get("system"), coding.get("code")))
            if name == "rate":
                rate = adjudication.get("value")
                amounts[name] = (
                    int(rate) if isinstance(rate, int | float) and float(rate).is_integer() else rate
                )
            elif name is not None:
                amounts[name] = (adjudication.get("amount") or {}).get("value")
    labels = {(c.get("system"), c.get("code")) for c in (eob.get("meta") or {}).get("security") or []}
    names = provider.get("name") or [{}]
    return {
        "line_id": next((i.get("value") for i in eob.get("identifier") or []), None),
        "ins": ins,
        "care_date": item.get("servicedDate") or (eob.get("billablePeriod") or {}).get("start"),
        "act_code": act.get("code"),
        "act_label": act.get("display"),
        "category": category,
        "rpps": idnps[1:] if idnps and len(idnps) == 12 and idnps.startswith("8") else idnps,
        "professional": names[0].get("text") if isinstance(names, list) and names else None,
        "paid_on": (eob.get("payment") or {}).get("date"),
        "confidential": "1" if codes.SECURITY_LABELS_BY_CODE["INVISIBLE_REP_LEGAUX"] in labels else "",
        **amounts,
    }


_ADJUDICATIONS = {
    (ADJUDICATION, "submitted"): "charged",
    (ADJUDICATION, "eligible"): "base",
    (ADJUDICATION, "eligpercent"): "rate",
    (ADJUDICATION, "benefit"): "reimbursed",
    (ESPACE_ADJUDICATION, "complementary"): "complementary",
    (ESPACE_ADJUDICATION, "participation-forfaitaire"): "participation_forfaitaire",
    (ESPACE_ADJUDICATION, "franchise"): "franchise",
    (ESPACE_ADJUDICATION, "out-of-pocket"): "out_of_pocket",
}
