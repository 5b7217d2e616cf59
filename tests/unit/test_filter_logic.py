"""The filter logic parser: grammar, precedence, errors and the tree helpers."""

from __future__ import annotations

import pytest

from syncline.connectors.filter_logic import (
    MAX_DEPTH,
    And,
    Label,
    LogicSyntaxError,
    Or,
    all_of,
    evaluate,
    labels,
    parse_logic,
    rename,
    render,
)

A, B, C, D = Label("A"), Label("B"), Label("C"), Label("D")


def test_a_single_label_is_a_label_node() -> None:
    assert parse_logic("  A ") == A


def test_and_binds_tighter_than_or() -> None:
    assert parse_logic("A or B and C") == Or((A, And((B, C))))
    assert parse_logic("A and B or C") == Or((And((A, B)), C))


def test_parentheses_group_before_precedence() -> None:
    assert parse_logic("(A or B) and C") == And((Or((A, B)), C))


def test_keywords_are_case_insensitive() -> None:
    assert parse_logic("A AND B Or C aNd D") == Or((And((A, B)), And((C, D))))


def test_labels_are_case_sensitive() -> None:
    assert parse_logic("a or A") == Or((Label("a"), A))


def test_same_operators_are_flattened() -> None:
    assert parse_logic("(A and B) and (C and D)") == And((A, B, C, D))
    assert parse_logic("A or (B or (C))") == Or((A, B, C))


def test_labels_lists_each_label_once_in_order_of_appearance() -> None:
    assert labels(parse_logic("(B or A) and B and (_x1 or A)")) == ("B", "A", "_x1")


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("", 0, "empty"),
        ("   ", 0, "empty"),
        ("A and", 5, "expected a label or '(' but found end of the expression"),
        ("A and or B", 6, "found 'or' at character 7"),
        ("(A or B", 7, "expected ')' to close the '(' at character 1"),
        ("A or B)", 6, "unexpected ')' at character 7"),
        ("A B", 2, "unexpected 'B' at character 3; expected 'and', 'or' or the end"),
        ("A && B", 2, "unexpected character '&' at character 3"),
        ("A or 1B", 5, "'1B' at character 6 is not a label"),
        ("()", 1, "found ')' at character 2"),
        ("and", 0, "found 'and' at character 1"),
    ],
)
def test_syntax_errors_name_the_position(text: str, position: int, message: str) -> None:
    with pytest.raises(LogicSyntaxError) as caught:
        parse_logic(text)
    assert caught.value.position == position
    assert message in str(caught.value)


def test_nesting_deeper_than_the_limit_is_refused_without_recursing() -> None:
    depth = MAX_DEPTH + 1
    with pytest.raises(LogicSyntaxError, match="nested deeper"):
        parse_logic("(" * depth + "A" + ")" * depth)
    assert parse_logic("(" * MAX_DEPTH + "A" + ")" * MAX_DEPTH) == A


@pytest.mark.parametrize(
    "text",
    ["A", "A and B", "A or B and C", "(A or B) and C", "A and (B or C) and D", "A or B or C"],
)
def test_render_reparses_to_the_same_tree(text: str) -> None:
    tree = parse_logic(text)
    assert render(tree) == text
    assert parse_logic(render(tree)) == tree


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"A": True, "B": False, "C": False}, True),
        ({"A": False, "B": True, "C": False}, False),
        ({"A": False, "B": True, "C": True}, True),
    ],
)
def test_evaluate_follows_precedence(values: dict[str, bool], expected: bool) -> None:
    assert evaluate(parse_logic("A or B and C"), values) is expected


def test_rename_replaces_only_the_named_labels() -> None:
    assert rename(parse_logic("A and (B or A)"), {"A": "C"}) == And((C, Or((B, C))))


def test_all_of_flattens_and_returns_a_single_node_as_is() -> None:
    assert all_of([A]) == A
    assert all_of([And((A, B)), Or((C, D))]) == And((A, B, Or((C, D))))
    with pytest.raises(ValueError, match="at least one"):
        all_of([])
