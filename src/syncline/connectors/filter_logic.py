"""Filter logic: `A and (B or C)` over condition labels, parsed into a tree.

The grammar, with `and` binding tighter than `or` and keywords matched
case-insensitively:

    expression := term ("or" term)*
    term       := factor ("and" factor)*
    factor     := LABEL | "(" expression ")"

A label starts with a letter or `_`, followed by letters, digits or `_`.
Nested operators of the same kind are flattened (`(A and B) and C` is one
`And` of three labels); this changes nothing for evaluation and lets callers
look at the top-level operands directly.

This module knows nothing about syncs or requests so that the engine can use
it to evaluate the stored logic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

LABEL_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""What a label looks like (match it with `fullmatch`)."""

KEYWORDS = frozenset({"and", "or"})
"""Words that are operators, in any case, and so cannot be labels."""

MAX_DEPTH = 64
"""Deepest nesting of parentheses accepted; deeper input is refused, not recursed into."""


class LogicSyntaxError(ValueError):
    """The text is not a valid expression. `position` is the 0-based offset of the problem."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


@dataclass(frozen=True)
class Label:
    """A reference to the condition with this label."""

    name: str


@dataclass(frozen=True)
class And:
    """True when every operand is true."""

    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """True when any operand is true."""

    operands: tuple[Node, ...]


Node: TypeAlias = Label | And | Or


def parse_logic(text: str) -> Node:
    """Parse `text` into a tree.

    Raises `LogicSyntaxError` naming the offending token and its 1-based
    character position; an empty or blank text is an error too (callers
    decide what empty logic means).
    """
    parser = _Parser(text)
    if parser.peek().kind == "end":
        raise LogicSyntaxError("the expression is empty", 0)
    node = parser.expression(depth=0)
    token = parser.peek()
    if token.kind != "end":
        raise LogicSyntaxError(
            f"unexpected {token.describe()}; expected 'and', 'or' or the end", token.position
        )
    return node


def labels(node: Node) -> tuple[str, ...]:
    """The labels `node` refers to, each once, in order of first appearance."""
    seen: dict[str, None] = {}
    _collect(node, seen)
    return tuple(seen)


def all_of(nodes: Sequence[Node]) -> Node:
    """The conjunction of `nodes`, flattened; a single node is returned as is.

    Raises `ValueError` for an empty sequence: an empty conjunction has no tree.
    """
    if not nodes:
        raise ValueError("all_of needs at least one node")
    return _combine(And, list(nodes))


def render(node: Node) -> str:
    """The text of `node`, with parentheses only where precedence needs them."""
    if isinstance(node, Label):
        return node.name
    if isinstance(node, And):
        return " and ".join(
            f"({render(op)})" if isinstance(op, Or) else render(op) for op in node.operands
        )
    return " or ".join(render(op) for op in node.operands)


def rename(node: Node, names: Mapping[str, str]) -> Node:
    """`node` with every label found in `names` replaced by its new name."""
    if isinstance(node, Label):
        return Label(names.get(node.name, node.name))
    renamed = tuple(rename(op, names) for op in node.operands)
    return And(renamed) if isinstance(node, And) else Or(renamed)


def evaluate(node: Node, values: Mapping[str, bool]) -> bool:
    """The truth of `node` given each label's truth. Raises `KeyError` for a missing label."""
    if isinstance(node, Label):
        return values[node.name]
    if isinstance(node, And):
        return all(evaluate(op, values) for op in node.operands)
    return any(evaluate(op, values) for op in node.operands)


def _collect(node: Node, seen: dict[str, None]) -> None:
    if isinstance(node, Label):
        seen.setdefault(node.name, None)
        return
    for operand in node.operands:
        _collect(operand, seen)


def _combine(kind: type[And] | type[Or], operands: list[Node]) -> Node:
    if len(operands) == 1:
        return operands[0]
    flat: list[Node] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, kind) else (operand,))
    return kind(tuple(flat))


_Kind = Literal["label", "and", "or", "(", ")", "end"]
_WORD = re.compile(r"[A-Za-z0-9_]+")


@dataclass(frozen=True)
class _Token:
    kind: _Kind
    text: str
    position: int

    def describe(self) -> str:
        if self.kind == "end":
            return "end of the expression"
        return f"'{self.text}' at character {self.position + 1}"


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char.isspace():
            position += 1
            continue
        if char in "()":
            tokens.append(_Token("(" if char == "(" else ")", char, position))
            position += 1
            continue
        match = _WORD.match(text, position)
        if match is None:
            raise LogicSyntaxError(
                f"unexpected character {char!r} at character {position + 1}; "
                "use labels, 'and', 'or' and parentheses",
                position,
            )
        word = match.group()
        if word.lower() in KEYWORDS:
            tokens.append(_Token("and" if word.lower() == "and" else "or", word, position))
        elif LABEL_PATTERN.fullmatch(word):
            tokens.append(_Token("label", word, position))
        else:
            raise LogicSyntaxError(
                f"'{word}' at character {position + 1} is not a label: "
                "labels start with a letter or '_'",
                position,
            )
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    """Recursive descent over the token list; `depth` bounds the recursion."""

    def __init__(self, text: str) -> None:
        self._tokens = _tokenize(text)
        self._index = 0

    def peek(self) -> _Token:
        return self._tokens[self._index]

    def _take(self) -> _Token:
        token = self._tokens[self._index]
        if token.kind != "end":
            self._index += 1
        return token

    def expression(self, depth: int) -> Node:
        operands = [self._term(depth)]
        while self.peek().kind == "or":
            self._take()
            operands.append(self._term(depth))
        return _combine(Or, operands)

    def _term(self, depth: int) -> Node:
        operands = [self._factor(depth)]
        while self.peek().kind == "and":
            self._take()
            operands.append(self._factor(depth))
        return _combine(And, operands)

    def _factor(self, depth: int) -> Node:
        token = self._take()
        if token.kind == "label":
            return Label(token.text)
        if token.kind != "(":
            raise LogicSyntaxError(
                f"expected a label or '(' but found {token.describe()}", token.position
            )
        if depth >= MAX_DEPTH:
            raise LogicSyntaxError(
                f"parentheses nested deeper than {MAX_DEPTH} at character {token.position + 1}",
                token.position,
            )
        node = self.expression(depth + 1)
        close = self._take()
        if close.kind != ")":
            raise LogicSyntaxError(
                f"expected ')' to close the '(' at character {token.position + 1} "
                f"but found {close.describe()}",
                close.position,
            )
        return node
