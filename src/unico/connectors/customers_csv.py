"""Legacy customer files as CSV (``unico import customers FILE``).

Columns (any order; each optional, but a file needs a name or an identifier column). Header
names are matched case-insensitively, with spaces and dashes read as underscores, and these
aliases (English and Italian, as CRM exports name them):

    first_name     given_name, firstname, forename, name, nome
    last_name      surname, lastname, family_name, cognome
    email          e_mail, email_address, mail
    phone          telephone, phone_number, mobile, mobile_phone, tel, telefono, cellulare
    date_of_birth  dob, birthday, birth_date, birthdate, data_di_nascita, data_nascita
    address        address_1, address_line_1, street, street_address, indirizzo
    postcode       postal_code, zip, zip_code, zipcode, cap
    city           suburb, town, locality, citta, comune
    loyalty_card   card, loyalty, card_number, loyalty_card_number, tessera, carta_fedelta
    erp_id         customer_number, customer_id, erp_customer_id, codice_cliente

Commas or semicolons (as Italian spreadsheets save CSV) separate the columns, whichever the
header uses more; the text is UTF-8, or Windows-1252 when it is not valid UTF-8. A header with
an unknown column, a column named twice, or neither a name nor an identifier column refuses the
whole file before anything is imported. Bad rows are reported by line number
(the header is line 1) and the valid rows are imported (see ``unico.customers.imports``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

from rich.console import Console

from unico.connectors.progress import import_progress
from unico.core.db import Database
from unico.core.errors import UnicoError, ValidationFailed
from unico.customers.imports import IDENTIFIER_FIELDS, NAME_FIELDS, CustomerImportReport, import_customers

ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("given_name", "firstname", "forename", "name", "nome"),
    "last_name": ("surname", "lastname", "family_name", "cognome"),
    "email": ("e_mail", "email_address", "mail"),
    "phone": ("telephone", "phone_number", "mobile", "mobile_phone", "tel", "telefono", "cellulare"),
    "date_of_birth": ("dob", "birthday", "birth_date", "birthdate", "data_di_nascita", "data_nascita"),
    "address": ("address_1", "address_line_1", "street", "street_address", "indirizzo"),
    "postcode": ("postal_code", "zip", "zip_code", "zipcode", "cap"),
    "city": ("suburb", "town", "locality", "citta", "comune"),
    "loyalty_card": ("card", "loyalty", "card_number", "loyalty_card_number", "tessera", "carta_fedelta"),
    "erp_id": ("customer_number", "customer_id", "erp_customer_id", "codice_cliente"),
}
COLUMN_OF = {alias: column for column, aliases in ALIASES.items() for alias in (column, *aliases)}
_SEPARATORS = re.compile(r"[\s\-]+")


def canonical_header(name: str) -> str | None:
    """The column a header name stands for, or None if unknown."""
    key = _SEPARATORS.sub("_", name.strip().lower()).replace("à", "a")
    return COLUMN_OF.get(key)


def read_customer_rows(path: Path) -> tuple[list[tuple[int, dict[str, str]]], str]:
    """The data rows (canonical column names) with their line numbers, and the file digest."""
    raw = path.read_bytes()
    text = _decode(raw)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    with io.StringIO(text, newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        header = next(reader, [])
        columns = _check_header(header)
        rows = []
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            row = {c: v.strip() for c, v in zip(columns, values, strict=False)}
            if len(values) > len(columns):
                row["__extra__"] = "yes"
            rows.append((reader.line_num, row))
    return rows, hashlib.sha256(raw).hexdigest()[:16]


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1252: what spreadsheets save by default."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(
        "the file is neither UTF-8 nor Windows-1252 text", code="import.bad_encoding", field="file"
    )


def _check_header(header: list[str]) -> list[str]:
    names = [h.strip() for h in header]
    unknown = [h for h in names if canonical_header(h) is None]
    if unknown or not names:
        problem = f"unknown columns {unknown}" if unknown else "no header"
        raise ValidationFailed(f"bad header: {problem}", code="import.bad_header", field="header")
    columns = [c for h in names if (c := canonical_header(h)) is not None]
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        raise ValidationFailed(
            f"bad header: columns named twice {twice}", code="import.bad_header", field="header"
        )
    if not set(columns) & {*NAME_FIELDS, *IDENTIFIER_FIELDS}:
        raise ValidationFailed(
            "bad header: no name and no identifier column", code="import.bad_header", field="header"
        )
    return columns


def run_customer_import(
    db: Database, path: Path, *, console: Console, actor: str, report_path: Path | None = None
) -> int:
    """The CLI use: progress bar, summary, rejected rows.

    Exit code 0: every row imported; 1: some rows rejected (the valid ones are imported);
    2: the file was refused whole (bad header), nothing imported.
    """
    try:
        rows, digest = read_customer_rows(path)
    except UnicoError as exc:
        console.print(f"[red]file refused[/red] {exc.code}: {exc.message} — nothing was imported")
        return 2
    with import_progress(console, path.name, len(rows)) as advance:
        report = import_customers(
            db, rows, filename=path.name, digest=digest, actor=actor, on_progress=advance
        )
    print_report(console, report)
    if report_path is not None:
        write_rejections(report_path, report)
        console.print(f"rejected rows written to {report_path}")
    return 1 if report.rejected else 0


def write_rejections(path: Path, report: CustomerImportReport) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["line", "code", "reason"])
        writer.writerows((r.line, r.code, r.reason) for r in report.rejected)


def print_report(console: Console, report: CustomerImportReport) -> None:
    console.print(f"import {report.import_id}: {report.rows} rows")
    for label, count in (
        ("created", report.created),
        ("matched by identifier", report.matched_by_identifier),
        ("merged automatically", report.merged_automatically),
        ("sent to review", report.sent_to_review),
        ("rejected", len(report.rejected)),
    ):
        console.print(f"  {label + ':':<23}{count:>7}")
    for rejected in report.rejected[:50]:
        console.print(f"  line {rejected.line}: {rejected.code} — {rejected.reason}")
    if len(report.rejected) > 50:
        console.print(f"  … and {len(report.rejected) - 50} more")
