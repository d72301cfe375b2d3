"""Browser tier: a real headless Chromium (the system's, through Playwright for Python)
against the whole platform started by ``tests/platform_fixture.py``.

Playwright's own browser downloads are never used: ``executable_path`` points at
the distribution's Chromium (``./parvis test`` installs it when missing).
"""

import os

import pytest

from tests.platform_fixture import parvis  # noqa: F401  (the session fixture)

CHROMIUM = os.environ.get("PARVIS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ACTION_TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM} (./parvis test installs it; or set PARVIS_TEST_CHROMIUM)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser, parvis):
    """``new_page()`` -> a page in a fresh browser context (its own cookies)."""
    contexts = []

    def make(locale: str = "en-GB"):
        context = browser.new_context(base_url=parvis.base_url, locale=locale)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def pytest_configure(config):
    # nameko's standalone RPC client imports eventlet (without patching anything here)
    config.addinivalue_line("filterwarnings", r"ignore:\s*Eventlet is deprecated")
