"""Signing a test client in through the UI's own form, as a browser does."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_BODY = re.compile(r'data-csrf="([^"]+)"')


def form_token(html: str) -> str:
    """The CSRF token a page's first form carries."""
    found = _FIELD.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def page_token(html: str) -> str:
    """The session's CSRF token, as a signed-in page carries it."""
    found = _BODY.search(html)
    assert found, "the page carries no session CSRF token"
    return found.group(1)


def sign_in(client: TestClient, key: str, next_path: str = "/") -> TestClient:
    """Sign `client` in with `key` through `/signin`; returns it."""
    form = client.get("/signin")
    assert form.status_code == 200, form.text
    answer = client.post(
        "/signin",
        data={"csrf_token": form_token(form.text), "api_key": key, "next": next_path},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def signed_in(app: FastAPI, key: str, *, base_url: str = "http://testserver") -> TestClient:
    """A new client of `app`, signed in with `key`."""
    return sign_in(TestClient(app, base_url=base_url), key)
