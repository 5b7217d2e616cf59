"""405 answers name every method the path accepts."""

from __future__ import annotations

import re

from syncline.api.route_table import operations
from syncline.ui.errors import is_ui_path
from tests.api.conftest import Org

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def _accepted(org: Org, path: str) -> set[str]:
    """Every method some API route serves `path` with."""
    return {
        method
        for operation in operations(org.server.app)
        if operation.path_regex.match(path)
        for method in operation.methods
    }


def test_405_allows_every_method_the_path_accepts(org: Org) -> None:
    checked = 0
    for operation in operations(org.server.app):
        path = re.sub(r"\{[^}]+\}", "x", operation.path)
        accepted = _accepted(org, path)
        for method in sorted(METHODS - accepted):
            response = org.client.request(method, path)
            assert response.status_code == 405, (method, path, response.text)
            allowed = {m.strip() for m in response.headers["Allow"].split(",")}
            assert allowed == accepted, (method, path)
            if is_ui_path(path):
                assert "cannot be used that way" in response.text
            else:
                assert response.json()["key"] == "method_not_allowed"
            checked += 1
    assert checked > 20


def test_405_on_a_path_of_two_routes_names_both(org: Org) -> None:
    response = org.client.patch("/api/connections")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
