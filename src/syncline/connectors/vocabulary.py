"""The words sources, targets and the engine share: field types, sync modes,
filter and identity functions, and which filter functions suit which field type.

These are plain data so that capability checks live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FieldType(StrEnum):
    """Polytomic's normalized field types (`UtilFieldType`)."""

    UNKNOWN = "unknown"
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    ARRAY = "array"
    OBJECT = "object"
    BINARY = "binary"


class SyncMode(StrEnum):
    """How a sync writes records into its target object."""

    CREATE = "create"
    UPDATE = "update"
    UPDATE_OR_CREATE = "updateOrCreate"
    REPLACE = "replace"
    APPEND = "append"
    REMOVE = "remove"
    SNAPSHOT = "snapshot"


class IdentityFunction(StrEnum):
    """How a model value is matched against a target value."""

    EQUALITY = "Equality"
    ISUBSTRING = "ISubstring"
    ONE_OF = "OneOf"
    DOMAIN_MATCH = "DomainMatch"
    HOSTNAME_MATCH = "HostnameMatch"


IDENTITY_FUNCTION_LABELS: dict[IdentityFunction, str] = {
    IdentityFunction.EQUALITY: "Equals",
    IdentityFunction.ISUBSTRING: "Contains (case-insensitive)",
    IdentityFunction.ONE_OF: "Is one of",
    IdentityFunction.DOMAIN_MATCH: "Domain matches",
    IdentityFunction.HOSTNAME_MATCH: "Hostname matches",
}


class FilterFunction(StrEnum):
    """Every filter function of the Model Sync API."""

    EQUALITY = "Equality"
    INEQUALITY = "Inequality"
    IS_NULL = "IsNull"
    IS_NOT_NULL = "IsNotNull"
    TRUE = "True"
    FALSE = "False"
    ON_OR_AFTER = "OnOrAfter"
    ON_OR_BEFORE = "OnOrBefore"
    GREATER_THAN = "GreaterThan"
    GREATER_THAN_EQUAL = "GreaterThanEqual"
    LESS_THAN = "LessThan"
    LESS_THAN_EQUAL = "LessThanEqual"
    STRING_CONTAINS = "StringContains"
    STRING_STARTS_WITH = "StringStartsWith"
    STRING_ENDS_WITH = "StringEndsWith"
    STRING_DOES_NOT_CONTAIN = "StringDoesNotContain"
    STRING_DOES_NOT_START_WITH = "StringDoesNotStartWith"
    STRING_DOES_NOT_END_WITH = "StringDoesNotEndWith"
    STRING_ONE_OF = "StringOneOf"
    STRING_NOT_ONE_OF = "StringNotOneOf"
    BETWEEN = "Between"
    ARRAY_CONTAINS = "ArrayContains"
    ARRAY_DOES_NOT_CONTAIN = "ArrayDoesNotContain"
    IN_THE_LAST = "InTheLast"
    RELATIVE_ON_OR_BEFORE = "RelativeOnOrBefore"
    RELATIVE_ON_OR_AFTER = "RelativeOnOrAfter"
    STRING_LIKE = "StringLike"
    STRING_NOT_LIKE = "StringNotLike"
    STRING_MATCHES_TRIMMED = "StringMatchesTrimmed"


class ValueShape(StrEnum):
    """The shape of the operand a filter function takes."""

    NONE = "none"
    SCALAR = "scalar"
    LIST = "list"
    PAIR = "pair"
    DURATION = "duration"


@dataclass(frozen=True)
class FilterFunctionInfo:
    """How one filter function is presented and what operand it takes."""

    label: str
    shape: ValueShape


F = FilterFunction
FILTER_FUNCTIONS: dict[FilterFunction, FilterFunctionInfo] = {
    F.EQUALITY: FilterFunctionInfo("Equals", ValueShape.SCALAR),
    F.INEQUALITY: FilterFunctionInfo("Does not equal", ValueShape.SCALAR),
    F.IS_NULL: FilterFunctionInfo("Is empty", ValueShape.NONE),
    F.IS_NOT_NULL: FilterFunctionInfo("Is not empty", ValueShape.NONE),
    F.TRUE: FilterFunctionInfo("Is true", ValueShape.NONE),
    F.FALSE: FilterFunctionInfo("Is false", ValueShape.NONE),
    F.ON_OR_AFTER: FilterFunctionInfo("On or after", ValueShape.SCALAR),
    F.ON_OR_BEFORE: FilterFunctionInfo("On or before", ValueShape.SCALAR),
    F.GREATER_THAN: FilterFunctionInfo("Greater than", ValueShape.SCALAR),
    F.GREATER_THAN_EQUAL: FilterFunctionInfo("Greater than or equal", ValueShape.SCALAR),
    F.LESS_THAN: FilterFunctionInfo("Less than", ValueShape.SCALAR),
    F.LESS_THAN_EQUAL: FilterFunctionInfo("Less than or equal", ValueShape.SCALAR),
    F.STRING_CONTAINS: FilterFunctionInfo("Contains", ValueShape.SCALAR),
    F.STRING_STARTS_WITH: FilterFunctionInfo("Starts with", ValueShape.SCALAR),
    F.STRING_ENDS_WITH: FilterFunctionInfo("Ends with", ValueShape.SCALAR),
    F.STRING_DOES_NOT_CONTAIN: FilterFunctionInfo("Does not contain", ValueShape.SCALAR),
    F.STRING_DOES_NOT_START_WITH: FilterFunctionInfo("Does not start with", ValueShape.SCALAR),
    F.STRING_DOES_NOT_END_WITH: FilterFunctionInfo("Does not end with", ValueShape.SCALAR),
    F.STRING_ONE_OF: FilterFunctionInfo("Is one of", ValueShape.LIST),
    F.STRING_NOT_ONE_OF: FilterFunctionInfo("Is not one of", ValueShape.LIST),
    F.BETWEEN: FilterFunctionInfo("Between", ValueShape.PAIR),
    F.ARRAY_CONTAINS: FilterFunctionInfo("Array contains", ValueShape.SCALAR),
    F.ARRAY_DOES_NOT_CONTAIN: FilterFunctionInfo("Array does not contain", ValueShape.SCALAR),
    F.IN_THE_LAST: FilterFunctionInfo("In the last", ValueShape.DURATION),
    F.RELATIVE_ON_OR_BEFORE: FilterFunctionInfo("On or before (relative)", ValueShape.DURATION),
    F.RELATIVE_ON_OR_AFTER: FilterFunctionInfo("On or after (relative)", ValueShape.DURATION),
    F.STRING_LIKE: FilterFunctionInfo("Matches pattern", ValueShape.SCALAR),
    F.STRING_NOT_LIKE: FilterFunctionInfo("Does not match pattern", ValueShape.SCALAR),
    F.STRING_MATCHES_TRIMMED: FilterFunctionInfo("Equals (trimmed)", ValueShape.SCALAR),
}

_NULLS = (F.IS_NULL, F.IS_NOT_NULL)
_COMPARE = (
    F.EQUALITY,
    F.INEQUALITY,
    F.GREATER_THAN,
    F.GREATER_THAN_EQUAL,
    F.LESS_THAN,
    F.LESS_THAN_EQUAL,
    F.BETWEEN,
)
_STRINGS = (
    F.EQUALITY,
    F.INEQUALITY,
    F.STRING_CONTAINS,
    F.STRING_STARTS_WITH,
    F.STRING_ENDS_WITH,
    F.STRING_DOES_NOT_CONTAIN,
    F.STRING_DOES_NOT_START_WITH,
    F.STRING_DOES_NOT_END_WITH,
    F.STRING_ONE_OF,
    F.STRING_NOT_ONE_OF,
    F.STRING_LIKE,
    F.STRING_NOT_LIKE,
    F.STRING_MATCHES_TRIMMED,
)
_DATES = (
    F.EQUALITY,
    F.INEQUALITY,
    F.ON_OR_AFTER,
    F.ON_OR_BEFORE,
    F.BETWEEN,
    F.IN_THE_LAST,
    F.RELATIVE_ON_OR_BEFORE,
    F.RELATIVE_ON_OR_AFTER,
)

FILTER_FUNCTIONS_BY_TYPE: dict[FieldType, tuple[FilterFunction, ...]] = {
    FieldType.STRING: _STRINGS + _NULLS,
    FieldType.NUMBER: _COMPARE + _NULLS,
    FieldType.BOOLEAN: (F.TRUE, F.FALSE, F.EQUALITY, F.INEQUALITY, *_NULLS),
    FieldType.DATETIME: _DATES + _NULLS,
    FieldType.ARRAY: (F.ARRAY_CONTAINS, F.ARRAY_DOES_NOT_CONTAIN, *_NULLS),
    FieldType.OBJECT: _NULLS,
    FieldType.BINARY: _NULLS,
    FieldType.UNKNOWN: (F.EQUALITY, F.INEQUALITY, *_NULLS),
}


@dataclass(frozen=True)
class ModeInfo:
    """How a sync mode is presented to people."""

    label: str
    description: str


MODE_INFO: dict[SyncMode, ModeInfo] = {
    SyncMode.CREATE: ModeInfo("Create", "Insert records that are new to the target; never modify."),
    SyncMode.UPDATE: ModeInfo("Update", "Update target records that match; never insert."),
    SyncMode.UPDATE_OR_CREATE: ModeInfo(
        "Update or create", "Update matching target records and insert the rest."
    ),
    SyncMode.REPLACE: ModeInfo(
        "Replace", "Leave the target holding exactly the model's records after each run."
    ),
    SyncMode.APPEND: ModeInfo("Append", "Append new and changed records to the target."),
    SyncMode.REMOVE: ModeInfo("Remove", "Delete target records that match model records."),
    SyncMode.SNAPSHOT: ModeInfo(
        "Snapshot", "Append the whole model each run with the snapshot time."
    ),
}
