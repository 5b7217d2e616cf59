"""validate_sync: model and target filters, labels and logic, operands and overrides."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from syncline.connectors.durations import parse_duration
from syncline.connectors.filter_logic import And, parse_logic
from syncline.services.syncs.config import ModelFilterCondition, Override, Source
from syncline.services.syncs.labels import sequence_label
from tests.unit.sync_validation_support import (
    MODEL_ID,
    body,
    refused,
    src,
    validate,
    with_properties,
)


def model_filters(*conditions: dict[str, Any], logic: str | None = None) -> dict[str, Any]:
    """A request with these model filter conditions."""
    return body(model_filters={"conditions": list(conditions), "logic": logic})


def target_filters(*conditions: dict[str, Any], logic: str | None = None) -> dict[str, Any]:
    """An update-mode request (which takes target filters) with these target conditions."""
    return body(mode="update", target_filters={"conditions": list(conditions), "logic": logic})


def cond(field: str, function: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    """A model filter condition."""
    return {"source": src(field), "function": function, "value": value, **extra}


def tcond(field: str, function: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    """A target filter condition."""
    return {"field": field, "function": function, "value": value, **extra}


# ---------------------------------------------------------------- model filters


def test_model_filter_is_stored_labelled_with_empty_logic() -> None:
    config = validate(model_filters(cond("name", "Equality", "pro")))
    assert config.model_filters.conditions == [
        ModelFilterCondition(
            source=Source(model_id=MODEL_ID, field="name"),
            function="Equality",
            value="pro",
            label="A",
        )
    ]
    assert config.model_filters.logic == ""


def test_no_filters_mean_empty_filter_objects() -> None:
    config = validate(body())
    assert (config.model_filters.conditions, config.model_filters.logic) == ([], "")
    assert (config.target_filters.conditions, config.target_filters.logic) == ([], "")


def test_model_filter_field_must_exist() -> None:
    refused(
        model_filters(cond("nme", "Equality", "x")),
        "model_filters.conditions[0].source.field",
        "did you mean 'name'?",
    )


def test_model_filter_function_must_be_a_filter_function() -> None:
    refused(
        model_filters(cond("name", "Equals", "x")),
        "model_filters.conditions[0].function",
        "'Equals' is not a filter function",
    )


def test_model_filter_function_must_suit_the_field_type() -> None:
    refused(
        model_filters(cond("age", "StringContains", "1")),
        "model_filters.conditions[0].function",
        "cannot be used on model field 'age' (number); choose one of: Equality, Inequality",
    )


# ---------------------------------------------------------------- operands


@pytest.mark.parametrize(
    ("condition", "path_suffix", "message"),
    [
        (cond("name", "IsNull", "x"), "value", "takes no value"),
        (cond("name", "Equality"), "value", "takes a single value"),
        (cond("name", "Equality", ["a"]), "value", "takes a single value"),
        (cond("name", "StringOneOf", []), "value", "non-empty list"),
        (cond("name", "StringOneOf", "a"), "value", "non-empty list"),
        (cond("name", "StringOneOf", ["a", {"b": 1}]), "value[1]", "single value"),
        (cond("age", "Between", [1, 2, 3]), "value", "exactly two values"),
        (cond("age", "Between", [1, "x"]), "value[1]", "'x' is not a number"),
        (cond("age", "GreaterThan", "ten"), "value", "'ten' is not a number"),
        (cond("age", "GreaterThan", True), "value", "not a number"),
        (cond("signed_up", "OnOrAfter", "yesterday"), "value", "not an ISO-8601 date"),
        (cond("signed_up", "OnOrAfter", 20240115), "value", "not an ISO-8601 date"),
        (cond("signed_up", "InTheLast", "7 days"), "value", "is not a duration"),
        (cond("signed_up", "InTheLast", 7), "value", "takes a duration"),
        (cond("signed_up", "InTheLast", "P1M"), "value", "years or months"),
    ],
)
def test_operand_of_the_wrong_shape_is_refused(
    condition: dict[str, Any], path_suffix: str, message: str
) -> None:
    refused(model_filters(condition), f"model_filters.conditions[0].{path_suffix}", message)


@pytest.mark.parametrize(
    "condition",
    [
        cond("active", "True"),
        cond("name", "StringOneOf", ["a", "b"]),
        cond("age", "Between", [1, "10.5"]),
        cond("age", "GreaterThan", "-1e3"),
        cond("signed_up", "OnOrAfter", "2024-01-15"),
        cond("signed_up", "OnOrBefore", "2024-01-15T09:30:00Z"),
        cond("signed_up", "Between", ["2024-01-01", "2024-02-01T00:00:00+02:00"]),
        cond("signed_up", "InTheLast", "7d"),
        cond("signed_up", "RelativeOnOrAfter", "PT12H"),
        cond("tags", "ArrayContains", "vip"),
        cond("misc", "Equality", 3),
    ],
)
def test_operand_of_the_right_shape_is_accepted(condition: dict[str, Any]) -> None:
    assert len(validate(model_filters(condition)).model_filters.conditions) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("7d", timedelta(days=7)),
        (" 2w ", timedelta(weeks=2)),
        ("P7D", timedelta(days=7)),
        ("PT12H", timedelta(hours=12)),
        ("P1DT6H30M", timedelta(days=1, hours=6, minutes=30)),
        ("P2W", timedelta(weeks=2)),
        ("pt90s", timedelta(seconds=90)),
    ],
)
def test_parse_duration_reads_short_and_iso_forms(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not a duration"),
        ("7", "is not a duration"),
        ("7 days", "is not a duration"),
        ("1.5h", "is not a duration"),
        ("P", "is not a duration"),
        ("PT", "is not a duration"),
        ("P1DT", "is not a duration"),
        ("0d", "longer than zero"),
        ("PT0S", "longer than zero"),
        ("P1Y", "years or months"),
        ("P1M", "years or months"),
    ],
)
def test_parse_duration_refuses_what_is_not_a_fixed_duration(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


# ---------------------------------------------------------------- labels and logic


def test_unlabelled_conditions_get_sequential_labels() -> None:
    config = validate(
        model_filters(cond("name", "IsNull"), cond("age", "IsNull"), cond("email", "IsNull"))
    )
    assert [c.label for c in config.model_filters.conditions] == ["A", "B", "C"]


@pytest.mark.parametrize(
    ("index", "label"),
    [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (406, "OQ"), (700, "ZZ"), (701, "AAA")],
)
def test_sequence_labels_continue_with_double_letters(index: int, label: str) -> None:
    assert sequence_label(index) == label


@pytest.mark.parametrize(
    ("index", "label"), [(405, "OP"), (406, "OQ"), (407, "OS"), (1041, "ANC"), (1042, "ANE")]
)
def test_sequence_labels_pass_over_the_operator_words(index: int, label: str) -> None:
    # The 408th label would be OR and the 1,044th AND, which logic reads as operators.
    assert sequence_label(index) == label


def test_sequence_labels_are_distinct_usable_labels_for_any_count() -> None:
    labels = [sequence_label(i) for i in range(20_000)]
    assert len(set(labels)) == len(labels)
    assert not [label for label in labels if label.lower() in ("or", "and")]
    node = parse_logic(" and ".join(labels))
    assert isinstance(node, And)
    assert len(node.operands) == len(labels)


def test_given_labels_are_kept() -> None:
    config = validate(
        model_filters(
            cond("name", "IsNull", label="named"), cond("age", "IsNull", label="_aged2"), logic=""
        )
    )
    assert [c.label for c in config.model_filters.conditions] == ["named", "_aged2"]


@pytest.mark.parametrize("label", ["1st", "has-dash", "and", "OR"])
def test_malformed_or_operator_label_is_refused(label: str) -> None:
    refused(
        model_filters(cond("name", "IsNull", label="ok"), cond("age", "IsNull", label=label)),
        "model_filters.conditions[1].label",
        "is not valid",
    )


def test_labelling_only_some_conditions_is_refused_at_the_first_unlabelled() -> None:
    refused(
        model_filters(
            cond("name", "IsNull", label="X"), cond("age", "IsNull"), cond("email", "IsNull")
        ),
        "model_filters.conditions[1].label",
        "label every condition or none",
    )


def test_duplicate_labels_are_refused() -> None:
    refused(
        model_filters(cond("name", "IsNull", label="X"), cond("age", "IsNull", label="X")),
        "model_filters.conditions[1].label",
        "used twice",
    )


def test_logic_syntax_error_names_the_position() -> None:
    refused(
        model_filters(cond("name", "IsNull"), cond("age", "IsNull"), logic="A and and B"),
        "model_filters.logic",
        "'and' at character 7",
    )


def test_logic_naming_an_unknown_label_is_refused() -> None:
    refused(
        model_filters(cond("name", "IsNull"), cond("age", "IsNull"), logic="A or B or C"),
        "model_filters.logic",
        "label 'C', which no condition has; labels: A, B",
    )


def test_logic_must_mention_every_label() -> None:
    refused(
        model_filters(cond("name", "IsNull"), cond("age", "IsNull"), logic="A"),
        "model_filters.logic",
        "missing: B",
    )


def test_logic_may_repeat_labels_and_is_kept_as_written() -> None:
    text = "(A AND B) Or (a_b and A)"
    config = validate(
        model_filters(
            cond("name", "IsNull", label="A"),
            cond("age", "IsNull", label="B"),
            cond("email", "IsNull", label="a_b"),
            logic=text,
        )
    )
    assert config.model_filters.logic == text


def test_blank_logic_is_stored_empty() -> None:
    assert validate(model_filters(cond("name", "IsNull"), logic="   ")).model_filters.logic == ""


def test_logic_without_conditions_is_refused() -> None:
    refused(model_filters(logic="A"), "model_filters.logic", "logic must be empty")


def test_labels_are_scoped_per_filter_object() -> None:
    request = body(
        mode="update",
        model_filters={"conditions": [cond("name", "IsNull", label="A")], "logic": "A"},
        target_filters={"conditions": [tcond("status", "IsNull", label="A")], "logic": "A"},
    )
    config = validate(request)
    assert config.model_filters.conditions[0].label == config.target_filters.conditions[0].label


# ---------------------------------------------------------------- target filters


def test_target_filters_are_accepted_on_a_mode_that_takes_them() -> None:
    config = validate(target_filters(tcond("status", "Equality", "open")))
    assert [(c.field, c.label) for c in config.target_filters.conditions] == [("status", "A")]


def test_target_filters_are_refused_on_a_mode_without_them() -> None:
    request = body(target_filters={"conditions": [tcond("status", "IsNull")]})
    refused(request, "target_filters", "modes that do: update, remove")


def test_target_filter_field_must_exist() -> None:
    refused(
        target_filters(tcond("stat", "IsNull")),
        "target_filters.conditions[0].field",
        "field 'stat' not found in target",
    )


def test_target_filter_field_must_be_filterable() -> None:
    refused(
        target_filters(tcond("notes", "IsNull")),
        "target_filters.conditions[0].field",
        "cannot be filtered on",
    )


def test_target_filter_function_must_be_offered_by_the_field() -> None:
    refused(
        target_filters(tcond("age", "StringContains", "1")),
        "target_filters.conditions[0].function",
        "cannot be used on target field 'age'",
    )


def test_target_filter_operand_is_checked_against_the_field_type() -> None:
    refused(
        target_filters(tcond("created_at", "OnOrAfter", "soon")),
        "target_filters.conditions[0].value",
        "not an ISO-8601 date",
    )


def test_value_source_needs_a_target_that_compares_with_model_fields() -> None:
    refused(
        target_filters(tcond("status", "Equality", value_source=src("name"))),
        "target_filters.conditions[0].value_source",
        "cannot compare with model field values",
    )


def test_value_source_is_accepted_when_the_target_compares_with_model_fields() -> None:
    context = with_properties(supports_filter_value_fields=True)
    config = validate(
        target_filters(tcond("status", "Equality", value_source=src("name"))), context
    )
    assert config.target_filters.conditions[0].value_source == Source(
        model_id=MODEL_ID, field="name"
    )


def test_value_source_and_value_are_exclusive() -> None:
    context = with_properties(supports_filter_value_fields=True)
    refused(
        target_filters(tcond("status", "Equality", "x", value_source=src("name"))),
        "target_filters.conditions[0].value_source",
        "not both",
        context,
    )


def test_value_source_needs_a_single_value_function() -> None:
    context = with_properties(supports_filter_value_fields=True)
    refused(
        target_filters(tcond("status", "StringOneOf", value_source=src("name"))),
        "target_filters.conditions[0].value_source",
        "does not compare with a single value",
        context,
    )


def test_value_source_model_field_must_exist() -> None:
    context = with_properties(supports_filter_value_fields=True)
    refused(
        target_filters(tcond("status", "Equality", value_source=src("nam"))),
        "target_filters.conditions[0].value_source.field",
        "not found in model",
        context,
    )


def test_deprecated_target_filter_logic_stands_in_for_target_filters_logic() -> None:
    request = target_filters(tcond("status", "IsNull"), tcond("name", "IsNull"))
    request["target"]["filter_logic"] = "A or B"
    config = validate(request)
    assert config.target_filters.logic == "A or B"
    assert config.target.filter_logic is None


def test_deprecated_target_filter_logic_errors_name_its_path() -> None:
    request = target_filters(tcond("status", "IsNull"))
    request["target"]["filter_logic"] = "A or"
    refused(request, "target.filter_logic", "expected a label or '('")


# ---------------------------------------------------------------- overrides


def test_override_is_stored_with_its_source_and_field_id() -> None:
    request = body(overrides=[{"field": src("name"), "function": "IsNull", "override": "unknown"}])
    assert validate(request).overrides == [
        Override(
            field=Source(model_id=MODEL_ID, field="name"),
            field_id="mf-name",
            function="IsNull",
            override="unknown",
        )
    ]


def test_override_may_name_its_field_by_model_field_id() -> None:
    request = body(overrides=[{"field_id": "mf-age", "override": 0}])
    assert validate(request).overrides[0].field == Source(model_id=MODEL_ID, field="age")


def test_override_needs_a_field() -> None:
    refused(body(overrides=[{"override": "x"}]), "overrides[0].field", "field or field_id")


def test_override_field_id_must_be_a_field_of_the_model() -> None:
    refused(
        body(overrides=[{"field_id": "mf-nope", "override": "x"}]),
        "overrides[0].field_id",
        "no model has a field with id 'mf-nope'",
    )


def test_override_function_must_suit_the_field_type() -> None:
    refused(
        body(overrides=[{"field": src("age"), "function": "StringLike", "override": 1}]),
        "overrides[0].function",
        "cannot be used on model field 'age' (number)",
    )


def test_override_operand_is_checked_like_a_filter_operand() -> None:
    refused(
        body(
            overrides=[{"field": src("age"), "function": "Equality", "value": "old", "override": 1}]
        ),
        "overrides[0].value",
        "'old' is not a number",
    )


def test_override_value_without_a_function_is_refused() -> None:
    refused(
        body(overrides=[{"field": src("age"), "value": 3, "override": 1}]),
        "overrides[0].value",
        "needs a function",
    )


@pytest.mark.parametrize("replacement", [None, [1], {"a": 1}])
def test_override_needs_a_single_replacement_value(replacement: Any) -> None:
    refused(
        body(overrides=[{"field": src("age"), "override": replacement}]),
        "overrides[0].override",
        "replacement value",
    )
