"""What every browser test shares: Debian's Chromium, its flags, the marks of a browser test."""

from __future__ import annotations

import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery"

BROWSER_TEST = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium is not installed"),
    # One backend is enough to prove a browser flow; the HTTP tests cover both.
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]
"""``pytestmark`` of every browser test module."""
