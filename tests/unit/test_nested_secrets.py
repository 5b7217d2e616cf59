"""Secrets at any depth of a configuration: split, stored, masked, kept in place, generated."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr
from standardwebhooks import Webhook

from syncline.connectors.base import MASK, ConnectorConfig, GeneratedSecretField
from syncline.connectors.config_paths import ITEM, expand, parse_key, path_key
from syncline.connectors.postgresql.config import PostgresqlConfig
from syncline.errors import ValidationFailed
from syncline.services.connection_secrets import (
    masked_configuration,
    new_generated_secret,
    split_secrets,
    stored_configuration,
    with_generated,
    with_stored_secrets,
    without_generated,
)
from tests.nested_config import HookConfig, HookConnector

SECRETS = {
    "password": "top-pw",
    "headers.0.value": "key-a",
    "headers.1.value": "key-b",
    "basic.password": "basic-pw",
    "oauth.client_secret": "client-s3cret",
    "oauth.extra_form_data.0.value": "form-v",
    "secret": "whsec_stored",
}


def _raw(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "url": "https://receiver.example/hook",
        "password": "top-pw",
        "headers": [{"name": "X-A", "value": "key-a"}, {"name": "X-B", "value": "key-b"}],
        "basic": {"username": "u", "password": "basic-pw"},
        "oauth": {
            "client_id": "c",
            "client_secret": "client-s3cret",
            "token_endpoint": "https://auth.example/token",
            "extra_form_data": [{"name": "resource", "value": "form-v"}],
        },
        "secret": "whsec_stored",
    }
    return {**raw, **changes}


def _stored() -> tuple[dict[str, Any], dict[str, str]]:
    return split_secrets(HookConfig.model_validate(_raw()))


def _keep(requested: dict[str, Any], *, merge: bool = False) -> dict[str, Any]:
    plain, secrets = _stored()
    return with_stored_secrets(
        HookConfig, plain, secrets, requested, merge=merge, path="configuration"
    )


def _masked_request(**changes: Any) -> dict[str, Any]:
    plain, secrets = _stored()
    return {**masked_configuration(plain, secrets), **changes}


def test_secret_and_destination_paths_reach_into_nested_models_and_lists() -> None:
    assert HookConfig.secret_paths() == {
        ("password",),
        ("headers", ITEM, "value"),
        ("basic", "password"),
        ("oauth", "client_secret"),
        ("oauth", "extra_form_data", ITEM, "value"),
        ("secret",),
    }
    assert HookConfig.destination_paths() == {("url",), ("oauth", "token_endpoint")}
    assert HookConfig.secret_fields() == {"password", "secret"}
    assert HookConfig.destination_fields() == {"url"}
    assert HookConfig.generated_secret_fields() == {"secret": "whsec_"}


def test_paths_and_keys_name_each_place() -> None:
    dumped = HookConfig.model_validate(_raw()).model_dump(mode="json")
    assert expand(dumped, ("headers", ITEM, "value")) == [
        ("headers", 0, "value"),
        ("headers", 1, "value"),
    ]
    assert expand({"basic": None}, ("basic", "password")) == []
    assert path_key(("headers", 1, "value")) == "headers.1.value"
    assert parse_key("headers.1.value") == ("headers", 1, "value")
    assert parse_key("password") == ("password",)


def test_split_takes_every_nested_secret_out_of_the_plain_part() -> None:
    plain, secrets = _stored()
    assert secrets == SECRETS
    stored_text = json.dumps(plain)
    assert not [value for value in SECRETS.values() if value in stored_text]
    assert plain["headers"] == [{"name": "X-A"}, {"name": "X-B"}]
    assert plain["basic"] == {"username": "u"}


def test_a_stored_configuration_reads_back_whole() -> None:
    plain, secrets = _stored()
    whole = HookConfig.model_validate(stored_configuration(plain, secrets))
    assert whole == HookConfig.model_validate(_raw())


def test_top_level_secrets_keep_their_flat_stored_form() -> None:
    config = PostgresqlConfig.model_validate(
        {"hostname": "db", "database": "app", "username": "app", "password": "pw"}
    )
    plain, secrets = split_secrets(config)
    assert secrets == {"password": "pw"}
    assert "password" not in plain
    assert stored_configuration(plain, {"password": "pw"})["password"] == "pw"
    assert masked_configuration(plain, secrets) == {**plain, "password": MASK}


def test_every_secret_is_masked_at_its_place_and_empty_ones_are_empty() -> None:
    plain, secrets = split_secrets(HookConfig.model_validate(_raw(password="")))
    shown = masked_configuration(plain, secrets)
    assert shown["password"] == ""
    assert shown["headers"] == [{"name": "X-A", "value": MASK}, {"name": "X-B", "value": MASK}]
    assert shown["basic"]["password"] == MASK
    assert shown["oauth"]["client_secret"] == MASK
    assert shown["oauth"]["extra_form_data"][0]["value"] == MASK
    assert shown["secret"] == MASK
    assert masked_configuration(plain, secrets, reveal=frozenset({"secret"}))["secret"] == (
        "whsec_stored"
    )


def test_secret_values_and_scrub_cover_nested_and_generated_secrets() -> None:
    config = HookConfig.model_validate(_raw())
    assert sorted(config.secret_values()) == sorted(SECRETS.values())
    message = "refused: " + ", ".join(SECRETS.values())
    scrubbed = HookConnector(config).scrub(message)
    assert not [value for value in SECRETS.values() if value in scrubbed]


def test_the_mask_at_each_nested_place_keeps_the_stored_secret() -> None:
    raw = _keep(_masked_request(basic={"username": "someone else", "password": MASK}))
    kept = HookConfig.model_validate(raw)
    assert kept.basic is not None
    assert kept.basic.password.get_secret_value() == "basic-pw"
    assert kept.basic.username == "someone else"
    assert [h.value.get_secret_value() for h in kept.headers] == ["key-a", "key-b"]
    assert kept.oauth is not None
    assert kept.oauth.client_secret.get_secret_value() == "client-s3cret"
    assert kept.oauth.extra_form_data[0].value.get_secret_value() == "form-v"
    assert kept.password.get_secret_value() == "top-pw"
    assert kept.secret.get_secret_value() == "whsec_stored"


def test_a_list_item_sent_again_with_the_mask_keeps_its_secret_after_normalization() -> None:
    request = _masked_request(headers=[{"name": " X-A ", "value": MASK}])
    kept = HookConfig.model_validate(_keep(request))
    assert [(h.name, h.value.get_secret_value()) for h in kept.headers] == [("X-A", "key-a")]


def test_reordered_list_items_refuse_the_mask() -> None:
    request = _masked_request(
        headers=[{"name": "X-B", "value": MASK}, {"name": "X-A", "value": MASK}]
    )
    with pytest.raises(ValidationFailed) as refused:
        _keep(request)
    assert refused.value.path == "configuration.headers[0].value"
    assert refused.value.metadata["item"] == "configuration.headers[0]"
    assert "again" in refused.value.message


def test_a_renamed_or_new_list_item_refuses_the_mask() -> None:
    renamed = _masked_request(
        headers=[{"name": "X-A", "value": MASK}, {"name": "X-Other", "value": MASK}]
    )
    with pytest.raises(ValidationFailed) as refused:
        _keep(renamed)
    assert refused.value.path == "configuration.headers[1].value"
    grown = _masked_request(
        headers=[
            {"name": "X-A", "value": MASK},
            {"name": "X-B", "value": MASK},
            {"name": "X-C", "value": MASK},
        ]
    )
    with pytest.raises(ValidationFailed) as refused:
        _keep(grown)
    assert refused.value.path == "configuration.headers[2].value"


def test_a_nested_list_item_refuses_the_mask_when_moved() -> None:
    plain, secrets = _stored()
    oauth = masked_configuration(plain, secrets)["oauth"]
    oauth["extra_form_data"] = [{"name": "audience", "value": MASK}]
    with pytest.raises(ValidationFailed) as refused:
        _keep(_masked_request(oauth=oauth))
    assert refused.value.path == "configuration.oauth.extra_form_data[0].value"


def test_a_changed_destination_refuses_every_nested_mask() -> None:
    with pytest.raises(ValidationFailed) as refused:
        _keep(_masked_request(url="https://attacker.example/"))
    assert refused.value.path == "configuration.basic.password"
    assert refused.value.metadata["changed"] == ["configuration.url"]
    assert "configuration.headers[0].value" in refused.value.metadata["secrets"]
    assert "configuration.secret" not in refused.value.metadata["secrets"]


def test_a_changed_nested_destination_refuses_the_mask() -> None:
    plain, secrets = _stored()
    oauth = masked_configuration(plain, secrets)["oauth"]
    oauth["token_endpoint"] = "https://attacker.example/token"
    with pytest.raises(ValidationFailed) as refused:
        _keep({"url": _raw()["url"], "oauth": oauth})
    assert refused.value.path == "configuration.oauth.client_secret"
    assert refused.value.metadata["changed"] == ["configuration.oauth.token_endpoint"]


def test_an_added_destination_refuses_the_mask_and_a_removed_one_does_not() -> None:
    plain, secrets = _stored()
    without_oauth = {k: v for k, v in secrets.items() if not k.startswith("oauth.")}
    plain_without_oauth = {**plain, "oauth": None}
    added = _masked_request(oauth={"client_id": "c", "token_endpoint": "https://new.example/t"})
    with pytest.raises(ValidationFailed) as refused:
        with_stored_secrets(
            HookConfig,
            plain_without_oauth,
            without_oauth,
            added,
            merge=False,
            path="configuration",
        )
    assert refused.value.metadata["changed"] == ["configuration.oauth.token_endpoint"]
    removed = HookConfig.model_validate(_keep(_masked_request(oauth=None)))
    assert removed.oauth is None
    assert [h.value.get_secret_value() for h in removed.headers] == ["key-a", "key-b"]


def test_a_changed_destination_is_accepted_with_the_secrets_sent_again() -> None:
    raw = _keep(_raw(url="https://elsewhere.example/", secret=MASK))
    config = HookConfig.model_validate(raw)
    assert config.url == "https://elsewhere.example/"
    assert config.secret.get_secret_value() == "whsec_stored"


def test_a_merged_request_keeps_left_out_secrets_only_at_the_same_destination() -> None:
    kept = HookConfig.model_validate(_keep({}, merge=True))
    assert sorted(kept.secret_values()) == sorted(SECRETS.values())
    with pytest.raises(ValidationFailed) as refused:
        _keep({"url": "https://attacker.example/"}, merge=True)
    assert refused.value.path == "configuration.basic.password"


def test_a_generated_secret_is_read_only_and_survives_a_destination_change() -> None:
    config = HookConfig.model_validate(_raw())
    plain, secrets = split_secrets(config)
    only_generated = {"secret": secrets["secret"]}
    raw = with_stored_secrets(
        HookConfig,
        {"url": plain["url"], "headers": [], "basic": None, "oauth": None, "password": ""},
        only_generated,
        {"url": "https://elsewhere.example/", "secret": "whsec_chosen-by-caller"},
        merge=False,
        path="configuration",
    )
    assert raw["secret"] == "whsec_stored"
    assert raw["url"] == "https://elsewhere.example/"


def test_generated_secrets_are_made_where_none_is_stored_and_ignored_when_sent() -> None:
    asked = without_generated(HookConfig, {"url": "https://r.example/", "secret": "mine"})
    assert asked == {"url": "https://r.example/"}
    made, fresh = with_generated(HookConfig, asked, {})
    assert fresh == {"secret"}
    assert made["secret"].startswith("whsec_")
    again, fresh_again = with_generated(HookConfig, asked, {"secret": made["secret"]})
    assert again["secret"] == made["secret"]
    assert fresh_again == frozenset()


def test_a_generated_secret_is_a_standard_webhooks_secret() -> None:
    first, second = new_generated_secret("whsec_"), new_generated_secret("whsec_")
    assert first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 32
    hook = Webhook(first)
    now = datetime.now(UTC)
    signature = hook.sign("msg_1", now, '{"a":1}')
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    assert hook.verify('{"a":1}', headers) == {"a": 1}


def test_a_generated_secret_inside_a_nested_model_is_refused() -> None:
    class Inner(BaseModel):
        token: SecretStr = GeneratedSecretField(title="Token")

    class Nested(ConnectorConfig):
        inner: Inner

    with pytest.raises(TypeError, match=r"inner\.token"):
        Nested.generated_secret_fields()


def test_schema_marks_nested_secrets_and_generated_ones() -> None:
    schema = HookConfig.model_json_schema()
    header_value = schema["$defs"]["Header"]["properties"]["value"]
    assert header_value["secret"] is True
    assert header_value["format"] == "password"
    assert header_value["writeOnly"] is True
    generated = schema["properties"]["secret"]
    assert generated["readOnly"] is True
    assert generated["secret"] is True
    assert generated["writeOnly"] is False
