"""A stored secret goes only where it was saved for.

The attack: take a connection whose password you cannot read (responses
show `********`), point it at a server of your own, send the mask back, and
let Syncline log in there. The fake servers here ask for the password in
clear and keep whatever they receive.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from syncline.connectors.base import DESTINATION_MARK, MASK
from syncline.connectors.registry import connector_classes
from tests.api.capturing_servers import CapturingServer, capturing_mysql, capturing_postgres
from tests.api.conftest import Org

STORED = "stored-S3cret-pw"


@pytest.fixture
def pg_capture() -> Iterator[CapturingServer]:
    with capturing_postgres() as server:
        yield server


@pytest.fixture
def mysql_capture() -> Iterator[CapturingServer]:
    with capturing_mysql() as server:
        yield server


def _pg(**changes: Any) -> dict[str, Any]:
    config = {
        "hostname": "pg.internal.invalid",
        "port": 5432,
        "database": "app",
        "username": "app",
        "password": STORED,
        "ssl": False,
    }
    return {**config, **changes}


def _saved(org: Org, type_id: str, configuration: dict[str, Any]) -> str:
    response = org.client.post(
        "/api/connections",
        json={"name": "db", "type": type_id, "configuration": configuration, "validate": False},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["id"])


def _refused_for(response: Any, path: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["metadata"]["path"] == path
    assert "again" in body["message"]


# Each case: the saved configuration, and what the attacker changes.
PG_MOVES = {
    "port": (lambda s: _pg(hostname="127.0.0.1"), lambda s: {"port": s.port}),
    "hostname": (lambda s: _pg(port=s.port), lambda s: {"hostname": "127.0.0.1"}),
    "unix socket": (lambda s: _pg(port=s.port), lambda s: {"hostname": str(s.socket_dir)}),
}


@pytest.mark.parametrize("move", list(PG_MOVES))
def test_an_update_pointing_elsewhere_does_not_send_the_stored_password(
    org: Org, pg_capture: CapturingServer, move: str
) -> None:
    saved, changes = PG_MOVES[move]
    connection_id = _saved(org, "postgresql", saved(pg_capture))
    response = org.client.put(
        f"/api/connections/{connection_id}",
        json={
            "name": "db",
            "configuration": {**saved(pg_capture), **changes(pg_capture), "password": MASK},
        },
    )
    assert pg_capture.passwords == []
    _refused_for(response, "configuration.password")
    kept = org.client.get(f"/api/connections/{connection_id}").json()["data"]["configuration"]
    assert {k: kept[k] for k in ("hostname", "port")} == {
        k: saved(pg_capture)[k] for k in ("hostname", "port")
    }


@pytest.mark.parametrize("password", ["masked", "left out"])
def test_a_test_of_a_stored_connection_elsewhere_does_not_send_its_password(
    org: Org, pg_capture: CapturingServer, password: str
) -> None:
    connection_id = _saved(org, "postgresql", _pg(hostname="127.0.0.1"))
    configuration: dict[str, Any] = {"port": pg_capture.port}
    if password == "masked":
        configuration["password"] = MASK
    response = org.client.post(
        "/api/connections/test",
        json={"type": "postgresql", "connection_id": connection_id, "configuration": configuration},
    )
    assert pg_capture.passwords == []
    _refused_for(response, "configuration.password")


def test_parameter_values_elsewhere_do_not_get_the_stored_password(
    org: Org, pg_capture: CapturingServer
) -> None:
    connection_id = _saved(org, "postgresql", _pg())
    response = org.client.post(
        "/api/connection_types/postgresql/parameter_values",
        json={
            "field": "database",
            "connection_id": connection_id,
            "parameters": {"hostname": "127.0.0.1", "port": pg_capture.port},
        },
    )
    assert pg_capture.passwords == []
    _refused_for(response, "parameters.password")


def _mysql(**changes: Any) -> dict[str, Any]:
    config = {
        "hostname": "mysql.internal.invalid",
        "port": 3306,
        "dbname": "app",
        "account": "app",
        "passwd": STORED,
    }
    return {**config, **changes}


def test_a_mysql_password_is_not_sent_elsewhere_either(
    org: Org, mysql_capture: CapturingServer
) -> None:
    connection_id = _saved(org, "mysql", _mysql())
    moved = _mysql(hostname="127.0.0.1", port=mysql_capture.port, passwd=MASK)
    updated = org.client.put(
        f"/api/connections/{connection_id}", json={"name": "db", "configuration": moved}
    )
    tested = org.client.post(
        "/api/connections/test",
        json={
            "connection_id": connection_id,
            "configuration": {"hostname": "127.0.0.1", "port": mysql_capture.port},
        },
    )
    assert mysql_capture.passwords == []
    _refused_for(updated, "configuration.passwd")
    _refused_for(tested, "configuration.passwd")


def test_a_password_sent_again_goes_to_the_new_host(org: Org, pg_capture: CapturingServer) -> None:
    connection_id = _saved(org, "postgresql", _pg())
    moved = _pg(hostname="127.0.0.1", port=pg_capture.port, password="sent-again")
    checked = org.client.put(
        f"/api/connections/{connection_id}", json={"name": "db", "configuration": moved}
    )
    assert checked.status_code == 400  # the fake server refuses every login
    assert pg_capture.passwords == ["sent-again"]
    saved = org.client.put(
        f"/api/connections/{connection_id}",
        json={"name": "db", "configuration": moved, "validate": False},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["data"]["configuration"]["port"] == pg_capture.port


def test_a_masked_password_is_kept_while_the_host_stays(
    org: Org, pg_capture: CapturingServer
) -> None:
    where = {"hostname": "127.0.0.1", "port": pg_capture.port}
    connection_id = _saved(org, "postgresql", _pg(**where))
    same_host = _pg(**where, database="other", username="someone", password=MASK)
    response = org.client.put(
        f"/api/connections/{connection_id}", json={"name": "renamed", "configuration": same_host}
    )
    assert response.status_code == 400  # checked against the same (fake) server
    assert pg_capture.passwords == [STORED]
    saved = org.client.put(
        f"/api/connections/{connection_id}",
        json={"name": "renamed", "configuration": same_host, "validate": False},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["data"]["configuration"]["password"] == MASK
    tested = org.client.post(
        "/api/connections/test", json={"connection_id": connection_id, "configuration": {}}
    )
    assert tested.status_code == 400
    assert pg_capture.passwords == [STORED, STORED]


def test_stored_secrets_stay_with_their_connection_type(org: Org) -> None:
    connection_id = _saved(org, "postgresql", _pg())
    tested = org.client.post(
        "/api/connections/test",
        json={"type": "mysql", "connection_id": connection_id, "configuration": _mysql()},
    )
    listed = org.client.post(
        "/api/connection_types/mysql/parameter_values",
        json={"field": "dbname", "connection_id": connection_id, "parameters": {}},
    )
    assert tested.status_code == 422
    assert tested.json()["metadata"]["path"] == "type"
    assert listed.status_code == 422
    assert listed.json()["metadata"]["path"] == "connection_id"


def test_every_type_declares_where_its_secrets_go(org: Org) -> None:
    declared = {cls.type_id: cls.config_model.destination_fields() for cls in connector_classes()}
    assert all(declared.values()), declared
    assert declared["postgresql"] == {"hostname", "port"}
    assert declared["mysql"] == {"hostname", "port"}
    assert declared["sqlite"] == {"path"}
    assert declared["files"] == {"path"}
    schema = org.client.get("/api/connection_types/postgresql").json()
    marked = {name for name, prop in schema["properties"].items() if prop.get(DESTINATION_MARK)}
    assert marked == {"hostname", "port"}
