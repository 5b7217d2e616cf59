"""A sync's page edits its schedule and its error handling through the sync service,
as `PUT /api/syncs/{id}` and `PUT /api/syncs/{id}/error-handling` do (server-side)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import add_member
from tests.api.execution_fixtures import Runner
from tests.ui.signin import page_token, signed_in

# The pages call the services the API tests run on both metadata backends; the pages'
# own queries run on both in test_ui_sessions.py and test_ui_roles.py.
pytestmark = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


UNCHANGING = ("updated_at", "updated_by", "schedule")
"""Keys of a sync that saving its schedule may change."""


def _client(runner: Runner) -> tuple[TestClient, str]:
    """A signed-in admin's client and its session's CSRF token."""
    client = signed_in(runner.org.server.app, runner.org.key)
    return client, page_token(client.get("/").text)


def _sync(runner: Runner, sync_id: str) -> dict[str, Any]:
    answer = runner.org.client.get(f"/api/syncs/{sync_id}")
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


def _handling(runner: Runner, sync_id: str) -> dict[str, Any]:
    answer = runner.org.client.get(f"/api/syncs/{sync_id}/error-handling")
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


def _control(html: str, control_id: str) -> str:
    """The opening tag of the element with `control_id`."""
    found = re.search(rf'<(?:input|select|textarea)[^>]*\bid="{control_id}"[^>]*>', html, re.S)
    assert found, f"no control {control_id}"
    return found.group(0)


def _error(html: str, control_id: str) -> str:
    found = re.search(rf'<p class="field-error" id="{control_id}-error">(.*?)</p>', html, re.S)
    assert found, f"no message for {control_id}"
    return found.group(1)


def test_the_schedule_changes_to_daily_at_06_30(runner: Runner) -> None:
    sync_id = runner.sync(encryption_passphrase="correct horse")
    before = _sync(runner, sync_id)
    client, token = _client(runner)
    page = client.get(f"/syncs/{sync_id}").text
    assert 'action="/syncs/' + sync_id + '/schedule"' in page
    answer = client.post(
        f"/syncs/{sync_id}/schedule",
        data={"csrf_token": token, "frequency": "daily", "hour": "06", "minute": "30"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/syncs/{sync_id}?done=schedule"
    after = _sync(runner, sync_id)
    assert after["schedule"] == {"frequency": "daily", "hour": "6", "minute": "30"}
    # Everything else is as stored, the passphrase kept.
    assert {k: v for k, v in after.items() if k not in UNCHANGING} == {
        k: v for k, v in before.items() if k not in UNCHANGING
    }
    assert after["encryption_passphrase"] == "********"
    shown = client.get(answer.headers["location"]).text
    assert "Schedule saved." in shown
    assert 'value="6"' in _control(shown, "hour")
    assert '<option value="daily" selected>' in shown


def test_an_hour_of_99_is_refused_next_to_the_hour_field(runner: Runner) -> None:
    sync_id = runner.sync()
    client, token = _client(runner)
    answer = client.post(
        f"/syncs/{sync_id}/schedule",
        data={"csrf_token": token, "frequency": "daily", "hour": "99", "minute": "30"},
    )
    assert answer.status_code == 422
    hour = _control(answer.text, "hour")
    assert 'aria-invalid="true"' in hour
    assert 'aria-describedby="hour-error"' in hour
    assert 'value="99"' in hour  # what was typed stays
    assert "0 to 23" in _error(answer.text, "hour")
    assert 'aria-invalid="true"' not in _control(answer.text, "minute")
    assert _sync(runner, sync_id)["schedule"] == {"frequency": "manual"}


def test_a_run_after_schedule_keeps_its_syncs_when_saved_unchanged(runner: Runner) -> None:
    first = runner.sync()
    second = runner.sync(
        schedule={"frequency": "runafter", "run_after": {"sync_ids": [first]}},
    )
    client, token = _client(runner)
    answer = client.post(
        f"/syncs/{second}/schedule",
        data={"csrf_token": token, "frequency": "runafter"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert _sync(runner, second)["schedule"]["run_after"]["sync_ids"] == [first]


def test_error_handling_changes_and_reads_back_through_the_api(runner: Runner) -> None:
    sync_id = runner.sync()
    client, token = _client(runner)
    page = client.get(f"/syncs/{sync_id}").text
    assert "checked" in _control(page, "auto_retry_record_errors")  # the default
    answer = client.post(
        f"/syncs/{sync_id}/error-handling",
        data={
            "csrf_token": token,
            "notify_on_record_errors": "on",
            "subscribers": "ops@example.com\n\n  data@example.com \n",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert _handling(runner, sync_id) == {
        "auto_retry_record_errors": False,
        "notify_on_record_errors": True,
        "subscribers": ["ops@example.com", "data@example.com"],
        "warning_notifications": False,
    }
    shown = client.get(answer.headers["location"]).text
    assert "checked" not in _control(shown, "auto_retry_record_errors")
    assert "checked" in _control(shown, "notify_on_record_errors")
    assert "ops@example.com\ndata@example.com</textarea>" in shown


def test_a_subscriber_that_is_no_address_is_refused_at_its_field(runner: Runner) -> None:
    sync_id = runner.sync()
    client, token = _client(runner)
    answer = client.post(
        f"/syncs/{sync_id}/error-handling",
        data={"csrf_token": token, "subscribers": "ops@example.com\nnot-an-address"},
    )
    assert answer.status_code == 422
    assert 'aria-invalid="true"' in _control(answer.text, "subscribers")
    assert "not an e-mail address" in _error(answer.text, "subscribers")
    assert "not-an-address</textarea>" in answer.text
    assert _handling(runner, sync_id)["subscribers"] == []


def test_a_viewer_sees_the_settings_but_no_forms_and_a_forged_post_is_refused(
    runner: Runner,
) -> None:
    sync_id = runner.sync(schedule={"frequency": "hourly", "minute": "15"})
    viewer = signed_in(runner.org.server.app, add_member(runner.org, "viewer").key)
    page = viewer.get(f"/syncs/{sync_id}")
    assert page.status_code == 200
    assert "hourly (minute 15)" in page.text
    assert 'id="handling-settings"' in page.text
    assert f'action="/syncs/{sync_id}/schedule"' not in page.text
    assert f'action="/syncs/{sync_id}/error-handling"' not in page.text
    assert 'name="frequency"' not in page.text
    token = page_token(page.text)
    forged = {
        "schedule": {"frequency": "daily", "hour": "6", "minute": "30"},
        "error-handling": {"notify_on_record_errors": "on"},
    }
    for action, fields in forged.items():
        answer = viewer.post(f"/syncs/{sync_id}/{action}", data={"csrf_token": token, **fields})
        assert answer.status_code == 403, (action, answer.status_code)
        assert "needs the user role" in answer.text
    assert _sync(runner, sync_id)["schedule"] == {"frequency": "hourly", "minute": "15"}
    assert _handling(runner, sync_id)["notify_on_record_errors"] is False
