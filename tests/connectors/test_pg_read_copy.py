"""Reading PostgreSQL through `COPY ... (FORMAT csv)` parsed by Arrow.

Every test compares the COPY path with the server-side cursor path it
replaces (a connector with `copy_reads = False`): the two must give the
same Arrow values, bit for bit, the same errors and the same rows.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import pyarrow as pa
import pytest

from syncline.connectors.postgresql import PostgresqlConnector
from syncline.connectors.vocabulary import FilterFunction as F
from syncline.connectors.writing import TargetCondition, TargetFilter
from syncline.errors import ConnectorError
from tests.connectors.sql_fixtures import (
    SqlWorld,
    eventually,
    make_connector,
    pg_admin,
    pg_backend_alive,
    pg_world,
    unique_name,
)

EVERY_TYPE_COLUMNS = """
    id integer PRIMARY KEY,
    small smallint,
    big bigint,
    ident oid,
    price numeric(10,2),
    wide numeric(38,10),
    whole numeric(38,0),
    hundreds numeric(5,-2),
    exact numeric,
    huge numeric(60,20),
    ratio real,
    score double precision,
    note text,
    code varchar(20),
    flag char(3),
    letter "char",
    label name,
    active boolean,
    created_at timestamptz,
    local_at timestamp,
    day date,
    doc json,
    docb jsonb,
    uid uuid,
    span interval,
    cash money,
    bits bit(4),
    varbits bit varying,
    words tsvector,
    mac macaddr,
    mac8 macaddr8,
    page xml,
    mood {s}.mood,
    pos {s}.positive,
    tag {s}.label
"""

EDGE_ROWS = [
    # Every column NULL but the key.
    "INSERT INTO {s}.every (id) VALUES (1)",
    # Empty strings, which are not NULL.
    """INSERT INTO {s}.every (id, note, code, flag, letter, label, doc, tag)
       VALUES (2, '', '', '', '', '', '""', '')""",
    # CSV's special characters and text that looks like other values.
    """INSERT INTO {s}.every (id, note, code, flag, label, tag) VALUES
       (3, E'a,b "c"\\nd\\\\e\\r\\n,', 'NULL', ' "\\', 'NaN', E'\\\\N'),
       (4, 'Grüße 😀 ✓ 中文 Ω', ' lead', 'ü', 'trail ', '"'),
       (5, E'\\n', E'\\r', ',', '""', E'tab\\there')""",
    # Numbers at their edges.
    """INSERT INTO {s}.every (id, small, big, ident, price, wide, whole, hundreds, exact, huge,
                              ratio, score) VALUES
       (10, -32768, -9223372036854775808, 0, -99999999.99,
        -999999999999999999999999999.9999999999, -99999999999999999999999999999999999999,
        -99900, 0.0000001, 1234567890123456789012345678901234567890.12345678901234567890,
        'NaN', 'NaN'),
       (11, 32767, 9223372036854775807, 4294967295, 99999999.99,
        999999999999999999999999999.9999999999, 99999999999999999999999999999999999999,
        12345, 0.0000000, -0.00000000000000000001, 'Infinity', 'Infinity'),
       (12, 0, 0, 1, 0, 0, 0, 0, 'NaN', 0, '-Infinity', '-Infinity'),
       (13, 1, 1, 2, 0.01, 0.0000000001, 1, 100, 'Infinity', 0.00000000000000000001, '-0', '-0'),
       (14, -1, -1, 3, -0.01, -0.0000000001, -1, -100, '-Infinity', 1, 3.4028235e38,
        1.7976931348623157e308),
       (15, 2, 2, 4, 1.5, 1.5, 2, 200, -0.0000001, -1, 1e-45, 4.9e-324),
       (16, 3, 3, 5, 12.34, 12.34, 3, 300, 0.000001, 2, 1.1, 0.1),
       (17, 4, 4, 6, 0.1, 0.1, 4, 400, 123456789012345678901234567890.123456789, 3,
        0.33333334, 0.3333333333333333),
       (18, 5, 5, 7, 0.2, 0.2, 5, 500, 0.0000010, 4, -2.5e-38, -2.2250738585072014e-308),
       (19, 6, 6, 8, 0.3, 0.3, 6, 600, 1e-30, 5, 16777217, 9007199254740993)""",
    # Times at their edges; timestamptz in several offsets.
    """INSERT INTO {s}.every (id, created_at, local_at, day, active) VALUES
       (20, '1969-12-31 23:59:59.999999+00', '1969-12-31 23:59:59.999999', '1969-12-31', true),
       (21, '0001-01-01 00:00:00+00', '0001-01-01 00:00:00', '0001-01-01', false),
       (22, '9999-12-31 23:59:59.999999+00', '9999-12-31 23:59:59.999999', '9999-12-31', NULL),
       (23, '1883-11-18 12:00:00-05', '1900-01-01 12:00:00.5', '2000-02-29', true),
       (24, '2024-06-01 12:34:56.789+05:30', '2024-02-29 00:00:00.000001', '2024-01-01', false),
       (25, '1900-01-01 00:00:00+00:19:32', '1970-01-01 00:00:00', '1970-01-01', true)""",
    # Text-like types with structure.
    """INSERT INTO {s}.every (id, doc, docb, uid, span, cash, bits, varbits, words, mac, mac8,
                              page, mood, pos) VALUES
       (30, '{{"b": "x\\"y",  "a": [1, 2.50], "u": "\\u00fc"}}',
        '{{"b": "x\\"y", "a": [1, 2.50], "c": null}}',
        'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '-1 years 2 mons -3 days 04:05:06.789', -12.34,
        B'1010', B'1', 'a fat cat', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05',
        '<a b="c">d &amp; e, "f"</a>', 'it''s "complicated"', 1),
       (31, '[]', '{{}}', '00000000-0000-0000-0000-000000000000', '0', 0, B'0000', B'',
        '', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00:00:00', '', 'happy', 2147483647)""",
]

RANDOM_ROWS = """
INSERT INTO {s}.every (id, small, big, price, wide, exact, ratio, score, note, active,
                       created_at, local_at, day, mood, tag)
SELECT g,
       (random() * 65535 - 32768)::int,
       (random() * 2 ^ 62)::bigint * (CASE WHEN random() < 0.5 THEN -1 ELSE 1 END),
       round((random() * 2e8 - 1e8)::numeric, 2) % 99999999,
       round(((random() - 0.5) * 1e27)::numeric, 10),
       round((random() - 0.5)::numeric * 10 ^ (g % 40 - 20)::numeric, g % 30),
       ((random() - 0.5) * 10 ^ (random() * 70 - 35))::real,
       (random() - 0.5) * 10 ^ (random() * 600 - 300),
       (ARRAY['', ',', '"', E'\\n', E'\\r\\n', '\\', 'NULL', 'ü', '😀', ' '])[1 + g % 10]
         || g::text || repeat('x,"', g % 4),
       CASE g % 3 WHEN 0 THEN NULL ELSE g % 3 = 1 END,
       timestamptz '1800-01-01 00:00:00+00' + random() * interval '400 years',
       timestamp '1800-01-01 00:00:00' + random() * interval '400 years',
       date '1800-01-01' + (random() * 146000)::int,
       (ARRAY['happy', 'sad']::{s}.mood[])[1 + g % 2],
       CASE WHEN g % 7 = 0 THEN NULL ELSE md5(g::text) END
FROM generate_series(100, 4099) AS g
"""

DDL = [
    """CREATE TYPE {s}.mood AS ENUM ('happy', 'sad', 'it''s "complicated"')""",
    "CREATE DOMAIN {s}.positive AS integer CHECK (VALUE > 0)",
    "CREATE DOMAIN {s}.label AS text",
    "CREATE TABLE {s}.every (" + EVERY_TYPE_COLUMNS + ")",
    *EDGE_ROWS,
    "SELECT setseed(0.42)",
    RANDOM_ROWS,
    "CREATE TABLE {s}.blobs (id integer PRIMARY KEY, raw bytea, ints integer[])",
    "INSERT INTO {s}.blobs VALUES (1, '\\x00ff', '{{1,2}}'), (2, NULL, NULL)",
    "CREATE TABLE {s}.big AS SELECT g AS n, md5(g::text) AS tag FROM generate_series(1, 300000) g",
]


class CursorConnector(PostgresqlConnector):
    """The same connector reading through a server-side cursor only."""

    copy_reads: ClassVar[bool] = False


@pytest.fixture(scope="module")
def world(pg_config: dict[str, Any]) -> Iterator[SqlWorld]:
    with pg_world(pg_config, DDL) as created:
        yield created


def cursor_connector(pg_config: dict[str, Any]) -> CursorConnector:
    return CursorConnector(CursorConnector.config_model.model_validate(pg_config))


def assert_same(fast: pa.Table, slow: pa.Table) -> None:
    """Equal schemas and values; floats compared by their bits (NaN, -0.0)."""
    assert fast.schema == slow.schema
    assert fast.num_rows == slow.num_rows
    for name, left, right in zip(fast.column_names, fast.columns, slow.columns, strict=True):
        a, b = left.combine_chunks(), right.combine_chunks()
        if pa.types.is_floating(a.type):
            a, b = a.view(pa.int64()), b.view(pa.int64())
        assert a.equals(b), f"column {name!r} differs: {a.to_pylist()[:20]} != {b.to_pylist()[:20]}"


def last_statement(pg_config: dict[str, Any], pid: int) -> str:
    """The statement a backend runs or ran last."""
    with pg_admin(pg_config) as conn:
        row = conn.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert row is not None
    return str(row[0])


def read_with_pid(
    connector: Any, pg_config: dict[str, Any], query: str, batch_size: int = 1000
) -> tuple[pa.Table, str]:
    """Read a query that selects `pg_backend_pid() AS pid` first; return the
    rows without `pid` and the statement the backend ran."""
    reader = connector.read({"query": query}, batch_size=batch_size)
    first = reader.read_next_batch()
    statement = last_statement(pg_config, first.column("pid")[0].as_py())
    table = pa.Table.from_batches([first, *reader], schema=reader.schema)
    return table.drop_columns(["pid"]), statement


# ------------------------------------------------------------ same values


def test_every_type_reads_the_same_through_copy_as_through_a_cursor(
    world: SqlWorld, pg_config: dict[str, Any]
) -> None:
    query = f"SELECT pg_backend_pid() AS pid, * FROM {world.table('every')} ORDER BY id"

    fast, statement = read_with_pid(world.connector, pg_config, query)
    slow = cursor_connector(pg_config).read({"query": query}).read_all().drop_columns(["pid"])

    assert statement.startswith("COPY (SELECT c0, c1, ")
    assert fast.num_rows == 4000 + 23
    assert_same(fast, slow)


def test_a_table_reads_the_same_through_copy_as_through_a_cursor(
    world: SqlWorld, pg_config: dict[str, Any]
) -> None:
    configuration = {"table": world.table("every")}

    fast = world.connector.read(configuration).read_all().sort_by("id")
    slow = cursor_connector(pg_config).read(configuration).read_all().sort_by("id")

    assert_same(fast, slow)


def test_null_and_empty_text_stay_apart(world: SqlWorld) -> None:
    query = f"SELECT id, note, flag, letter, doc FROM {world.table('every')} WHERE id IN (1, 2)"

    rows = world.connector.read({"query": query}).read_all().sort_by("id").to_pylist()

    assert rows == [
        {"id": 1, "note": None, "flag": None, "letter": None, "doc": None},
        {"id": 2, "note": "", "flag": "   ", "letter": "", "doc": '""'},
    ]


def test_text_with_csv_characters_comes_back_as_written(world: SqlWorld) -> None:
    query = f"SELECT note, code, flag, label, tag FROM {world.table('every')} WHERE id = 3"

    row = world.connector.read({"query": query}).read_all().to_pylist()[0]

    assert row == {
        "note": 'a,b "c"\nd\\e\r\n,',
        "code": "NULL",
        "flag": ' "\\',
        "label": "NaN",
        "tag": "\\N",
    }


def test_unbounded_numeric_keeps_the_cursor_paths_spelling(world: SqlWorld) -> None:
    query = f"SELECT id, exact FROM {world.table('every')} WHERE id BETWEEN 10 AND 19 ORDER BY id"

    values = world.connector.read({"query": query}).read_all().column("exact").to_pylist()

    assert values == [
        "1E-7",
        "0E-7",
        "NaN",
        "Infinity",
        "-Infinity",
        "-1E-7",
        "0.000001",
        "123456789012345678901234567890.123456789",
        "0.0000010",
        "1E-30",
    ]


def test_duplicate_and_odd_result_names_read_the_same(
    world: SqlWorld, pg_config: dict[str, Any]
) -> None:
    query = (
        """SELECT 1 AS a, 'x' AS a, date '2024-02-29' AS "weird ""name"", %s", """
        """timestamptz '2024-01-01 00:00:00+00' AS "c0" """
    )

    fast = world.connector.read({"query": query}).read_all()
    slow = cursor_connector(pg_config).read({"query": query}).read_all()

    assert fast.column_names == ["a", "a", 'weird "name", %s', "c0"]
    assert_same(fast, slow)


# ------------------------------------------------------------ which path


def test_columns_without_an_exact_csv_reading_keep_the_cursor(
    world: SqlWorld, pg_config: dict[str, Any]
) -> None:
    query = f"SELECT pg_backend_pid() AS pid, * FROM {world.table('blobs')} ORDER BY id"

    table, statement = read_with_pid(world.connector, pg_config, query)

    assert statement.startswith("FETCH FORWARD")
    assert table.to_pylist() == [
        {"id": 1, "raw": b"\x00\xff", "ints": [1, 2]},
        {"id": 2, "raw": None, "ints": None},
    ]


@pytest.fixture
def session_role(pg_config: dict[str, Any], world: SqlWorld) -> Iterator[Any]:
    """A login role whose sessions get the given settings, with read access to the world."""
    roles: list[str] = []

    def create(**settings: str) -> dict[str, Any]:
        role = unique_name("sl_reader")
        roles.append(role)
        with pg_admin(pg_config) as admin:
            admin.execute(f"CREATE ROLE {role} LOGIN")
            admin.execute(f'GRANT USAGE ON SCHEMA "{world.schema}" TO {role}')
            admin.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{world.schema}" TO {role}')
            for name, value in settings.items():
                admin.execute(f"ALTER ROLE {role} SET {name} = '{value}'")
        return {**pg_config, "username": role}

    yield create
    with pg_admin(pg_config) as admin:
        for role in roles:
            admin.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{world.schema}" FROM {role}')
            admin.execute(f'REVOKE ALL ON SCHEMA "{world.schema}" FROM {role}')
            admin.execute(f"DROP ROLE {role}")


def test_timestamptz_is_read_in_utc_whatever_the_session_time_zone(
    world: SqlWorld, session_role: Any
) -> None:
    config = session_role(timezone="Europe/Amsterdam")
    query = (
        "SELECT pg_backend_pid() AS pid, id, created_at, created_at::date AS local_day,"
        f" current_setting('TimeZone') AS zone FROM {world.table('every')}"
        # 9999-12-31 23:59:59 UTC falls on a day past 9999 in Amsterdam, which neither path reads.
        " WHERE id <> 22 ORDER BY id"
    )

    fast, statement = read_with_pid(make_connector("postgresql", config), config, query)
    slow = cursor_connector(config).read({"query": query}).read_all().drop_columns(["pid"])

    assert statement.startswith("COPY")
    assert set(fast.column("zone").to_pylist()) == {"Europe/Amsterdam"}
    assert_same(fast, slow)


def test_a_session_writing_dates_in_another_style_keeps_the_cursor(
    world: SqlWorld, session_role: Any
) -> None:
    config = session_role(datestyle="SQL, DMY")
    query = (
        # psycopg itself cannot read timestamptz in this style, so none is selected.
        f"SELECT pg_backend_pid() AS pid, id, day, local_at FROM {world.table('every')} ORDER BY id"
    )

    table, statement = read_with_pid(make_connector("postgresql", config), config, query)
    slow = cursor_connector(config).read({"query": query}).read_all().drop_columns(["pid"])

    assert statement.startswith("FETCH FORWARD")
    assert_same(table, slow)


# ------------------------------------------------------------ batches and connections


def test_batches_hold_at_most_batch_size_rows(world: SqlWorld) -> None:
    reader = world.connector.read({"table": world.table("numbers")}, batch_size=1000)

    sizes = [batch.num_rows for batch in reader]

    assert sizes == [1000, 1000, 500]


def test_a_batch_size_of_one_gives_one_row_per_batch(world: SqlWorld) -> None:
    query = f"SELECT id, note FROM {world.table('every')} WHERE id < 10 ORDER BY id"

    batches = list(world.connector.read({"query": query}, batch_size=1))

    assert [b.num_rows for b in batches] == [1] * 5
    assert [b.column("id")[0].as_py() for b in batches] == [1, 2, 3, 4, 5]


def test_an_empty_result_gives_no_batch(world: SqlWorld) -> None:
    reader = world.connector.read({"query": f"SELECT * FROM {world.table('every')} WHERE false"})

    assert list(reader) == []
    assert reader.schema.names[:2] == ["id", "small"]


def test_dropping_a_reader_midway_ends_its_backend(
    world: SqlWorld, pg_config: dict[str, Any]
) -> None:
    query = f"SELECT pg_backend_pid() AS pid, n, tag FROM {world.table('big')}"
    reader = world.connector.read({"query": query}, batch_size=100)
    pid = reader.read_next_batch().column("pid")[0].as_py()
    assert pg_backend_alive(pg_config, pid)

    reader.close()
    del reader
    gc.collect()

    assert eventually(lambda: not pg_backend_alive(pg_config, pid))


def test_dropping_a_reader_cancels_a_statement_still_working(
    world: SqlWorld, pg_config: dict[str, Any]
) -> None:
    # Rows past the second sleep 30 s each. The server sends COPY output in
    # 8 kB pieces: the padding makes the first row leave in full once the second is made.
    query = (
        "SELECT pg_backend_pid() AS pid, g AS n, repeat('x', 100000) AS pad,"
        " (SELECT 1 FROM pg_sleep(CASE WHEN g > 2 THEN 30 ELSE 0 END)) AS slept"
        " FROM generate_series(1, 5) AS g"
    )
    started = time.monotonic()
    reader = world.connector.read({"query": query}, batch_size=1)
    pid = reader.read_next_batch().column("pid")[0].as_py()

    del reader
    gc.collect()

    assert eventually(lambda: not pg_backend_alive(pg_config, pid), timeout=5.0)
    assert time.monotonic() - started < 10.0


# ------------------------------------------------------------ errors


def test_a_statement_failing_midway_fails_alike_on_both_paths(
    world: SqlWorld, pg_config: dict[str, Any]
) -> None:
    query = f"SELECT n, 10 / (n - 2000) AS x FROM {world.table('numbers')} ORDER BY n"
    outcomes = []
    for connector in (world.connector, cursor_connector(pg_config)):
        reader = connector.read({"query": query}, batch_size=1000)
        delivered = reader.read_next_batch().num_rows
        with pytest.raises(ConnectorError) as caught:
            reader.read_next_batch()
        outcomes.append((delivered, caught.value.message))

    assert outcomes[0] == outcomes[1] == (1000, "division by zero")


def test_a_statement_failing_at_once_fails_alike_on_both_paths(
    world: SqlWorld, pg_config: dict[str, Any]
) -> None:
    query = f"SELECT (note || 'x')::integer AS n FROM {world.table('every')} WHERE id = 4"
    messages = []
    for connector in (world.connector, cursor_connector(pg_config)):
        with pytest.raises(ConnectorError) as caught:
            connector.read({"query": query}).read_all()
        messages.append(caught.value.message)

    assert messages[0] == messages[1]
    assert messages[0].startswith("invalid input syntax for type integer")


def test_an_infinite_timestamp_fails_the_read_naming_the_column(world: SqlWorld) -> None:
    reader = world.connector.read({"query": "SELECT 1 AS id, 'infinity'::timestamptz AS seen_at"})

    with pytest.raises(ConnectorError) as caught:
        reader.read_all()

    assert caught.value.message == (
        "column 'seen_at' (timestamp with time zone): a value cannot be read as "
        "timestamp[us, tz=UTC]: invalid value 'infinity'"
    )


def test_the_cursor_path_fails_on_an_infinite_timestamp_too(
    world: SqlWorld, pg_config: dict[str, Any]
) -> None:
    reader = cursor_connector(pg_config).read({"query": "SELECT 'infinity'::timestamp AS t"})

    with pytest.raises(ConnectorError, match="infinity"):
        reader.read_all()


# ------------------------------------------------------------ filter pushdown


def test_a_pushed_down_filter_binds_its_values_on_the_client_safely(
    world: SqlWorld, pg_config: dict[str, Any]
) -> None:
    tricky = "x'); DROP TABLE numbers; --"
    where = TargetFilter(
        {
            "A": TargetCondition("code", F.STRING_ONE_OF, ["NULL", " lead", tricky, "\\'"]),
            "B": TargetCondition("id", F.LESS_THAN_EQUAL, 10),
            "C": TargetCondition("tag", F.EQUALITY, '"'),
        },
        "(A and B) or C",
    )
    configuration = {"table": world.table("every")}

    fast = world.connector.read(configuration, where=where, limit=50).read_all()
    slow = cursor_connector(pg_config).read(configuration, where=where, limit=50).read_all()

    assert sorted(fast.column("id").to_pylist()) == [3, 4]
    assert_same(fast.sort_by("id"), slow.sort_by("id"))
    assert world.connector.read({"table": world.table("numbers")}).read_all().num_rows == 2500


def test_a_pushed_down_filter_on_times_and_numbers_keeps_the_right_rows(
    world: SqlWorld, pg_config: dict[str, Any]
) -> None:
    where = TargetFilter(
        {
            "A": TargetCondition("created_at", F.ON_OR_AFTER, "1950-01-01T00:00:00Z"),
            "B": TargetCondition("price", F.GREATER_THAN_EQUAL, 0),
            "C": TargetCondition("score", F.LESS_THAN, 0.5),
        },
        "A and B and C",
    )
    query = f"SELECT id, created_at, price, score FROM {world.table('every')}"

    fast = world.connector.read({"query": query}, where=where).read_all().sort_by("id")
    slow = cursor_connector(pg_config).read({"query": query}, where=where).read_all()

    assert fast.num_rows > 100
    assert_same(fast, slow.sort_by("id"))


def test_a_query_with_percent_signs_reads_with_and_without_bound_values(
    world: SqlWorld, pg_config: dict[str, Any]
) -> None:
    query = f"SELECT id, '100%' AS pct, note LIKE '%,%' AS comma FROM {world.table('every')}"
    where = TargetFilter({"A": TargetCondition("id", F.LESS_THAN_EQUAL, 5)})

    fast = world.connector.read({"query": query}, where=where).read_all().sort_by("id")
    slow = cursor_connector(pg_config).read({"query": query}, where=where).read_all()
    unfiltered = world.connector.read({"query": query}, limit=None).read_all()

    assert fast.column("pct").to_pylist() == ["100%"] * 5
    assert fast.column("comma").to_pylist() == [None, False, True, False, False]
    assert_same(fast, slow.sort_by("id"))
    assert unfiltered.num_rows == 4023
