"""The browser-test machinery works: Chromium, the server fixture, axe-core, artifacts."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import PATIENCE
from tests.ui.accessibility import assert_accessible
from tests.ui.server import UiServer

REPO_ROOT = Path(__file__).resolve().parents[2]

UNLABELLED_INPUT = "<html lang=en><title>t</title><body><input type=text></body></html>"
CLEAN_PAGE = (
    "<html lang=en><title>t</title><body><main><h1>Hello</h1>"
    "<label>Name <input type=text></label></main></body></html>"
)
# Content outside any landmark and no <h1>: "moderate" violations only.
MODERATE_ONLY = "<html lang=en><title>t</title><body><p>Hello</p></body></html>"
# The UI's kind of policy: scripts only from the server, so no inline script runs.
STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'"


def test_chromium_renders_the_docs_title_with_javascript(page: Page, ui_server: UiServer) -> None:
    page.goto(ui_server.url("/docs"))

    # Swagger UI builds this heading from /openapi.json; the served HTML has none.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Syncline")


def test_assert_accessible_fails_listing_each_serious_or_critical_violation(page: Page) -> None:
    page.set_content(UNLABELLED_INPUT)

    with pytest.raises(AssertionError) as failure:
        assert_accessible(page)

    message = str(failure.value)
    assert "- label (critical): Form elements must have labels" in message
    assert '\n    input: <input type="text">' in message


def test_assert_accessible_passes_a_clean_page(page: Page) -> None:
    page.set_content(CLEAN_PAGE)

    assert_accessible(page)


def test_assert_accessible_passes_a_page_with_moderate_violations_only(page: Page) -> None:
    page.set_content(MODERATE_ONLY)

    assert_accessible(page)

    impacts = page.evaluate("async () => (await axe.run()).violations.map(v => v.impact)")
    assert impacts
    assert set(impacts) <= {"moderate", "minor"}


def test_assert_accessible_checks_a_page_under_its_strict_csp(page: Page) -> None:
    def serve(route: Route) -> None:
        route.fulfill(
            content_type="text/html",
            headers={"Content-Security-Policy": STRICT_CSP},
            body=UNLABELLED_INPUT.replace(
                "<body>", "<body><script>document.title = 'inline script ran'</script>"
            ),
        )

    page.route("http://csp.test/", serve)
    page.goto("http://csp.test/")

    with pytest.raises(AssertionError, match=r"- label \(critical\)"):
        assert_accessible(page)
    assert page.title() == "t"


def test_only_failed_browser_tests_leave_a_screenshot_and_a_trace(tmp_path: Path) -> None:
    output = tmp_path / "artifacts"

    # Only --output is given: screenshots and traces come from the addopts in pyproject.toml.
    env = {name: value for name, value in os.environ.items() if name != "PYTEST_ADDOPTS"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/ui/artifacts_probe.py",
            f"--output={output}",
            "-p",
            "no:cacheprovider",
            "-q",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=False,
    )

    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 1 passed" in run.stdout, run.stdout
    kept = sorted(path.relative_to(output).as_posix() for path in output.rglob("*"))
    failed = "tests-ui-artifacts-probe-py-test-fails-with-a-page-open-chromium"
    assert kept == [failed, f"{failed}/test-failed-1.png", f"{failed}/trace.zip"]
    with zipfile.ZipFile(output / failed / "trace.zip") as trace:
        assert any(name.endswith(".trace") for name in trace.namelist())
