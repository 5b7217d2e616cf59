"""Suggested mappings for a new sync, and the new-sync form's error placement."""

from __future__ import annotations

from syncline.connectors.base import ModeSupport, TargetCapabilities, TargetDescription, TargetField
from syncline.connectors.compatibility import Fit, integer_domain, text_domain
from syncline.connectors.vocabulary import FieldType, SyncMode
from syncline.services.syncs.context import ModelFieldInfo, ModelInfo
from syncline.services.syncs.suggest import name_key, suggest_mappings
from syncline.ui.sync_form import Draft, MappingRow


def _target(*fields: TargetField) -> TargetDescription:
    return TargetDescription(
        id="t",
        name="t",
        fields=list(fields),
        modes=(ModeSupport(SyncMode.UPDATE_OR_CREATE, requires_identity=True),),
        properties=TargetCapabilities(),
    )


def _model(*fields: tuple[str, FieldType]) -> ModelInfo:
    return ModelInfo(id="m", name="m", fields=tuple(ModelFieldInfo(n, n, t) for n, t in fields))


def test_names_match_without_case_spaces_dashes_or_underscores() -> None:
    assert name_key("Signed_Up-At ") == name_key("signedupat")


def test_each_model_field_gets_the_target_field_of_its_name() -> None:
    model = _model(("id", FieldType.NUMBER), ("Email", FieldType.STRING), ("x", FieldType.STRING))
    target = _target(
        TargetField("t.email", "email", FieldType.STRING, "text"),
        TargetField("t.id", "ID", FieldType.NUMBER, "bigint"),
    )
    found = {
        s.source.name: s.target.id if s.target else None for s in suggest_mappings(model, target)
    }
    assert found == {"id": "t.id", "Email": "t.email", "x": None}


def test_among_same_names_the_same_type_wins_and_each_target_is_taken_once() -> None:
    model = _model(("amount", FieldType.NUMBER), ("Amount", FieldType.STRING))
    target = _target(
        TargetField("a1", "amount", FieldType.STRING, "text"),
        TargetField("a2", "AMOUNT", FieldType.NUMBER, "numeric"),
    )
    found = [s.target.id if s.target else None for s in suggest_mappings(model, target)]
    assert found == ["a2", "a1"]


def test_a_mapping_whose_values_may_not_fit_carries_a_warning() -> None:
    model = ModelInfo(
        id="m",
        name="m",
        fields=(ModelFieldInfo("n", "n", FieldType.NUMBER, "bigint", integer_domain(64)),),
    )
    target = _target(
        TargetField("n", "n", FieldType.NUMBER, "smallint", domain=integer_domain(16)),
    )
    (suggestion,) = suggest_mappings(model, target)
    assert suggestion.fit is Fit.PER_VALUE
    assert suggestion.warning.startswith("some values may not fit")
    exact = _target(TargetField("n", "n", FieldType.STRING, "text", domain=text_domain()))
    assert suggest_mappings(_model(("n", FieldType.STRING)), exact)[0].warning == ""


def test_error_paths_land_on_their_controls() -> None:
    draft = Draft(
        rows=[MappingRow("a", "ta"), MappingRow("b", ""), MappingRow("c", "tc")],
    )
    assert draft.control_of("fields[1].target") == "map-2-target"
    assert draft.control_of("fields[0].source.field") == "map-0-target"
    assert draft.control_of("fields[9].target") == ""
    assert draft.control_of("identities.mappings[0].source.field") == "identity_source"
    assert draft.control_of("identities.mappings[0].target") == "identity_target"
    assert draft.control_of("target.object") == "object"
    assert draft.control_of("target.create.schema") == "create-schema"
    assert draft.control_of("target.new_name") == "create-name"
    assert draft.control_of("schedule.hour") == "hour"
    assert draft.control_of("schedule") == "frequency"
    assert draft.control_of("name") == "name"
    assert draft.control_of("policies") == ""


def test_override_error_paths_land_on_their_row() -> None:
    draft = Draft.parse(
        {"override-0-field": "", "override-1-field": "score", "override-1-override": "x"}
    )
    assert draft.control_of("overrides[0].override") == "override-1-override"
    assert draft.control_of("overrides[0].field.field") == "override-1-field"
    assert draft.control_of("overrides[1]") == ""
    assert draft.body()["overrides"] == [
        {
            "field": {"model_id": "", "field": "score"},
            "function": None,
            "value": None,
            "override": "x",
        }
    ]


def test_the_body_sends_only_the_schedule_keys_of_the_frequency() -> None:
    draft = Draft.parse(
        {"frequency": "hourly", "minute": "5", "hour": "3", "model": "m", "connection": "c"}
    )
    assert draft.body()["schedule"] == {"frequency": "hourly", "minute": "5"}
