"""How an `http` connection authenticates and which servers it trusts, against real servers:
bearer, basic, header, query, secret headers, OAuth2 client credentials, mutual TLS;
and the connection check."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from pydantic import ValidationError

from syncline.connectors.base import MASK
from syncline.connectors.delivery.auth import (
    ClientCredentials,
    OAuthClientCredentials,
    TokenRefused,
)
from syncline.connectors.delivery.tls import default_context
from syncline.connectors.delivery.transport import Transport
from syncline.connectors.http import HttpConfig
from syncline.connectors.writing import RecordResult
from syncline.errors import ConnectionCheckFailed
from tests.connectors.http_sync_fixtures import HttpSync, connector
from tests.http_fixtures import Answer, HttpReceiver, Seen, receiving
from tests.tls_fixtures import CLIENT_NAME, make_pki

INSERTED, REJECTED = RecordResult.INSERTED, RecordResult.REJECTED
ROWS = [{"id": 1, "email": "a@example.com"}]


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with receiving() as running:
        yield running


@pytest.mark.parametrize(
    ("connection", "expected"),
    [
        ({"auth_method": "bearer", "bearer_token": "tok-1"}, {"authorization": "Bearer tok-1"}),
        (
            {"auth_method": "basic", "basic_username": "ada", "basic_password": "pw-2"},
            {"authorization": "Basic " + base64.b64encode(b"ada:pw-2").decode()},
        ),
        (
            {"auth_method": "header", "auth_header_name": "X-Api-Key", "auth_header_value": "k-3"},
            {"x-api-key": "k-3"},
        ),
        (
            {
                "headers": [{"name": "X-Team", "value": "growth"}],
                "secret_headers": [
                    {"name": "X-Secret", "value": "s-4"},
                    {"name": "X-Other", "value": "o-5"},
                ],
            },
            {"x-team": "growth", "x-secret": "s-4", "x-other": "o-5"},
        ),
    ],
)
def test_every_request_carries_the_connections_credentials(
    receiver: HttpReceiver, tmp_path: Path, connection: dict[str, Any], expected: dict[str, str]
) -> None:
    sync = HttpSync(receiver.url, tmp_path, connection=connection)

    assert sync.write("create", ROWS).results == [INSERTED]

    headers = receiver.requests()[0].headers
    assert {name: headers.get(name) for name in expected} == expected


def test_nothing_is_taken_from_the_server_s_environment(
    receiver: HttpReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server's own credentials for a host, and a proxy it was not told to use.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login server-user password server-password\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".netrc").write_text(netrc.read_text())
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    sync = HttpSync(receiver.url, tmp_path, connection={})

    assert sync.write("create", ROWS).results == [INSERTED]

    assert "authorization" not in {name.lower() for name in receiver.requests()[0].headers}


def test_a_query_key_goes_in_the_url_and_never_in_a_message(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    receiver.respond = lambda seen: Answer(400, {"echo": seen.query})
    connection = {"auth_method": "query", "auth_query_name": "api_key", "auth_query_value": "q-6"}
    sync = HttpSync(receiver.url, tmp_path, {"insert": {"path": "/c?x=1"}}, connection=connection)

    result = sync.write("create", ROWS)

    assert receiver.requests()[0].query == {"x": "1", "api_key": "q-6"}
    assert result.results == [REJECTED]
    assert "q-6" not in result.messages[0]
    assert MASK in result.messages[0]


@pytest.mark.parametrize(
    "connection",
    [
        {"auth_method": "bearer", "bearer_token": "tok-secret-1"},
        {"auth_method": "basic", "basic_username": "ada", "basic_password": "pw-secret-2"},
        {"secret_headers": [{"name": "X-Secret", "value": "hdr-secret-3"}]},
    ],
)
def test_an_answer_echoing_a_credential_is_scrubbed(
    receiver: HttpReceiver, tmp_path: Path, connection: dict[str, Any]
) -> None:
    receiver.respond = lambda seen: Answer(
        403, {"you sent": seen.headers.get("authorization") or seen.headers.get("x-secret")}
    )
    sync = HttpSync(receiver.url, tmp_path, connection=connection)

    result = sync.write("create", ROWS)

    message = result.messages[0]
    assert result.results == [REJECTED]
    assert "secret" not in message
    assert base64.b64encode(b"ada:pw-secret-2").decode() not in message
    assert MASK in message


class TokenApi:
    """A token endpoint (`/oauth/token`) issuing t1, t2, ... and an API taking live tokens.

    `revoke_after` uses of a token, the API refuses it (as when a provider rotates it).
    """

    def __init__(self, *, expires_in: int = 3600, revoke_after: int | None = None) -> None:
        self.expires_in = expires_in
        self.revoke_after = revoke_after
        self.forms: list[dict[str, str]] = []
        self.token_headers: list[dict[str, str]] = []
        self.live: dict[str, int] = {}
        self.failures: list[Answer] = []

    def __call__(self, seen: Seen) -> Answer:
        if seen.path == "/oauth/token":
            if self.failures:
                return self.failures.pop(0)
            self.forms.append(dict(parse_qsl(seen.body.decode())))
            self.token_headers.append(seen.headers)
            token = f"t{len(self.forms)}"
            self.live[token] = 0
            body = {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}
            return Answer(200, body)
        token = seen.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.live:
            return Answer(401, {"error": "invalid_token"})
        self.live[token] += 1
        if self.revoke_after is not None and self.live[token] >= self.revoke_after:
            del self.live[token]
        return Answer(200, {})


def oauth(receiver: HttpReceiver, **extra: Any) -> dict[str, Any]:
    return {
        "auth_method": "oauth_client_credentials",
        "oauth_token_url": receiver.url + "/oauth/token",
        "oauth_client_id": "client-7",
        "oauth_client_secret": "oauth-secret-8",
        **extra,
    }


def test_oauth_fetches_one_token_for_many_requests_in_flight(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    api = TokenApi()
    receiver.respond = api
    connection = oauth(
        receiver,
        oauth_scopes=["contacts.read", "contacts.write"],
        oauth_audience="https://api.example.com",
        oauth_params=[{"name": "resource", "value": "crm"}],
        concurrency=8,
    )
    sync = HttpSync(receiver.url, tmp_path, {"insert": {"path": "/api"}}, connection=connection)

    result = sync.write("create", [{"id": i, "email": f"{i}@x.io"} for i in range(20)])

    assert result.results == [INSERTED] * 20
    assert api.forms == [
        {
            "grant_type": "client_credentials",
            "client_id": "client-7",
            "client_secret": "oauth-secret-8",
            "scope": "contacts.read contacts.write",
            "audience": "https://api.example.com",
            "resource": "crm",
        }
    ]
    calls = receiver.requests("/api")
    assert {s.headers["authorization"] for s in calls} == {"Bearer t1"}


def test_oauth_can_send_the_client_credentials_as_basic_auth(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    api = TokenApi()
    receiver.respond = api
    connection = oauth(receiver, oauth_client_authentication="basic")
    sync = HttpSync(receiver.url, tmp_path, connection=connection)

    sync.write("create", ROWS)

    assert api.forms == [{"grant_type": "client_credentials"}]
    expected = "Basic " + base64.b64encode(b"client-7:oauth-secret-8").decode()
    assert api.token_headers[0]["authorization"] == expected


def test_a_refused_token_is_fetched_again_and_the_request_sent_again(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    api = TokenApi(revoke_after=2)
    receiver.respond = api
    sync = HttpSync(
        receiver.url, tmp_path, connection=oauth(receiver, concurrency=1), identity=("id",)
    )

    result = sync.write("create", [{"id": i, "email": f"{i}@x.io"} for i in range(5)])

    assert result.results == [INSERTED] * 5
    used = [s.headers["authorization"] for s in receiver.requests() if s.path != "/oauth/token"]
    # Each token is refused after two uses; the third request is sent again with a new one.
    assert used == [f"Bearer t{n}" for n in (1, 1, 1, 2, 2, 2, 3)]
    assert len(api.forms) == 3


def test_a_token_is_fetched_again_shortly_before_it_expires(receiver: HttpReceiver) -> None:
    api = TokenApi(expires_in=3600)
    receiver.respond = api
    now = [0.0]
    auth = OAuthClientCredentials(
        ClientCredentials(
            token_url=receiver.url + "/oauth/token", client_id="c", client_secret="s"
        ),
        clock=lambda: now[0],
    )

    async def calls() -> list[int]:
        statuses = []
        transport = Transport(
            connect_timeout=5,
            read_timeout=5,
            concurrency=1,
            tls=default_context(),
            headers={},
            credential=auth,
        )
        try:
            for moment in (0.0, 3500.0, 3571.0):
                now[0] = moment
                answer = await transport.exchange("GET", receiver.url + "/api", b"", {})
                statuses.append(answer.status)
        finally:
            await transport.close()
        return statuses

    assert asyncio.run(calls()) == [200, 200, 200]
    used = [s.headers["authorization"] for s in receiver.requests("/api")]
    assert used == ["Bearer t1", "Bearer t1", "Bearer t2"]


def test_a_token_endpoint_that_fails_for_now_is_tried_again(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    api = TokenApi()
    api.failures = [Answer(503, {"error": "maintenance"})]
    receiver.respond = api
    sync = HttpSync(receiver.url, tmp_path, connection=oauth(receiver))

    assert sync.write("create", ROWS).results == [INSERTED]
    assert len(receiver.requests("/oauth/token")) == 2


def test_refused_client_credentials_stop_the_run_without_showing_the_secret(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    api = TokenApi()
    api.failures = [Answer(401, {"error": "invalid_client", "got": "oauth-secret-8"})]
    receiver.respond = api
    sync = HttpSync(receiver.url, tmp_path, connection=oauth(receiver))

    with pytest.raises(TokenRefused) as caught:
        sync.write("create", ROWS)

    assert "invalid_client" in caught.value.message
    assert "oauth-secret-8" not in caught.value.message
    assert "check the client id and secret" in caught.value.message
    assert receiver.requests("/api") == []


def test_the_check_passes_on_any_answer_but_a_refusal(receiver: HttpReceiver) -> None:
    receiver.respond = lambda seen: Answer(404 if seen.method == "HEAD" else 500)
    connector(receiver.url + "/v1", auth_method="bearer", bearer_token="t").check()

    receiver.respond = lambda seen: Answer(401, {"error": "bad token"})
    with pytest.raises(ConnectionCheckFailed, match="refused the credentials") as caught:
        connector(receiver.url, auth_method="bearer", bearer_token="tok-9").check()
    assert "HTTP 401" in caught.value.message
    assert "tok-9" not in caught.value.message
    assert [s.method for s in receiver.requests()] == ["HEAD", "HEAD"]


def test_the_check_fetches_an_oauth_token(receiver: HttpReceiver) -> None:
    api = TokenApi()
    receiver.respond = api
    connector(receiver.url + "/api", **oauth(receiver)).check()

    api.failures = [Answer(400, {"error": "invalid_scope"})]
    with pytest.raises(ConnectionCheckFailed, match="invalid_scope"):
        connector(receiver.url + "/api", **oauth(receiver)).check()


def test_the_check_says_when_nothing_answers() -> None:
    with pytest.raises(ConnectionCheckFailed, match=r"cannot reach http://127\.0\.0\.1:9/"):
        connector("http://127.0.0.1:9/", connect_timeout=1).check()


def test_a_connection_refuses_incomplete_authentication_naming_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        HttpConfig(base_url="https://api.example.com", auth_method="oauth_client_credentials")
    fields = {error["loc"][0] for error in caught.value.errors()}
    assert fields == {"oauth_token_url", "oauth_client_id", "oauth_client_secret"}

    with pytest.raises(ValidationError, match="set by Syncline itself"):
        HttpConfig(
            base_url="https://api.example.com",
            secret_headers=[{"name": "Host", "value": "elsewhere.example.com"}],
        )
    with pytest.raises(ValidationError, match="http:// or https://"):
        HttpConfig(base_url="file:///etc/passwd")


# ---------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def pki() -> Any:
    return make_pki()


def test_mutual_tls_presents_the_client_certificate(
    pki: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("tls")
    with receiving(pki.server_context(folder)) as server:
        sync = HttpSync(
            server.url,
            folder / "sync",
            connection={
                "ca_bundle": pki.ca,
                "client_certificate": pki.client_certificate,
                "client_key": pki.client_key,
            },
        )
        result = sync.write("create", ROWS)
        peer = server.requests()[0].peer

    assert result.results == [INSERTED]
    assert peer is not None
    assert tuple(peer["subject"]) == ((("commonName", CLIENT_NAME),),)


def test_the_check_says_what_is_missing_for_tls(
    pki: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("tls")
    with receiving(pki.server_context(folder)) as server:
        with pytest.raises(ConnectionCheckFailed, match="add its certificate to ca_bundle"):
            connector(server.url).check()
        with pytest.raises(ConnectionCheckFailed, match="requires a client certificate"):
            connector(server.url, ca_bundle=pki.ca).check()
        connector(
            server.url,
            ca_bundle=pki.ca,
            client_certificate=pki.client_certificate,
            client_key=pki.client_key,
        ).check()


def test_certificates_that_cannot_load_are_refused_naming_the_field(pki: Any) -> None:
    base = {"base_url": "https://api.example.com"}
    with pytest.raises(ValidationError) as bad_ca:
        HttpConfig(**base, ca_bundle="-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----")
    with pytest.raises(ValidationError) as lonely:
        HttpConfig(**base, client_certificate=pki.client_certificate)
    with pytest.raises(ValidationError) as mismatched:
        HttpConfig(**base, client_certificate=pki.client_certificate, client_key=pki.server_key)

    assert [e["loc"] for e in bad_ca.value.errors()] == [("ca_bundle",)]
    assert [e["loc"] for e in lonely.value.errors()] == [("client_key",)]
    assert [e["loc"] for e in mismatched.value.errors()] == [("client_key",)]
    assert "BEGIN" not in str(mismatched.value.errors()[0]["msg"])


def test_a_secret_cut_by_the_excerpt_is_scrubbed_first(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    receiver.respond = lambda seen: Answer(422, "x" * 290 + " token=tok-secret-1234567890")
    sync = HttpSync(
        receiver.url,
        tmp_path,
        connection={"auth_method": "bearer", "bearer_token": "tok-secret-1234567890"},
    )

    message = sync.write("create", ROWS).messages[0]

    assert "tok-se" not in message
    assert "token=**" in message


def test_a_form_encoded_token_answer_is_read(receiver: HttpReceiver, tmp_path: Path) -> None:
    api = TokenApi()
    api.live["t-form"] = 0
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    api.failures = [Answer(200, "access_token=t-form&token_type=bearer", headers=form)]
    receiver.respond = api
    sync = HttpSync(receiver.url, tmp_path, {"insert": {"path": "/api"}}, oauth(receiver))

    assert sync.write("create", ROWS).results == [INSERTED]
    assert receiver.requests("/api")[0].headers["authorization"] == "Bearer t-form"


def test_a_token_answer_that_cannot_be_read_is_never_shown(
    receiver: HttpReceiver, tmp_path: Path
) -> None:
    api = TokenApi()
    text = {"Content-Type": "text/plain"}
    api.failures = [Answer(200, "access_token=leaky-token-1", headers=text)]
    receiver.respond = api
    sync = HttpSync(receiver.url, tmp_path, connection=oauth(receiver))

    with pytest.raises(TokenRefused) as caught:
        sync.write("create", ROWS)

    assert "not a JSON token" in caught.value.message
    assert "leaky" not in caught.value.message
