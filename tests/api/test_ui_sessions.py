"""The web UI's sign-in, sessions, CSRF tokens and roles, over HTTP (no browser)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from syncline.store.organizations import OrganizationRepository
from syncline.store.tables import User
from tests.api.conftest import Org, add_member
from tests.api.execution_fixtures import Runner
from tests.ui.signin import form_token, page_token, sign_in, signed_in


def test_a_page_without_a_session_sends_the_browser_to_sign_in(org: Org) -> None:
    client = TestClient(org.server.app)
    answer = client.get("/syncs/abc?x=1", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=/syncs/abc%3Fx%3D1"


def test_signing_in_sets_a_strict_http_only_session_cookie(org: Org) -> None:
    client = TestClient(org.server.app)
    form = client.get("/signin?next=/connections")
    answer = client.post(
        "/signin",
        data={"csrf_token": form_token(form.text), "api_key": org.key, "next": "/connections"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/connections"
    cookie = next(
        value
        for value in answer.headers.get_list("set-cookie")
        if value.startswith("syncline_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie
    assert org.key not in cookie


def test_the_session_cookie_is_secure_over_tls(org: Org) -> None:
    client = TestClient(org.server.app, base_url="https://testserver")
    form = client.get("/signin")
    answer = client.post(
        "/signin",
        data={"csrf_token": form_token(form.text), "api_key": org.key},
        follow_redirects=False,
    )
    cookie = next(
        v for v in answer.headers.get_list("set-cookie") if v.startswith("syncline_session=")
    )
    assert "Secure" in cookie


def test_a_wrong_key_is_refused_on_the_form_with_a_message(org: Org) -> None:
    client = TestClient(org.server.app)
    form = client.get("/signin")
    answer = client.post(
        "/signin", data={"csrf_token": form_token(form.text), "api_key": "sl_wrong"}
    )
    assert answer.status_code == 401
    assert "Invalid API key." in answer.text
    assert "sl_wrong" not in answer.text
    assert "syncline_session" not in answer.headers.get("set-cookie", "")


def test_the_sign_in_form_needs_the_token_it_was_served_with(org: Org) -> None:
    client = TestClient(org.server.app)
    answer = client.post("/signin", data={"csrf_token": "made-up", "api_key": org.key})
    assert answer.status_code == 403
    assert "security token" in answer.text


def test_sign_in_never_sends_the_browser_to_another_site(org: Org) -> None:
    client = TestClient(org.server.app)
    form = client.get("/signin")
    answer = client.post(
        "/signin",
        data={
            "csrf_token": form_token(form.text),
            "api_key": org.key,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"


def test_a_write_without_the_session_s_csrf_token_is_refused(runner: Runner) -> None:
    sync_id = runner.sync()
    client = signed_in(runner.org.server.app, runner.org.key)
    for data in ({}, {"csrf_token": "wrong"}):
        answer = client.post(f"/syncs/{sync_id}/start", data=data)
        assert answer.status_code == 403
        assert "security token" in answer.text
    executions = runner.org.client.get(f"/api/syncs/{sync_id}/executions").json()["data"]
    assert executions == []


def test_a_write_with_the_token_starts_the_run(runner: Runner) -> None:
    sync_id = runner.sync()
    client = signed_in(runner.org.server.app, runner.org.key)
    token = page_token(client.get(f"/syncs/{sync_id}").text)
    answer = client.post(
        f"/syncs/{sync_id}/start", data={"csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303
    executions = runner.org.client.get(f"/api/syncs/{sync_id}/executions").json()["data"]
    assert len(executions) == 1
    runner.wait(sync_id, executions[0]["id"])


def test_a_viewer_sees_no_write_controls_and_a_forged_post_is_refused(runner: Runner) -> None:
    sync_id = runner.sync()
    viewer = add_member(runner.org, "viewer")
    client = signed_in(runner.org.server.app, viewer.key)
    overview = client.get("/")
    assert f'href="/syncs/{sync_id}"' in overview.text
    assert "Run now" not in overview.text
    detail = client.get(f"/syncs/{sync_id}")
    assert detail.status_code == 200
    assert "Run now" not in detail.text
    assert "Cancel run" not in detail.text
    answer = client.post(f"/syncs/{sync_id}/start", data={"csrf_token": page_token(detail.text)})
    assert answer.status_code == 403
    assert "needs the user role" in answer.text
    assert runner.org.client.get(f"/api/syncs/{sync_id}/executions").json()["data"] == []


def test_signing_out_ends_the_session_for_good(org: Org) -> None:
    client = signed_in(org.server.app, org.key)
    page = client.get("/")
    stolen = client.cookies.get("syncline_session")
    answer = client.post(
        "/signout", data={"csrf_token": page_token(page.text)}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin"
    replay = TestClient(org.server.app, cookies={"syncline_session": stolen or ""})
    assert replay.get("/", follow_redirects=False).status_code == 303


def test_revoking_the_key_ends_its_sessions(org: Org) -> None:
    client = signed_in(org.server.app, org.key)
    assert client.get("/", follow_redirects=False).status_code == 200
    store = org.server.app.state.syncline.store
    with store.session() as session:
        user = session.get(User, org.user_id)
        assert user is not None
        OrganizationRepository(session).revoke_api_keys(user)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_role_changed_after_sign_in_applies_on_the_next_page(runner: Runner) -> None:
    sync_id = runner.sync()
    member = add_member(runner.org, "user")
    client = signed_in(runner.org.server.app, member.key)
    assert "Run now" in client.get(f"/syncs/{sync_id}").text
    store = runner.org.server.app.state.syncline.store
    with store.session() as session:
        user = session.get(User, member.user_id)
        assert user is not None
        user.role = "viewer"
    assert "Run now" not in client.get(f"/syncs/{sync_id}").text


def test_another_organization_s_sync_is_not_found(runner: Runner, other_org: Org) -> None:
    sync_id = runner.sync()
    client = signed_in(other_org.server.app, other_org.key)
    answer = client.get(f"/syncs/{sync_id}")
    assert answer.status_code == 404
    assert "text/html" in answer.headers["content-type"]
    token = page_token(client.get("/").text)
    refused = client.post(f"/syncs/{sync_id}/start", data={"csrf_token": token})
    assert refused.status_code == 404
    assert runner.org.client.get(f"/api/syncs/{sync_id}/executions").json()["data"] == []


def test_pages_carry_a_strict_content_security_policy(org: Org) -> None:
    client = signed_in(org.server.app, org.key)
    answer = client.get("/")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert answer.headers["x-frame-options"] == "DENY"


def test_the_api_keeps_its_json_errors_beside_the_ui(org: Org) -> None:
    answer = org.client.get("/api/syncs/00000000-0000-0000-0000-000000000000")
    assert answer.status_code == 404
    assert answer.json()["key"] == "not_found"
    unknown = TestClient(org.server.app).get("/no-such-page")
    assert unknown.status_code == 404
    assert "There is no page here." in unknown.text


def test_sign_in_reuses_a_live_session(org: Org) -> None:
    client = sign_in(TestClient(org.server.app), org.key)
    answer = client.get("/signin?next=/models", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/models"


def test_a_link_cannot_put_its_own_words_on_a_page(runner: Runner) -> None:
    sync_id = runner.sync()
    client = signed_in(runner.org.server.app, runner.org.key)
    spoof = "Your session expired: enter your API key at evil.example"
    for path in (f"/syncs/{sync_id}", "/connections", "/models", "/settings"):
        for key in ("notice", "done", "message"):
            page = client.get(path, params={key: spoof})
            assert page.status_code == 200, path
            assert "evil.example" not in page.text, (path, key)
    canceled = client.post(
        f"/syncs/{sync_id}/cancel",
        data={"csrf_token": page_token(client.get(f"/syncs/{sync_id}").text)},
    )
    assert "nothing to cancel" in canceled.text
