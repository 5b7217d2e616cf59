"""The UI's pages: every one declares its lowest role, refuses roles below it with
403 before it looks at ids or the form, and never answers 500 to odd input.

`PAGES` is the table of pages x roles; a page the app serves without a row, or
a row it does not serve, fails the suite. Each row is then called by a signed-in
viewer, user and admin of a fresh organization, with the session's CSRF token.
"""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient

from syncline.api.route_table import operations
from syncline.ui.errors import is_ui_path
from tests.api.conftest import Org, Server, add_member
from tests.ui.signin import page_token, signed_in

VIEWER, USER, ADMIN = "viewer", "user", "admin"
ANYONE = "anyone"

PAGES: dict[tuple[str, str], str] = {
    ("GET", "/signin"): ANYONE,
    ("POST", "/signin"): ANYONE,
    ("POST", "/signout"): VIEWER,
    ("GET", "/"): VIEWER,
    ("GET", "/syncs/new"): USER,
    ("POST", "/syncs/new"): USER,
    ("GET", "/syncs/{sync_id}"): VIEWER,
    ("GET", "/syncs/{sync_id}/progress"): VIEWER,
    ("GET", "/syncs/{sync_id}/history"): VIEWER,
    ("POST", "/syncs/{sync_id}/start"): USER,
    ("POST", "/syncs/{sync_id}/cancel"): USER,
    ("POST", "/syncs/{sync_id}/active"): USER,
    ("POST", "/syncs/{sync_id}/schedule"): USER,
    ("POST", "/syncs/{sync_id}/error-handling"): USER,
    ("GET", "/syncs/{sync_id}/executions/{execution_id}"): VIEWER,
    ("GET", "/models"): VIEWER,
    ("POST", "/models"): USER,
    ("GET", "/models/new"): USER,
    ("POST", "/models/preview"): USER,
    ("GET", "/models/{model_id}"): VIEWER,
    ("GET", "/models/{model_id}/edit"): USER,
    ("POST", "/models/{model_id}/edit"): USER,
    ("POST", "/models/{model_id}/delete"): USER,
    ("GET", "/connections"): VIEWER,
    ("GET", "/connections/new"): USER,
    ("POST", "/connections/new"): USER,
    ("POST", "/connections/test"): USER,
    ("GET", "/connections/{connection_id}"): VIEWER,
    ("POST", "/connections/{connection_id}/test"): USER,
    ("GET", "/connections/{connection_id}/edit"): USER,
    ("POST", "/connections/{connection_id}/edit"): USER,
    ("POST", "/connections/{connection_id}/delete"): USER,
    ("GET", "/settings"): VIEWER,
    ("POST", "/settings/organization"): ADMIN,
    ("POST", "/settings/users"): ADMIN,
    ("POST", "/settings/keys"): ADMIN,
    ("GET", "/settings/keys/{key_id}/revoke"): ADMIN,
    ("POST", "/settings/keys/{key_id}/revoke"): ADMIN,
}
RANK = {VIEWER: 0, USER: 1, ADMIN: 2}


def _pages(server: Server) -> set[tuple[str, str]]:
    return {
        (method, route.path)
        for route in operations(server.app)
        for method in route.methods
        if method != "HEAD" and is_ui_path(route.path)
    }


def test_the_pages_table_lists_exactly_the_pages_the_app_serves(server: Server) -> None:
    served = _pages(server)
    assert sorted(served - set(PAGES)) == [], "pages without a row in PAGES"
    assert sorted(set(PAGES) - served) == [], "rows of PAGES the app does not serve"


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


def test_every_page_refuses_roles_below_its_lowest_and_admits_the_rest(org: Org) -> None:
    clients: dict[str, TestClient] = {
        VIEWER: signed_in(org.server.app, add_member(org, VIEWER).key),
        USER: signed_in(org.server.app, add_member(org, USER).key),
        ADMIN: signed_in(org.server.app, org.key),
    }
    tokens = {name: page_token(client.get("/").text) for name, client in clients.items()}
    wrong: list[tuple[str, str, str, int]] = []
    for (method, template), lowest in PAGES.items():
        if lowest == ANYONE or template == "/signout":
            continue
        path = _fill(template)
        for name, client in clients.items():
            data = {"csrf_token": tokens[name]} if method == "POST" else None
            answer = client.request(method, path, data=data, follow_redirects=False)
            if RANK[name] >= RANK[lowest]:
                # Every id names nothing: admitted means it got as far as the lookup.
                if answer.status_code == 403:
                    wrong.append((method, template, name, answer.status_code))
            elif answer.status_code != 403 or f"needs the {lowest} role" not in answer.text:
                wrong.append((method, template, name, answer.status_code))
    assert wrong == []


ODD_VALUES = ("x", "%00", "' OR 1=1 --", "0" * 300, "../../etc/passwd", "\u00e9\u4e2d")


def test_no_page_answers_500_to_odd_ids_queries_or_forms(org: Org) -> None:
    client = signed_in(org.server.app, org.key)
    token = page_token(client.get("/").text)
    failures: list[tuple[str, str, int]] = []
    for method, template in PAGES:
        if template in ("/signout",):
            continue
        for odd in ODD_VALUES:
            path = re.sub(r"\{[^}]+\}", odd, template)
            query = {
                "q": odd,
                "show": odd,
                "page": odd,
                "kind": odd,
                "after": odd,
                "watching": odd,
                "next": odd,
            }
            data = {"csrf_token": token, "identities": odd, "test": "on", "api_key": odd}
            answer = client.request(
                method,
                path,
                params=query,
                data=data if method == "POST" else None,
                follow_redirects=False,
            )
            if answer.status_code >= 500:
                failures.append((method, path, answer.status_code))
    assert failures == []
