"""A laboratory report as a real PDF: two pages of French text that the
deposit's text extraction (pypdf) reads, padded to the wanted size by an
image, as the logos and fonts of real reports weigh most of their bytes."""

from __future__ import annotations

import random

LINES = (
    "Laboratoire de biologie médicale - Compte rendu d'examens biologiques",
    "Hématologie: numération formule sanguine, hémoglobine 13,8 g/dL, leucocytes 6,2 G/L",
    "Plaquettes 245 G/L; vitesse de sédimentation 12 mm à la première heure",
    "Biochimie: glycémie à jeun 5,4 mmol/L, hémoglobine glyquée HbA1c 6,1 %",
    "Créatinine 78 µmol/L, débit de filtration glomérulaire estimé 92 mL/min/1,73 m²",
    "Bilan lipidique: cholestérol total 5,2 mmol/L, LDL 3,1 mmol/L, HDL 1,4 mmol/L",
    "Triglycérides 1,2 mmol/L; transaminases ASAT 22 UI/L, ALAT 25 UI/L",
    "Thyroïde: TSH 1,9 mUI/L; ferritine 85 µg/L; vitamine D 62 nmol/L",
    "Conclusion: résultats dans les valeurs de référence, à interpréter par le médecin prescripteur",
)


def _escape(line: str) -> bytes:
    text = line.encode("cp1252", errors="replace")
    return text.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _page_text(page: int) -> bytes:
    body = [b"BT /F1 10 Tf 14 TL 40 800 Td"]
    for repeat in range(4):
        for line in LINES:
            body.append(b"(" + _escape(f"{line} [{page}.{repeat}]") + b") '")
    body.append(b"ET")
    return b"\n".join(body)


def lab_report_pdf(size: int = 100_000, *, seed: int = 0) -> bytes:
    """A valid PDF of about `size` bytes (never less than its text needs)."""
    pages = 2
    texts = [_page_text(page + 1) for page in range(pages)]
    padding = max(size - sum(len(text) for text in texts) - 1_500, 0)
    side = max(int(padding**0.5), 1)
    pixels = random.Random(seed).randbytes(side * side)
    # Objects: 1 catalog, 2 pages, 3 font, 4 image, then per page: page, contents.
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(f"{5 + 2 * page} 0 R".encode() for page in range(pages))
        + f"] /Count {pages} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< /Type /XObject /Subtype /Image /Width {side} /Height {side} /ColorSpace /DeviceGray "
        f"/BitsPerComponent 8 /Length {len(pixels)} >>\nstream\n".encode()
        + pixels
        + b"\nendstream",
    ]
    for page, text in enumerate(texts):
        draw = text + (b"\nq 60 0 0 60 480 40 cm /Im1 Do Q" if page == 0 else b"")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> /XObject << /Im1 4 0 R >> >> "
            + f"/Contents {6 + 2 * page} 0 R >>".encode()
        )
        objects.append(f"<< /Length {len(draw)} >>\nstream\n".encode() + draw + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + content + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
