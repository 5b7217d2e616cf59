"""Browser-test fixtures: Debian's Chromium through pytest-playwright, and a real server.

pytest-playwright provides `page`, `context`, `new_context` and `browser`; this
file points it at the installed Chromium (Playwright never downloads one here),
bounds its waits, and adds `ui_server`. Screenshots and traces of failed tests
go under `test-artifacts/` (the options are in pytest's `addopts` in
pyproject.toml).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from playwright.sync_api import BrowserContext, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

from tests.ui.server import UiServer, ui_serving

CHROMIUM = Path(os.environ.get("SYNCLINE_CHROMIUM") or "/usr/bin/chromium")
"""The browser: Debian's `chromium` (scripts/test.sh installs it), or `SYNCLINE_CHROMIUM`."""

BROWSER_PATIENCE_MS = 60_000
"""Milliseconds an action, a navigation or an `expect` waits for its state before it
fails: a bound against a hang on a loaded 2-core host, never a speed goal. Playwright's
own 5 s for `expect` is too short there."""

expect.set_options(timeout=BROWSER_PATIENCE_MS)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch options (`--headed`, `--slowmo`) on the installed Chromium."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: run ./scripts/test.sh as root (it installs Debian's "
            "chromium), or apt-get install chromium fonts-liberation, or set SYNCLINE_CHROMIUM "
            "to a Chromium binary. Never `playwright install`.",
            pytrace=False,
        )
    return {
        "headless": True,
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        # Chromium's sandbox needs user namespaces, which a container usually lacks,
        # and Chromium refuses to start as root with it. The browser only loads our
        # own test pages, so it runs unsandboxed (Playwright then passes --no-sandbox).
        "chromium_sandbox": False,
        "args": [
            *browser_type_launch_args.get("args", []),
            # Containers give /dev/shm 64 MiB, which a renderer outgrows and then
            # crashes; shared memory goes to /tmp instead. (Debian's launcher adds
            # this too, but only when SYNCLINE_CHROMIUM is that launcher.)
            "--disable-dev-shm-usage",
        ],
    }


@pytest.fixture
def new_context(new_context: CreateContextCallback) -> CreateContextCallback:
    """pytest-playwright's `new_context`, whose contexts wait `BROWSER_PATIENCE_MS`."""

    def bounded(**kwargs: Any) -> BrowserContext:
        context = new_context(**kwargs)
        context.set_default_timeout(BROWSER_PATIENCE_MS)
        context.set_default_navigation_timeout(BROWSER_PATIENCE_MS)
        return context

    return cast(CreateContextCallback, bounded)


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """A `syncline serve` of its own for each test module, empty, with admin key `api_key`.

    One per module keeps the tests of one module from seeing objects another
    created, at the price of a server start (about a second) per module.
    """
    with ui_serving(tmp_path_factory.mktemp("ui-serve")) as server:
        yield server
