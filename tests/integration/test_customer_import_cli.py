"""`unico import customers FILE` as a real command on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from unico.core.db import Database
from unico.customers.store import customer_profiles

FILE = """nome;cognome;email;telefono;data_di_nascita;cap
Maria;Bianchi;maria.bianchi@example.it;333 111 2222;1980-04-02;20121
Maria;Bianchi;MARIA.BIANCHI@example.it;;;20121
Luca;Verdi;;;31/02/1990;10121
"""


def run_import(db: Database, file: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UNICO_DATABASE_URL": db.url, "UNICO_LOG_JSON": "false", "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "unico.cli", "import", "customers", str(file), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def profiles(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(customer_profiles)).scalar_one())


def test_rows_are_imported_stitched_and_bad_ones_reported(db: Database, tmp_path: Path) -> None:
    legacy = tmp_path / "crm.csv"
    legacy.write_text(FILE, encoding="utf-8")
    report = tmp_path / "rejected.csv"
    done = run_import(db, legacy, "--report", str(report))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "3 rows" in done.stdout
    assert profiles(db) == 1  # the second Maria shares her email with the first
    lines = report.read_text().splitlines()
    assert len(lines) == 2 and lines[1].startswith("4,")  # the impossible birth date, by line number


def test_a_bad_header_refuses_the_file(db: Database, tmp_path: Path) -> None:
    legacy = tmp_path / "crm.csv"
    legacy.write_text("nome,colore\nMaria,rosso\n", encoding="utf-8")
    done = run_import(db, legacy)
    assert done.returncode == 2
    assert "file refused" in done.stdout
    assert profiles(db) == 0
