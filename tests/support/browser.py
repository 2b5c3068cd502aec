"""Shared fixtures for browser tests: Debian's Chromium through Playwright (never `playwright install`).
Imported by tests/conftest.py; a test asks for `browser`."""

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def allow_orm_beside_playwright(monkeypatch):
    """Playwright's sync API runs an event loop in this thread; the ORM calls here are plain synchronous test
    code. Set for this test only, so no other test (nor a subprocess it starts) inherits it."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser(allow_orm_beside_playwright):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


__all__ = ["CHROMIUM_ARGS", "allow_orm_beside_playwright", "browser"]
