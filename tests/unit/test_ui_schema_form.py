"""Connection forms made from JSON schemas: the controls shown, and the configuration read back."""

from __future__ import annotations

from typing import Any

from syncline.connectors.base import MASK
from syncline.connectors.registry import connector_classes
from syncline.ui.schema_form import EXTRA_ROWS, Control, controls, spec_of
from syncline.ui.schema_form_values import parse, summary

SCHEMA: dict[str, Any] = {
    "$defs": {
        "Auth": {
            "title": "Auth",
            "description": "Basic authentication.",
            "type": "object",
            "properties": {
                "user": {"type": "string", "title": "User"},
                "password": {"type": "string", "format": "password", "writeOnly": True},
            },
            "required": ["user"],
        },
        "Header": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "title": "Name"},
                "value": {"type": "string", "secret": True, "title": "Value"},
                "enabled": {"type": "boolean", "default": True},
            },
            "required": ["name"],
        },
    },
    "type": "object",
    "properties": {
        "host": {"type": "string", "title": "Host", "description": "Where it is."},
        "port": {"type": "integer", "default": 5432, "minimum": 1, "maximum": 65535},
        "ratio": {"anyOf": [{"type": "number"}, {"type": "null"}], "default": None},
        "ssl": {"type": "boolean", "default": False, "title": "SSL"},
        "mode": {"type": "string", "enum": ["fast", "safe"], "default": "safe"},
        "url": {"type": "string", "format": "uri"},
        "pem": {"type": "string", "description": "A PEM key.", "secret": True},
        "password": {"type": "string", "secret": True, "default": ""},
        "auth": {"anyOf": [{"$ref": "#/$defs/Auth"}, {"type": "null"}], "default": None},
        "scopes": {"type": "array", "items": {"type": "string"}},
        "ids": {"type": "array", "items": {"type": "integer"}},
        "headers": {"type": "array", "items": {"$ref": "#/$defs/Header"}},
        "extra": {"type": "object", "additionalProperties": True},
        "token": {"type": "string", "readOnly": True, "secret": True},
    },
    "required": ["host"],
}


def _by_name(found: list[Control]) -> dict[str, Control]:
    every: dict[str, Control] = {}
    stack = list(found)
    while stack:
        control = stack.pop()
        every[control.name] = control
        stack.extend(control.children)
    return every


def test_each_property_gets_the_control_of_its_type() -> None:
    shown = _by_name(controls(spec_of(SCHEMA), None))
    kinds = {name.removeprefix("configuration."): c.kind for name, c in shown.items()}
    assert kinds["host"] == "text"
    assert kinds["port"] == "number"
    assert kinds["ratio"] == "number"
    assert kinds["ssl"] == "checkbox"
    assert kinds["mode"] == "select"
    assert kinds["url"] == "url"
    assert kinds["pem"] == "multiline"
    assert kinds["password"] == "text"
    assert kinds["auth"] == "group"
    assert kinds["auth.password"] == "text"
    assert kinds["scopes"] == "lines"
    assert kinds["ids"] == "lines"
    assert kinds["headers"] == "rows"
    assert kinds["headers[0].enabled"] == "checkbox"
    assert kinds["extra"] == "json"
    assert kinds["token"] == "generated"


def test_labels_help_required_bounds_and_defaults_come_from_the_schema() -> None:
    shown = _by_name(controls(spec_of(SCHEMA), None))
    host = shown["configuration.host"]
    assert (host.label, host.help, host.required, host.enforce) == (
        "Host",
        "Where it is.",
        True,
        True,
    )
    port = shown["configuration.port"]
    assert (port.value, port.step, port.minimum, port.maximum) == ("5432", "1", "1", "65535")
    assert shown["configuration.ratio"].step == "any"
    assert shown["configuration.ratio"].value == ""
    assert shown["configuration.mode"].options == (("fast", "fast"), ("safe", "safe"))
    assert shown["configuration.mode"].value == "safe"
    assert shown["configuration.ssl"].checked is False
    assert shown["configuration.ssl"].label == "SSL"
    assert shown["configuration.ids"].label == "Ids"
    # A `$ref`'s class name is its label only when it is the property's name.
    assert shown["configuration.auth"].label == "Auth"
    assert shown["configuration.auth"].help == "Basic authentication."


def test_controls_in_an_optional_group_or_a_row_are_not_enforced_by_the_browser() -> None:
    shown = _by_name(controls(spec_of(SCHEMA), None))
    assert shown["configuration.auth"].optional
    assert shown["configuration.auth.user"].required
    assert not shown["configuration.auth.user"].enforce
    assert shown["configuration.headers[0].name"].required
    assert not shown["configuration.headers[0].name"].enforce


def test_a_list_of_objects_shows_its_items_and_empty_rows() -> None:
    values = {"headers": [{"name": "X-A", "value": MASK, "enabled": False}]}
    shown = _by_name(controls(spec_of(SCHEMA), values))
    rows = shown["configuration.headers"].children
    assert len(rows) == 1 + EXTRA_ROWS
    assert shown["configuration.headers[0].name"].value == "X-A"
    assert shown["configuration.headers[0].value"].saved
    assert shown["configuration.headers[0].enabled"].checked is False
    assert shown["configuration.headers[1].name"].value == ""
    assert shown["configuration.headers[1].enabled"].checked is True


def test_no_control_holds_a_secret_value() -> None:
    values = {
        "password": MASK,
        "pem": "-----BEGIN KEY-----",
        "auth": {"user": "u", "password": "x"},
    }
    shown = _by_name(controls(spec_of(SCHEMA), values))
    assert shown["configuration.password"].saved
    assert shown["configuration.password"].value == ""
    assert shown["configuration.pem"].value == ""
    assert not shown["configuration.pem"].saved
    assert shown["configuration.auth.password"].value == ""
    assert shown["configuration.auth.user"].value == "u"


def test_every_registered_type_gets_a_control_for_every_property() -> None:
    for cls in connector_classes():
        schema = cls.config_model.model_json_schema()
        names = {c.name for c in controls(spec_of(schema), None)}
        assert names == {f"configuration.{name}" for name in schema["properties"]}, cls.type_id


FORM = {
    "configuration.host": " db.example.com ",
    "configuration.port": "6543",
    "configuration.ratio": "",
    "configuration.ssl": "on",
    "configuration.mode": "fast",
    "configuration.url": "",
    "configuration.pem": "line one\r\nline two",
    "configuration.password": "",
    "configuration.auth.user": "ignored: the group is not used",
    "configuration.scopes": "read\r\n\r\n write \n",
    "configuration.ids": "1\n2",
    "configuration.headers[0].name": "X-A",
    "configuration.headers[0].value": "a-value",
    "configuration.headers[1].name": "",
    "configuration.headers[1].value": "",
    "configuration.headers[2].name": "X-C",
    "configuration.headers[2].value": "",
    "configuration.headers[2].enabled": "on",
    "configuration.extra": '{"a": 1}',
    "configuration.token": "sent by a caller",
}


def test_a_form_is_read_back_into_a_configuration() -> None:
    parsed = parse(spec_of(SCHEMA), FORM)
    assert parsed.errors == {}
    assert parsed.configuration == {
        "host": " db.example.com ",
        "port": 6543,
        "ssl": True,
        "mode": "fast",
        "pem": "line one\nline two",
        "scopes": ["read", "write"],
        "ids": [1, 2],
        "headers": [
            {"name": "X-A", "value": "a-value", "enabled": False},
            {"name": "X-C", "enabled": True},
        ],
        "extra": {"a": 1},
    }


def test_an_empty_secret_keeps_the_saved_one_only_where_one_is_saved() -> None:
    saved = {
        "password": MASK,
        "headers": [{"name": "X-A", "value": MASK}, {"name": "X-B", "value": ""}],
        "auth": {"user": "u", "password": MASK},
    }
    form = {
        "configuration.password": "",
        "configuration.headers[0].name": "X-A",
        "configuration.headers[0].value": "",
        "configuration.headers[1].name": "X-B",
        "configuration.headers[1].value": "",
        "configuration.headers[2].name": "X-New",
        "configuration.headers[2].value": "",
        "configuration.auth": "on",
        "configuration.auth.user": "u",
        "configuration.auth.password": "",
    }
    read = parse(spec_of(SCHEMA), form, saved).configuration
    assert read["password"] == MASK
    assert read["headers"] == [
        {"name": "X-A", "value": MASK, "enabled": False},
        {"name": "X-B", "enabled": False},
        {"name": "X-New", "enabled": False},
    ]
    assert read["auth"] == {"user": "u", "password": MASK}
    assert "password" not in parse(spec_of(SCHEMA), form, None).configuration
    typed = parse(spec_of(SCHEMA), {**form, "configuration.password": "new"}, saved)
    assert typed.configuration["password"] == "new"


def test_an_optional_group_is_sent_only_when_its_box_is_ticked() -> None:
    spec = spec_of(SCHEMA)
    assert "auth" not in parse(spec, FORM).configuration
    ticked = parse(spec, {**FORM, "configuration.auth": "on"}).configuration
    assert ticked["auth"] == {"user": "ignored: the group is not used"}


def test_values_that_cannot_be_read_are_kept_as_typed_and_named() -> None:
    spec = spec_of(SCHEMA)
    parsed = parse(spec, {**FORM, "configuration.extra": "{not json", "configuration.port": "x"})
    assert parsed.errors.keys() == {"configuration.extra"}
    assert parsed.configuration["extra"] == "{not json"
    assert parsed.configuration["port"] == "x"  # the server names it
    shown = _by_name(controls(spec, parsed.configuration))
    assert shown["configuration.extra"].value == "{not json"
    assert shown["configuration.port"].value == "x"


def test_a_form_shown_again_from_what_it_sent_keeps_its_values() -> None:
    spec = spec_of(SCHEMA)
    shown = _by_name(controls(spec, parse(spec, FORM).configuration))
    assert shown["configuration.port"].value == "6543"
    assert shown["configuration.scopes"].value == "read\nwrite"
    assert shown["configuration.headers[1].name"].value == "X-C"  # the empty row is gone
    assert shown["configuration.headers[0].value"].value == ""
    assert not shown["configuration.headers[0].value"].saved


def test_the_summary_shows_settings_but_no_secret() -> None:
    values = {"host": "h", "ssl": True, "password": MASK, "pem": "", "scopes": ["a"]}
    shown = dict(summary(spec_of(SCHEMA), values))
    assert shown["Host"] == "h"
    assert shown["SSL"] == "yes"
    assert shown["Password"] == "saved"
    assert shown["Pem"] == "not set"
    assert shown["Scopes"] == '["a"]'
    assert shown["Url"] == "not set"
