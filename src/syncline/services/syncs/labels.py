"""Condition labels and the logic over them, checked per filter object.

Rules (spec 3.1, "Rules for filter logic"): label every condition or none;
unlabelled conditions get A, B, ..., Z, AA, AB, ... in order (passing over
`or` and `and`, which a label cannot be); labels are
unique within the object; the logic mentions every label and no other, and
an empty logic means the AND of all conditions.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from itertools import count

from syncline.connectors.filter_logic import (
    KEYWORDS,
    LABEL_PATTERN,
    LogicSyntaxError,
    Node,
    labels,
    parse_logic,
)
from syncline.errors import ValidationFailed
from syncline.services.syncs.messages import choices


def _alphabetic(index: int) -> str:
    """The 0-based `index`-th name of A..Z, AA, AB, ..., ZZ, AAA, ... (bijective base 26)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def _alphabetic_index(name: str) -> int:
    """The inverse of `_alphabetic` for a name of letters A-Z."""
    number = 0
    for char in name:
        number = number * 26 + ord(char) - ord("A") + 1
    return number - 1


_SKIPPED = sorted(
    _alphabetic_index(word.upper()) for word in KEYWORDS if word.isascii() and word.isalpha()
)
"""Places of the operator words (OR, AND) in the alphabetic sequence: no label takes them."""


def sequence_label(index: int) -> str:
    """The label given to the condition at 0-based `index`: A..Z, then AA, AB, ...,
    passing over the operator words (so the 408th is OS, not OR)."""
    for skipped in _SKIPPED:
        if index >= skipped:
            index += 1
    return _alphabetic(index)


def next_free_label(taken: Container[str]) -> str:
    """The first sequence label (A, B, ...) not in `taken`."""
    return next(label for label in map(sequence_label, count()) if label not in taken)


def assign_labels(given: Sequence[str | None], paths: Sequence[str]) -> list[str]:
    """The labels of an object's conditions: the given ones, checked, or A, B, ... for none.

    `paths[i]` is where condition i's label is (or would be) in the request.
    An empty string counts as no label. Raises `ValidationFailed` for a label
    of the wrong form or an operator word, a duplicate, or when only some
    conditions are labelled.
    """
    if not any(given):
        return [sequence_label(i) for i in range(len(given))]
    seen: dict[str, str] = {}
    for label, path in zip(given, paths, strict=True):
        if not label:
            raise ValidationFailed(
                "label every condition or none: this condition has no label while others have one",
                path=path,
            )
        if not LABEL_PATTERN.fullmatch(label) or label.lower() in KEYWORDS:
            raise ValidationFailed(
                f"label {label!r} is not valid: a label starts with a letter or '_', "
                "continues with letters, digits or '_', and is not 'and' or 'or'",
                path=path,
            )
        if label in seen:
            raise ValidationFailed(
                f"label {label!r} is used twice (also at {seen[label]}); labels must be unique",
                path=path,
            )
        seen[label] = path
    return [label for label in given if label]


def check_logic(text: str | None, known: Sequence[str], path: str) -> Node | None:
    """Parse an object's logic against its labels; None when the logic is empty.

    Raises `ValidationFailed` at `path` for a syntax error (naming the
    position), logic without conditions, an unknown label, or a label the
    logic does not mention.
    """
    if text is None or not text.strip():
        return None
    if not known:
        raise ValidationFailed(
            "logic must be empty when there are no conditions; remove it or add conditions",
            path=path,
        )
    try:
        node = parse_logic(text)
    except LogicSyntaxError as error:
        raise ValidationFailed(f"invalid filter logic {text!r}: {error}", path=path) from error
    used = labels(node)
    unknown = [label for label in used if label not in known]
    if unknown:
        raise ValidationFailed(
            f"filter logic refers to label {unknown[0]!r}, which no condition has; "
            f"labels: {choices(known)}",
            path=path,
        )
    missing = [label for label in known if label not in used]
    if missing:
        raise ValidationFailed(
            f"filter logic must mention every label; missing: {choices(missing)}", path=path
        )
    return node
