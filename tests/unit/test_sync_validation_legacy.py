"""Legacy `filters` + `filter_logic` in requests, and the legacy views in responses."""

from __future__ import annotations

from typing import Any

import pytest

from syncline.services.syncs.config import Source, SyncConfig
from syncline.services.syncs.legacy import legacy_views
from tests.unit.sync_validation_support import (
    CONTEXT,
    MODEL_ID,
    body,
    refused,
    src,
    validate,
)


def legacy(
    *filters: dict[str, Any], logic: str | None = None, mode: str = "update"
) -> dict[str, Any]:
    """A request with legacy filters (update mode takes target filters)."""
    return body(mode=mode, filters=list(filters), filter_logic=logic)


def model(field: str, function: str = "IsNull", value: Any = None, **extra: Any) -> dict[str, Any]:
    """A legacy model filter naming its field by `Source`."""
    return {"field": src(field), "function": function, "value": value, **extra}


def target(
    field_id: str, function: str = "IsNull", value: Any = None, **extra: Any
) -> dict[str, Any]:
    """A legacy target filter."""
    return {
        "field_type": "Target",
        "field_id": field_id,
        "function": function,
        "value": value,
        **extra,
    }


def views(config: SyncConfig) -> dict[str, Any]:
    return legacy_views(config, CONTEXT.models)


# ---------------------------------------------------------------- reading legacy filters


def test_legacy_filters_split_into_model_and_target_filters_keeping_labels() -> None:
    config = validate(legacy(model("name"), target("status"), model("age")))
    assert [c.label for c in config.model_filters.conditions] == ["A", "C"]
    assert [(c.field, c.label) for c in config.target_filters.conditions] == [("status", "B")]
    assert (config.model_filters.logic, config.target_filters.logic) == ("", "")


def test_legacy_model_filter_may_name_its_field_by_id() -> None:
    config = validate(legacy({"field_type": "Model", "field_id": "mf-age", "function": "IsNull"}))
    assert config.model_filters.conditions[0].source == Source(model_id=MODEL_ID, field="age")


def test_legacy_field_id_wins_over_field() -> None:
    config = validate(legacy(model("name", field_id="mf-age")))
    assert config.model_filters.conditions[0].source.field == "age"


def test_legacy_field_type_is_case_insensitive() -> None:
    config = validate(legacy({**target("status"), "field_type": "target"}))
    assert config.target_filters.conditions[0].field == "status"


def test_legacy_field_type_must_be_model_or_target() -> None:
    refused(
        legacy({**target("status"), "field_type": "Source"}),
        "filters[0].field_type",
        "not one of: Model, Target",
    )


def test_legacy_filter_with_only_a_field_id_needs_a_field_type() -> None:
    refused(
        legacy({"field_id": "mf-age", "function": "IsNull"}),
        "filters[0].field_type",
        "field_type is required",
    )


def test_legacy_model_filter_needs_a_field() -> None:
    refused(legacy({"field_type": "Model", "function": "IsNull"}), "filters[0].field", "name the")


def test_legacy_target_filter_needs_a_field_id() -> None:
    refused(
        legacy({"field_type": "Target", "field": src("name"), "function": "IsNull"}),
        "filters[0].field_id",
        "names the target field in field_id",
    )


def test_legacy_value_field_applies_to_target_filters_only() -> None:
    refused(
        legacy(model("name", value_field=src("email"))),
        "filters[0].value_field",
        "target filters only",
    )


def test_legacy_value_field_is_checked_as_the_value_source() -> None:
    refused(
        legacy(target("status", "Equality", value_field=src("email"))),
        "filters[0].value_field",
        "cannot compare with model field values",
    )


def test_legacy_filter_errors_name_legacy_paths() -> None:
    refused(legacy(model("name"), model("age", "Nope")), "filters[1].function", "'Nope'")
    refused(legacy(target("stat")), "filters[0].field_id", "field 'stat' not found")
    refused(
        legacy({"field_type": "Model", "field_id": "mf-x", "function": "IsNull"}),
        "filters[0].field_id",
        "no model has a field with id 'mf-x'",
    )


def test_legacy_labels_are_checked_across_the_whole_list() -> None:
    refused(
        legacy(model("name", label="X"), target("status", label="X")),
        "filters[1].label",
        "used twice",
    )


def test_legacy_target_filters_on_a_mode_without_them_name_the_filter() -> None:
    refused(
        legacy(model("name"), target("status"), mode="updateOrCreate"),
        "filters[1].field_type",
        "does not take target filters",
    )


def test_legacy_logic_over_one_kind_goes_to_that_object() -> None:
    config = validate(legacy(model("name"), model("age"), logic="A or B"))
    assert (config.model_filters.logic, config.target_filters.logic) == ("A or B", "")
    config = validate(legacy(target("status"), target("name"), logic="B or A"))
    assert (config.model_filters.logic, config.target_filters.logic) == ("", "B or A")


def test_legacy_logic_that_ands_one_kind_parts_is_split() -> None:
    request = legacy(
        model("name"),
        target("status"),
        model("age"),
        target("name"),
        logic=("(A or C) and B AND (D or B)"),
    )
    config = validate(request)
    assert config.model_filters.logic == "A or C"
    assert config.target_filters.logic == "B and (D or B)"


def test_legacy_logic_mixing_kinds_under_or_is_refused() -> None:
    refused(
        legacy(model("name"), target("status"), logic="A or B"),
        "filter_logic",
        "use model_filters and target_filters instead",
    )


def test_legacy_logic_errors_name_filter_logic() -> None:
    refused(legacy(model("name"), logic="A )"), "filter_logic", "unexpected ')' at character 3")
    refused(legacy(model("name"), model("age"), logic="A"), "filter_logic", "missing: B")


def test_legacy_filter_logic_without_filters_is_refused() -> None:
    refused(body(filter_logic="A"), "filter_logic", "logic must be empty")


def test_legacy_filters_are_ignored_when_new_filters_are_given() -> None:
    request = legacy(model("nope"), target("nope"))
    request["model_filters"] = {"conditions": [{"source": src("name"), "function": "IsNull"}]}
    config = validate(request)
    assert [c.source.field for c in config.model_filters.conditions] == ["name"]
    assert config.target_filters.conditions == []


# ---------------------------------------------------------------- legacy views


def test_legacy_identity_view_is_the_first_mapping() -> None:
    second = {"source": src("id"), "target": "id", "function": "Equality"}
    identities = {
        "mappings": [{"source": src("email"), "target": "email", "function": "Equality"}, second],
        "strategy": "and",
    }
    identity = views(validate(body(identities=identities)))["identity"]
    assert identity is not None
    assert (identity["target"], identity["source"]) == ("email", src("email"))


def test_legacy_identity_view_is_none_without_identities() -> None:
    assert views(validate(body(mode="append", identities=None)))["identity"] is None


def test_legacy_filters_view_tags_model_then_target_conditions() -> None:
    request = body(
        mode="update",
        model_filters={
            "conditions": [{"source": src("age"), "function": "GreaterThan", "value": 3}]
        },
        target_filters={"conditions": [{"field": "status", "function": "Equality", "value": "x"}]},
    )
    filters = views(validate(request))["filters"]
    assert filters == [
        {
            "field_type": "Model",
            "field": src("age"),
            "field_id": "mf-age",
            "function": "GreaterThan",
            "value": 3,
            "value_field": None,
            "label": "A",
        },
        {
            "field_type": "Target",
            "field": None,
            "field_id": "status",
            "function": "Equality",
            "value": "x",
            "value_field": None,
            "label": "B",
        },
    ]


def test_legacy_view_field_id_is_none_for_an_unknown_model() -> None:
    config = validate(
        body(model_filters={"conditions": [{"source": src("age"), "function": "IsNull"}]})
    )
    assert legacy_views(config, {})["filters"][0]["field_id"] is None


@pytest.mark.parametrize(
    ("model_logic", "target_logic", "expected"),
    [
        ("", "", ""),
        ("A or B", "", "(A or B) and (C and D)"),
        ("", "A or B", "(A and B) and (C or D)"),
        ("B or A", "B and A", "(B or A) and (D and C)"),
    ],
)
def test_legacy_filter_logic_view_combines_both_objects(
    model_logic: str, target_logic: str, expected: str
) -> None:
    request = body(
        mode="update",
        model_filters={
            "conditions": [
                {"source": src("age"), "function": "IsNull"},
                {"source": src("name"), "function": "IsNull"},
            ],
            "logic": model_logic,
        },
        target_filters={
            "conditions": [
                {"field": "status", "function": "IsNull"},
                {"field": "name", "function": "IsNull"},
            ],
            "logic": target_logic,
        },
    )
    assert views(validate(request))["filter_logic"] == expected


def test_legacy_filter_logic_view_of_one_object_is_its_logic() -> None:
    request = body(model_filters={"conditions": [{"source": src("age"), "function": "IsNull"}]})
    assert views(validate(request))["filter_logic"] == ""
    request = body(
        mode="update",
        target_filters={"conditions": [{"field": "status", "function": "IsNull"}], "logic": "A"},
    )
    assert views(validate(request))["filter_logic"] == "A"


def test_legacy_views_read_back_give_the_same_filters() -> None:
    request = body(
        mode="update",
        model_filters={
            "conditions": [
                {"source": src("age"), "function": "IsNull"},
                {"source": src("name"), "function": "IsNull"},
            ],
            "logic": "A or B",
        },
        target_filters={
            "conditions": [
                {"field": "status", "function": "IsNull"},
                {"field": "name", "function": "IsNotNull"},
            ],
            "logic": "B or A",
        },
    )
    config = validate(request)
    shown = views(config)
    again = validate(
        body(mode="update", filters=shown["filters"], filter_logic=shown["filter_logic"])
    )
    assert again.model_filters == config.model_filters
    assert [(c.field, c.function) for c in again.target_filters.conditions] == [
        ("status", "IsNull"),
        ("name", "IsNotNull"),
    ]
    assert again.target_filters.logic == "D or C"


def test_legacy_filters_view_renames_target_labels_that_model_labels_use() -> None:
    request = body(
        mode="update",
        model_filters={"conditions": [{"source": src("age"), "function": "IsNull"}]},
        target_filters={
            "conditions": [
                {"field": "status", "function": "IsNull", "label": "A"},
                {"field": "name", "function": "IsNull", "label": "Z"},
            ],
            "logic": "A or Z",
        },
    )
    shown = views(validate(request))
    assert [f["label"] for f in shown["filters"]] == ["A", "B", "Z"]
    assert shown["filter_logic"] == "(A) and (B or Z)"


def test_legacy_filter_naming_no_field_is_refused() -> None:
    refused(legacy({"function": "IsNull"}), "filters[0].field", "name the field to filter on")
