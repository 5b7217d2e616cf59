"""Accessibility checks of a page with axe-core (vendored under `vendor/axe-core/`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_JS = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("critical", "serious")
"""The impacts `assert_accessible` fails on; "moderate" and "minor" ones are left to review."""


@cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def _inject_axe(page: Page) -> None:
    """Define `window.axe` in the page's current document, unless it is there already.

    `page.add_script_tag(path=...)` would insert an inline `<script>`, which a
    Content-Security-Policy like the UI's (`script-src 'self'`) refuses to run;
    `bypass_csp` would lift the policy for the whole test, and the browser tests
    would no longer notice a page that breaks it. `page.evaluate` runs the
    source through the DevTools protocol, which the page's policy does not
    govern, so the page is checked under its real policy.
    """
    if page.evaluate("typeof window.axe === 'undefined'"):
        page.evaluate(_axe_source())


def blocking_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page's current document with a blocking impact.

    Each is axe's own result: `id`, `impact`, `help`, `helpUrl`, and `nodes`,
    each node with its `target` (selectors), `html` and `failureSummary`.
    The page is checked once its `load` event has fired; waiting for the state
    under test (an htmx swap, a dialog) is the caller's job.
    """
    page.wait_for_load_state("load")
    _inject_axe(page)
    results: dict[str, Any] = page.evaluate(
        "() => axe.run(document, { resultTypes: ['violations'] })"
    )
    return [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]


def assert_accessible(page: Page) -> None:
    """Fail unless axe-core finds no serious or critical violation on the page.

    The `AssertionError` lists every such violation: its rule id, impact,
    help text and link, and the selector and markup of each offending element.
    """
    violations = blocking_violations(page)
    if violations:
        raise AssertionError(_describe(page.url, violations))


def _describe(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{len(violations)} serious or critical accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            lines.append(f"    {_selector(node['target'])}: {_shorten(node['html'])}")
    return "\n".join(lines)


def _selector(target: list[str | list[str]]) -> str:
    """axe's target: one selector per frame, each a list when it crosses shadow roots."""
    return " >> ".join(part if isinstance(part, str) else " >>> ".join(part) for part in target)


def _shorten(html: str, limit: int = 160) -> str:
    flat = " ".join(html.split())
    return flat if len(flat) <= limit else f"{flat[: limit - 3]}..."
