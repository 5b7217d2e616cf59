"""Browser tests for test_browser_setup.py to run in a pytest of their own.

The file name does not match `test_*.py`, so the suite never collects it; the
check that only failed tests leave a screenshot and a trace names it explicitly.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

PAGE = "<html lang=en><title>probe</title><body><main><h1>The probe page</h1></main></body></html>"


def test_fails_with_a_page_open(page: Page) -> None:
    page.set_content(PAGE)
    pytest.fail("the probe fails on purpose")


def test_passes_with_a_page_open(page: Page) -> None:
    page.set_content(PAGE)
