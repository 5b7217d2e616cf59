"""validate_sync: mode, the single model, mappings, identities and the stored shape."""

from __future__ import annotations

import dataclasses

import pytest

from syncline.connectors.base import ModeSupport
from syncline.connectors.vocabulary import SyncMode
from syncline.services.syncs.config import Identities, Identity, OverrideField, Source, SyncConfig
from tests.unit.sync_validation_support import (
    CONTEXT,
    MODEL_ID,
    OTHER_MODEL_ID,
    TARGET,
    body,
    new_target_context,
    refused,
    src,
    validate,
    with_properties,
)

EMAIL_IDENTITY = {"source": src("email"), "target": "email", "function": "Equality"}
SECOND_IDENTITY = {"source": src("id"), "target": "id", "function": "Equality"}

# ---------------------------------------------------------------- mode


def test_mode_supported_by_the_target_is_stored() -> None:
    assert validate(body(mode="updateOrCreate")).mode == "updateOrCreate"


def test_unknown_mode_is_refused_listing_the_supported_ones() -> None:
    refused(
        body(mode="upsert"),
        "mode",
        "mode 'upsert' is not supported by target public.users; supported: create, update",
    )


def test_mode_the_target_does_not_offer_is_refused() -> None:
    only_append = dataclasses.replace(TARGET, modes=(ModeSupport(SyncMode.APPEND, False),))
    context = dataclasses.replace(CONTEXT, target=only_append)
    refused(body(mode="replace"), "mode", "supported: append", context)


# ---------------------------------------------------------------- the single model


def test_model_id_is_the_model_every_source_reads() -> None:
    assert validate(body()).model_id == MODEL_ID


def test_source_naming_an_unknown_model_is_refused() -> None:
    fields = [{"source": src("name", "missing"), "target": "name"}]
    refused(body(fields=fields), "fields[0].source.model_id", "model 'missing' not found")


def test_sources_from_two_models_are_refused_at_the_second() -> None:
    identities = {
        "mappings": [
            {"source": src("total", OTHER_MODEL_ID), "target": "id", "function": "Equality"}
        ]
    }
    refused(
        body(identities=identities),
        "identities.mappings[0].source.model_id",
        "relations between models are not supported",
    )


def test_request_without_any_model_field_is_refused() -> None:
    refused(
        body(mode="replace", fields=[], identities=None),
        "fields",
        "map at least one model field",
    )


# ---------------------------------------------------------------- field mappings


def test_unknown_model_field_is_refused_with_a_suggestion() -> None:
    fields = [{"source": src("emial"), "target": "name"}]
    refused(body(fields=fields), "fields[0].source.field", "did you mean 'email'?")


def test_mapping_with_only_an_override_value_becomes_an_override_field() -> None:
    fields = [
        {"source": src("name"), "target": "name"},
        {"target": "status", "override_value": "active"},
    ]
    config = validate(body(fields=fields))
    assert [f.target for f in config.fields] == ["name"]
    assert config.override_fields == [OverrideField(target="status", override_value="active")]


def test_mapping_without_source_or_override_value_is_refused() -> None:
    fields = [{"source": src("name"), "target": "name"}, {"target": "status"}]
    refused(body(fields=fields), "fields[1].source", "needs a value")


def test_mapping_with_both_source_and_override_value_is_refused() -> None:
    fields = [{"source": src("name"), "target": "name", "override_value": "x"}]
    refused(body(fields=fields), "fields[0].source", "not both")


def test_unknown_target_field_is_refused() -> None:
    fields = [{"source": src("name"), "target": "nmae"}]
    refused(body(fields=fields), "fields[0].target", "field 'nmae' not found in target")


def test_new_target_field_is_accepted_when_the_target_creates_fields() -> None:
    fields = [{"source": src("name"), "target": "nickname", "new": True}]
    assert validate(body(fields=fields)).fields[0].new is True


def test_new_target_field_is_refused_when_the_target_cannot_create_fields() -> None:
    fields = [{"source": src("name"), "target": "nickname", "new": True}]
    context = with_properties(supports_field_creation=False)
    refused(body(fields=fields), "fields[0].new", "cannot create field 'nickname'", context)


def test_existing_target_field_marked_new_is_accepted() -> None:
    fields = [{"source": src("name"), "target": "name", "new": True}]
    context = with_properties(supports_field_creation=False)
    assert validate(body(fields=fields), context).fields[0].target == "name"


def test_field_of_a_target_not_created_yet_must_be_marked_new() -> None:
    fields = [{"source": src("name"), "target": "name"}]
    refused(
        body(mode="append", fields=fields, identities=None),
        "fields[0].target",
        "set new to true",
        new_target_context(),
    )


def test_inserting_mode_needs_createable_target_fields() -> None:
    fields = [{"source": src("name"), "target": "computed"}]
    refused(body(mode="create", fields=fields), "fields[0].target", "mode 'create' inserts")


def test_updating_mode_needs_updateable_target_fields() -> None:
    fields = [{"source": src("name"), "target": "locked"}]
    refused(body(mode="update", fields=fields), "fields[0].target", "cannot be updated")


def test_insert_only_mode_accepts_a_field_that_cannot_be_updated() -> None:
    fields = [{"source": src("name"), "target": "locked"}]
    assert validate(body(mode="create", fields=fields)).fields[0].target == "locked"


def test_remove_mode_writes_no_values_so_any_field_may_be_mapped() -> None:
    fields = [{"source": src("name"), "target": "computed"}]
    assert validate(body(mode="remove", fields=fields)).fields[0].target == "computed"


def test_target_field_mapped_twice_is_refused() -> None:
    override_fields = [{"target": "name", "override_value": "x"}]
    refused(
        body(override_fields=override_fields),
        "override_fields[0].target",
        "mapped twice (also at fields[0].target)",
    )


def test_identity_target_may_also_be_mapped() -> None:
    fields = [{"source": src("email"), "target": "email"}]
    assert validate(body(fields=fields)).fields[0].target == "email"


def test_unknown_field_sync_mode_is_refused() -> None:
    fields = [{"source": src("name"), "target": "name", "sync_mode": "always"}]
    refused(body(fields=fields), "fields[0].sync_mode", "choose one of: updateOrCreate, create")


def test_per_field_create_mode_needs_a_mode_that_supports_it() -> None:
    fields = [{"source": src("name"), "target": "name", "sync_mode": "create"}]
    assert validate(body(fields=fields)).fields[0].sync_mode == "create"
    refused(
        body(mode="create", fields=fields),
        "fields[0].sync_mode",
        "does not support per-field sync modes",
    )


def test_default_field_sync_mode_is_accepted_on_any_mode() -> None:
    fields = [{"source": src("name"), "target": "name", "sync_mode": "updateOrCreate"}]
    assert validate(body(mode="create", fields=fields)).fields[0].sync_mode == "updateOrCreate"


def test_empty_fields_are_refused_when_the_mode_writes_fields() -> None:
    refused(body(fields=[]), "fields", "map at least one field")


def test_empty_fields_are_accepted_for_remove_mode() -> None:
    assert validate(body(mode="remove", fields=[])).fields == []


def test_empty_fields_are_accepted_when_the_target_needs_no_mappings() -> None:
    context = with_properties(mappings_not_required=True)
    assert validate(body(fields=[]), context).fields == []


def test_fixed_values_alone_are_enough_mappings() -> None:
    config = validate(
        body(fields=[], override_fields=[{"target": "status", "override_value": "x"}])
    )
    assert config.override_fields[0].target == "status"


# ---------------------------------------------------------------- override fields


def test_override_field_needs_an_override_value() -> None:
    override_fields = [{"target": "status"}]
    refused(
        body(override_fields=override_fields), "override_fields[0].override_value", "needs a value"
    )


def test_override_field_with_deprecated_source_becomes_a_mapping() -> None:
    override_fields = [{"target": "status", "source": src("email")}]
    config = validate(body(override_fields=override_fields))
    assert [(f.target, f.source) for f in config.fields] == [
        ("name", Source(model_id=MODEL_ID, field="name")),
        ("status", Source(model_id=MODEL_ID, field="email")),
    ]
    assert config.override_fields == []


def test_override_field_target_must_exist() -> None:
    override_fields = [{"target": "stauts", "override_value": "x"}]
    refused(body(override_fields=override_fields), "override_fields[0].target", "did you mean")


def test_override_field_sync_mode_is_checked_like_a_mapping() -> None:
    override_fields = [{"target": "status", "override_value": "x", "sync_mode": "never"}]
    refused(body(override_fields=override_fields), "override_fields[0].sync_mode", "'never'")


# ---------------------------------------------------------------- identities


def test_legacy_identity_becomes_identities_with_priority_strategy() -> None:
    config = validate(body(identities=None, identity=EMAIL_IDENTITY))
    assert config.identities == Identities(
        mappings=[Identity.model_validate(EMAIL_IDENTITY)], strategy="priority"
    )


def test_identities_win_over_a_different_legacy_identity() -> None:
    config = validate(body(identity=SECOND_IDENTITY))
    assert config.identities is not None
    assert [m.target for m in config.identities.mappings] == ["email"]


def test_legacy_identity_errors_name_the_identity_key() -> None:
    legacy = {**EMAIL_IDENTITY, "target": "emal"}
    refused(body(identities=None, identity=legacy), "identity.target", "not found in target")


def test_mode_that_matches_records_needs_an_identity() -> None:
    refused(body(identities=None), "identities", "mode 'updateOrCreate' matches records")


def test_empty_identity_mappings_mean_no_identity() -> None:
    assert validate(body(mode="append", identities={"mappings": []})).identities is None


def test_identity_model_field_must_exist() -> None:
    identities = {"mappings": [{**EMAIL_IDENTITY, "source": src("mail")}]}
    refused(body(identities=identities), "identities.mappings[0].source.field", "'mail' not found")


def test_identity_function_must_be_an_identity_function() -> None:
    identities = {"mappings": [{**EMAIL_IDENTITY, "function": "equality"}]}
    refused(
        body(identities=identities),
        "identities.mappings[0].function",
        "did you mean 'Equality'?",
    )


def test_identity_function_must_be_offered_by_the_target_field() -> None:
    identities = {"mappings": [{**EMAIL_IDENTITY, "function": "OneOf"}]}
    refused(
        body(identities=identities),
        "identities.mappings[0].function",
        "choose one of: Equality, ISubstring",
    )


def test_identity_target_field_must_support_identities() -> None:
    identities = {"mappings": [{**EMAIL_IDENTITY, "target": "payload"}]}
    refused(body(identities=identities), "identities.mappings[0].target", "cannot identify")


def test_identity_target_field_must_exist() -> None:
    identities = {"mappings": [{**EMAIL_IDENTITY, "target": "mail"}]}
    refused(body(identities=identities), "identities.mappings[0].target", "'mail' not found")


def test_new_identity_field_needs_a_target_that_creates_them() -> None:
    identities = {"mappings": [{**EMAIL_IDENTITY, "target": "ext_id", "new_field": True}]}
    refused(
        body(identities=identities),
        "identities.mappings[0].new_field",
        "cannot create field 'ext_id'",
    )


def test_new_identity_field_is_accepted_when_the_target_creates_them() -> None:
    identities = {"mappings": [{**EMAIL_IDENTITY, "target": "ext_id", "new_field": True}]}
    context = with_properties(supports_identity_field_creation=True)
    config = validate(body(identities=identities), context)
    assert config.identities is not None
    assert config.identities.mappings[0].new_field is True


def test_identity_on_a_field_a_mapping_creates_is_accepted() -> None:
    fields = [{"source": src("email"), "target": "email", "new": True}]
    config = validate(body(fields=fields), new_target_context())
    assert config.identities is not None
    assert config.identities.mappings[0].target == "email"


def test_a_sync_creating_its_target_may_mark_the_identity_new_field() -> None:
    fields = [{"source": src("name"), "target": "name", "new": True}]
    identity = {"source": src("id"), "target": "id", "function": "Equality", "new_field": True}
    for shape in (
        {"identities": {"mappings": [identity]}},
        {"identities": None, "identity": identity},
    ):
        config = validate(body(fields=fields, **shape), new_target_context())
        assert config.identities is not None
        assert config.identities.mappings[0].target == "id"
        assert config.identities.mappings[0].new_field is True


def test_identity_on_a_target_not_created_yet_must_be_created() -> None:
    fields = [{"source": src("name"), "target": "name", "new": True}]
    refused(
        body(fields=fields),
        "identities.mappings[0].target",
        "set new_field to true, or map it in fields with new set to true",
        new_target_context(),
    )


def test_several_identities_need_a_strategy() -> None:
    identities = {"mappings": [EMAIL_IDENTITY, SECOND_IDENTITY]}
    refused(body(identities=identities), "identities.strategy", "need a strategy")


def test_several_identities_keep_their_order_and_strategy() -> None:
    identities = {"mappings": [EMAIL_IDENTITY, SECOND_IDENTITY], "strategy": "and"}
    config = validate(body(identities=identities))
    assert config.identities is not None
    assert [m.target for m in config.identities.mappings] == ["email", "id"]
    assert config.identities.strategy == "and"


def test_identity_strategy_must_be_priority_or_and() -> None:
    identities = {"mappings": [EMAIL_IDENTITY], "strategy": "first"}
    refused(body(identities=identities), "identities.strategy", "one of priority, and")


def test_several_identities_need_a_target_that_matches_on_several() -> None:
    identities = {"mappings": [EMAIL_IDENTITY, SECOND_IDENTITY], "strategy": "priority"}
    context = with_properties(supports_multiple_identities=False)
    refused(body(identities=identities), "identities.mappings[1]", "single identity", context)


@pytest.mark.parametrize("field", ["profile", "tags", "avatar"])
def test_object_array_and_binary_model_fields_cannot_be_identities(field: str) -> None:
    identities = {"mappings": [{**EMAIL_IDENTITY, "source": src(field)}]}
    refused(
        body(identities=identities),
        "identities.mappings[0].source.field",
        "cannot identify records",
    )


# ---------------------------------------------------------------- the stored shape


def test_flags_default_to_false_and_policies_to_empty() -> None:
    config = validate(body())
    assert (config.active, config.only_enrich_updates, config.skip_initial_backfill) == (
        False,
        False,
        False,
    )
    assert (config.sync_all_records, config.policies) == (False, [])


def test_flags_schedule_and_policies_are_copied() -> None:
    config = validate(
        body(
            active=True,
            sync_all_records=True,
            policies=["p1"],
            schedule={"frequency": "daily", "hour": "12"},
        )
    )
    assert (config.active, config.sync_all_records, config.policies) == (True, True, ["p1"])
    assert (config.schedule.frequency, config.schedule.hour) == ("daily", "12")


def test_target_object_is_the_described_target_id() -> None:
    request = body(mode="append", identities=None, target={"connection_id": "c", "create": {}})
    fields = [{"source": src("name"), "target": "name", "new": True}]
    config = validate({**request, "fields": fields}, new_target_context())
    assert config.target.object == "public.new_users"
    assert config.target.connection_id == "c"


def test_config_round_trips_through_model_validate() -> None:
    config = validate(
        body(
            override_fields=[{"target": "status", "override_value": "x"}],
            model_filters={"conditions": [{"source": src("age"), "function": "IsNull"}]},
            overrides=[{"field": src("name"), "override": "n/a"}],
        )
    )
    assert SyncConfig.model_validate(config.model_dump()) == config
