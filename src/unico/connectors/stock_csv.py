"""Stock feeds from POS/ERP systems as CSV (``unico import stock FILE``).

Columns: ``sku``, ``location``, ``quantity`` (required); ``kind`` (default ``count``: the POS
reports what is on the shelf), ``movement_id``, ``reason``, ``reference``, ``to_location``.

Policy: **valid rows are applied, bad rows are reported** by line number and reason, each row in
its own savepoint so one bad row never undoes another. A header with an unknown or missing column
rejects the whole file before anything is applied. Rows without a ``movement_id`` get one made
of the file's digest and the line number, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from unico.access.model import SYSTEM, Principal
from unico.connectors.progress import import_progress
from unico.core.db import Database
from unico.core.errors import UnicoError, ValidationFailed
from unico.inventory.ledger import apply_movement_in
from unico.inventory.model import MovementKind, MovementRequest

REQUIRED = ("sku", "location", "quantity")
OPTIONAL = ("kind", "movement_id", "reason", "reference", "to_location")
CHUNK = 500


@dataclass(frozen=True)
class RejectedRow:
    line: int
    code: str
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    applied: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)


def read_rows(path: Path) -> tuple[list[tuple[int, dict[str, str]]], str]:
    """The data rows with their line numbers (header = line 1), and the file digest."""
    raw = path.read_bytes()
    with io.StringIO(raw.decode("utf-8-sig"), newline="") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in header]
        unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
        if missing or unknown:
            problem = f"missing columns {missing}" if missing else f"unknown columns {unknown}"
            raise ValidationFailed(f"bad header: {problem}", code="import.bad_header", field="header")
        reader.fieldnames = header
        rows = [(reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader]
    return rows, hashlib.sha256(raw).hexdigest()[:12]


def _parse(line: int, row: dict[str, str], digest: str) -> MovementRequest:
    try:
        kind = MovementKind(row.get("kind") or "count")
    except ValueError:
        raise ValidationFailed(f"unknown kind '{row.get('kind')}'", field="kind") from None
    try:
        quantity = int(row["quantity"])
    except ValueError:
        raise ValidationFailed(
            f"quantity '{row['quantity']}' is not a whole number", field="quantity"
        ) from None
    if not row["sku"] or not row["location"]:
        raise ValidationFailed("sku and location are required", field="sku")
    return MovementRequest(
        movement_id=row.get("movement_id") or f"csv:{digest}:{line}",
        sku=row["sku"],
        location=row["location"],
        kind=kind,
        quantity=quantity,
        reason=row.get("reason") or "stock feed",
        reference=row.get("reference", ""),
        to_location=row.get("to_location") or None,
    )


def import_stock(
    db: Database,
    rows: list[tuple[int, dict[str, str]]],
    digest: str,
    principal: Principal = SYSTEM,
    on_progress: Callable[[int], None] = lambda _n: None,
) -> ImportReport:
    """Apply every valid row (one savepoint each, chunks of 500 per transaction)."""
    report = ImportReport(rows=len(rows))
    for chunk in _chunks(rows):
        with db.write() as conn:
            for line, raw in chunk:
                try:
                    with conn.begin_nested():
                        result = apply_movement_in(conn, _parse(line, raw, digest), principal)
                except UnicoError as exc:
                    report.rejected.append(RejectedRow(line, exc.code, exc.message))
                    continue
                if result.applied:
                    report.applied += 1
                else:
                    report.unchanged += 1
        on_progress(len(chunk))
    return report


def _chunks(rows: list[tuple[int, dict[str, str]]]) -> Iterator[list[tuple[int, dict[str, str]]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def write_report(path: Path, report: ImportReport) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["line", "code", "reason"])
        writer.writerows((r.line, r.code, r.reason) for r in report.rejected)


def run_stock_import(db: Database, path: Path, *, report_path: Path | None, console: Console) -> int:
    """The CLI use: progress bar, summary, rejected rows.

    Exit code 0: every row applied; 1: some rows rejected (the valid ones are applied);
    2: the file was refused whole (bad header), nothing applied.
    """
    try:
        rows, digest = read_rows(path)
    except UnicoError as exc:
        console.print(f"[red]file refused[/red] {exc.code}: {exc.message} — nothing was applied")
        return 2
    with import_progress(console, path.name, len(rows)) as advance:
        report = import_stock(db, rows, digest, on_progress=advance)
    console.print(
        f"{report.rows} rows: {report.applied} applied, {report.unchanged} already applied, "
        f"{len(report.rejected)} rejected"
    )
    for rejected in report.rejected[:50]:
        console.print(f"  line {rejected.line}: {rejected.code} — {rejected.reason}")
    if len(report.rejected) > 50:
        console.print(f"  … and {len(report.rejected) - 50} more")
    if report_path is not None:
        write_report(report_path, report)
        console.print(f"rejected rows written to {report_path}")
    return 1 if report.rejected else 0
