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
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # While Playwright's event loop runs in this thread, Django keeps the thread's database connections apart
        # (asgiref's Local stores them per context when a loop is running): the test's own ORM calls opened one
        # there that pytest-django never sees. Closed here, before the loop stops; left open it outlived the test
        # and held the test database when pytest-django dropped it ("Error when trying to teardown").
        connections.close_all()


__all__ = ["CHROMIUM_ARGS", "allow_orm_beside_playwright", "browser"]
