"""Case-sensitive string patterns, written once and rendered per dialect.

Target filters match strings case-sensitively on every database. PostgreSQL
and MySQL do it with `LIKE` (MySQL under a binary collation), SQLite with
`GLOB`, whose wildcards and escaping differ; a pattern is therefore kept as
tokens (literal text, "any run", "any one character") and rendered for the
operator the dialect uses.
"""

from __future__ import annotations

from enum import Enum

LIKE_ESCAPE = "!"
"""The escape character of rendered `LIKE` patterns: never special in SQL
string literals (unlike a backslash in MySQL), so `ESCAPE '!'` reads the same
everywhere."""


class Wildcard(Enum):
    """A wildcard of a pattern."""

    ANY_RUN = "any run of characters"
    ANY_ONE = "any one character"


Pattern = tuple[str | Wildcard, ...]
"""Literal strings and wildcards, in order."""


def contains(text: str) -> Pattern:
    """Matches strings containing `text`."""
    return (Wildcard.ANY_RUN, text, Wildcard.ANY_RUN)


def starts_with(text: str) -> Pattern:
    """Matches strings starting with `text`."""
    return (text, Wildcard.ANY_RUN)


def ends_with(text: str) -> Pattern:
    """Matches strings ending with `text`."""
    return (Wildcard.ANY_RUN, text)


def parse_like(pattern: str) -> Pattern:
    """A person's `LIKE` pattern: `%` any run, `_` any one character, and a
    backslash making the next character literal (the SQL default escape)."""
    tokens: list[str | Wildcard] = []
    literal = ""
    chars = iter(pattern)
    for char in chars:
        if char in "%_":
            if literal:
                tokens.append(literal)
                literal = ""
            tokens.append(Wildcard.ANY_RUN if char == "%" else Wildcard.ANY_ONE)
        elif char == "\\":
            literal += next(chars, "\\")
        else:
            literal += char
    if literal:
        tokens.append(literal)
    return tuple(tokens)


def like_text(pattern: Pattern) -> str:
    """`pattern` for `LIKE ... ESCAPE '!'`."""
    parts = []
    for token in pattern:
        if token is Wildcard.ANY_RUN:
            parts.append("%")
        elif token is Wildcard.ANY_ONE:
            parts.append("_")
        else:
            parts.append("".join(f"{LIKE_ESCAPE}{c}" if c in "!%_" else c for c in str(token)))
    return "".join(parts)


def glob_text(pattern: Pattern) -> str:
    """`pattern` for SQLite's `GLOB`, where `*`, `?` and `[` are special and
    a bracket expression holding one of them matches it literally."""
    parts = []
    for token in pattern:
        if token is Wildcard.ANY_RUN:
            parts.append("*")
        elif token is Wildcard.ANY_ONE:
            parts.append("?")
        else:
            parts.append("".join(f"[{c}]" if c in "*?[" else c for c in str(token)))
    return "".join(parts)
