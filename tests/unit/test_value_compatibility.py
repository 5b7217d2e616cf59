"""The compatibility table's lookups: bounds narrow a fit, names follow a target's rules."""

from __future__ import annotations

import pytest

from syncline.connectors.compatibility import (
    WRITES,
    Acceptance,
    Fit,
    NameRules,
    ValueDomain,
    ValueKind,
    decimal_domain,
    integer_domain,
    text_domain,
)
from syncline.connectors.files.types import duckdb_domain
from syncline.connectors.mysql.types import NAMES as MARIADB_NAMES
from syncline.connectors.mysql.types import mysql_domain
from syncline.connectors.postgresql.types import ACCEPTANCE as PG
from syncline.connectors.postgresql.types import postgresql_domain
from syncline.connectors.sqlite.types import sqlite_domain
from syncline.services.syncs.values import judge

K = ValueKind
DEFAULT = Acceptance()


def test_the_table_covers_every_pair_of_kinds() -> None:
    # No source yields "any value"; no column holds "a number of no known kind".
    assert set(WRITES) == set(ValueKind) - {K.ANY}
    assert all(set(row) == set(ValueKind) - {K.NUMBER} for row in WRITES.values())


@pytest.mark.parametrize(
    ("value", "column", "fit"),
    [
        (integer_domain(32), integer_domain(64), Fit.EXACT),
        (integer_domain(64), integer_domain(32), Fit.PER_VALUE),
        (integer_domain(32, unsigned=True), integer_domain(32), Fit.PER_VALUE),
        (ValueDomain(K.INTEGER), integer_domain(64), Fit.PER_VALUE),  # unbounded
        (integer_domain(16), decimal_domain(7, 2), Fit.EXACT),  # 5 digits fit 5
        (integer_domain(32), decimal_domain(10, 2), Fit.PER_VALUE),  # 10 digits, room for 8
        (decimal_domain(10, 2), decimal_domain(12, 4), Fit.EXACT),
        (decimal_domain(12, 4), decimal_domain(10, 2), Fit.PER_VALUE),
        (decimal_domain(8, 4), decimal_domain(10, 2), Fit.PER_VALUE),  # scale rounded
        (decimal_domain(12, 4), decimal_domain(None, None), Fit.EXACT),
        (decimal_domain(5, 0), integer_domain(32), Fit.EXACT),  # numeric(5) is whole
        (text_domain(5), text_domain(10), Fit.EXACT),
        (text_domain(), text_domain(10), Fit.PER_VALUE),
        (text_domain(20), text_domain(10), Fit.PER_VALUE),
        (ValueDomain(K.TIMESTAMP), text_domain(10), Fit.PER_VALUE),
        (text_domain(), text_domain(), Fit.EXACT),
        (text_domain(), decimal_domain(10, 2), Fit.NEVER),
        (ValueDomain(K.TIMESTAMP), integer_domain(32), Fit.NEVER),
    ],
)
def test_bounds_narrow_the_declared_fit(value: ValueDomain, column: ValueDomain, fit: Fit) -> None:
    assert judge(value, column, DEFAULT).fit is fit


def test_a_target_declares_its_own_entries() -> None:
    fraction = decimal_domain(12, 4)
    assert judge(fraction, integer_domain(32), DEFAULT).fit is Fit.PER_VALUE
    assert judge(fraction, integer_domain(32), PG).fit is Fit.NEVER


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        (postgresql_domain("numeric(10,2)"), decimal_domain(10, 2)),
        (postgresql_domain("character varying(20)"), text_domain(20)),
        (postgresql_domain("timestamp(3) with time zone"), ValueDomain(K.TIMESTAMP)),
        (postgresql_domain("integer[]"), ValueDomain(K.ARRAY)),
        (mysql_domain("int(11) unsigned"), integer_domain(32, unsigned=True)),
        (mysql_domain("tinyint(1)"), ValueDomain(K.BOOLEAN)),
        (mysql_domain("decimal(10,0)"), decimal_domain(10, 0)),
        (mysql_domain("varchar(255)"), text_domain(255)),
        (sqlite_domain("VARCHAR(5)"), text_domain()),  # SQLite keeps any length
        (sqlite_domain(""), ValueDomain(K.ANY)),
        (duckdb_domain("DECIMAL(18,3)"), decimal_domain(18, 3)),
        (duckdb_domain("VARCHAR[]"), ValueDomain(K.ARRAY)),
    ],
)
def test_connectors_declare_domains_from_their_type_names(
    domain: ValueDomain, expected: ValueDomain
) -> None:
    assert domain == expected


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("note", None),
        (" note", None),
        ("note ", "ends with white space"),
        ("n" * 64, None),
        ("n" * 65, "65 characters long"),
        ("é" * 64, None),  # characters, not bytes
        ("\U0001f600", "Basic Multilingual Plane"),
        ("", "empty"),
        ("a\x00b", "NUL"),
    ],
)
def test_mariadb_name_rules(name: str, problem: str | None) -> None:
    found = MARIADB_NAMES.problem(name)
    assert found is None if problem is None else problem in (found or "")


def test_a_byte_limit_counts_utf8_bytes() -> None:
    rules = NameRules(max_length=63, length_in_bytes=True)
    assert rules.problem("é" * 31) is None
    assert "64 bytes" in (rules.problem("é" * 32) or "")


def test_a_per_value_fit_always_says_why() -> None:
    # Binary that fits the column's length is still converted into text value by value.
    short_binary = ValueDomain(K.BINARY, length=5)
    verdict = judge(short_binary, text_domain(10), DEFAULT)
    assert verdict.fit is Fit.PER_VALUE
    assert verdict.reason
