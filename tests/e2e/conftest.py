"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, one page per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    # A 10-inch tablet held landscape, as associates use the console.
    context = chromium.new_context(viewport={"width": 1180, "height": 820}, locale="it-IT")
    yield context.new_page()
    context.close()
