"""The change-state hash and the identity keys are defined functions of the mapped values.

Each record's `HASH`, `KEY`, `KEY_HIGH` and `KEY_LOW` live in a sync's state
across runs, so an upgrade of Syncline, DuckDB or pyarrow must not change
them. The engine is checked twice here: against a reference implementation
in plain Python of the encoding the `syncline.engine.mapping` docstring
defines, and against golden values that reference computed once. If a golden
test fails after an upgrade, the state format changed: every sync would
resend everything, or miss changes. Fix the engine, not the constants.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from syncline.engine.errors import EngineError
from syncline.engine.mapping import HASH, KEY, KEY_HIGH, KEY_LOW, Mapper
from syncline.engine.spec import FieldMapping, IdentityPair
from tests.engine.memory import MemorySource, MemoryTarget
from tests.engine.support import PEOPLE, make_spec, people, sync

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def days(day: date) -> int:
    """Days since 1970-01-01."""
    return (day - date(1970, 1, 1)).days


# Temporal values are given as numbers of their unit, so that the reference reads
# the same numbers Arrow stores, and years beyond Python's datetime can be written.
COLUMNS: list[tuple[str, pa.DataType, list[Any]]] = [
    ("id", pa.int64(), [1, None, 0, -(2**63)]),
    (
        "name",
        pa.string(),
        ["Zoë 😀", None, "", 'q"b\\n\nt\tnul\x00del\x7f\u2028'],
    ),
    ("memo", pa.large_string(), ["日本", None, "", " "]),
    ("flag", pa.bool_(), [True, None, False, True]),
    ("tiny", pa.int8(), [-128, None, 0, 127]),
    ("count", pa.uint64(), [2**64 - 1, None, 0, 42]),
    ("amount", pa.decimal128(12, 2), [Decimal("1234.5"), None, Decimal("-0.05"), Decimal(0)]),
    (
        "huge",
        pa.decimal128(38, 0),
        [Decimal(10**38 - 1), None, Decimal(-(10**37) - 12345), Decimal(1)],
    ),
    (
        "fraction",
        pa.decimal128(38, 37),
        [Decimal("1E-37"), None, Decimal("-9.9999999999999999999999999999999999999"), Decimal(0)],
    ),
    ("score", pa.float64(), [0.1, None, -0.0, math.nan]),
    ("ratio", pa.float32(), [1.5, None, math.inf, -math.inf]),
    ("zero", pa.float64(), [0.0, None, 5e-324, 1.7976931348623157e308]),
    ("blob", pa.binary(), [b"\x00\xff", None, b"", b"abc"]),
    ("code", pa.binary(2), [b"ab", None, b"\x00\x00", b"\xff\xfe"]),
    ("day", pa.date32(), [days(date(2024, 1, 15)), None, days(date(1, 1, 1)) - 366, 5_000_000]),
    ("stamp", pa.date64(), [days(date(1969, 7, 20)) * 86_400_000, None, 0, -86_400_000]),
    (
        "at",
        pa.timestamp("us", "UTC"),
        [
            micros(datetime(2024, 1, 1, 23, 0, 0, 500_000, tzinfo=UTC)),
            None,
            -1,
            6_000_000_000_000_000_000,
        ],
    ),
    (
        "local",
        pa.timestamp("ms"),
        [micros(datetime(1900, 2, 28, 12, tzinfo=UTC)) // 1000, None, 0, -62_135_596_800_001],
    ),
    ("precise", pa.timestamp("ns"), [1_500, None, -1, 1_000_000]),
    ("clock", pa.time64("us"), [0, None, 86_399_999_999, 45_000_000_000]),
    ("alarm", pa.time32("s"), [0, None, 86_399, 3_600]),
    ("wait", pa.duration("s"), [90, None, -1, 0]),
    ("lag", pa.duration("ns"), [2_000, None, -1_001, 0]),
    ("tags", pa.list_(pa.float64()), [[1.0, None], None, [], [-math.inf]]),
    ("words", pa.list_(pa.string()), [["a", ""], None, [None], []]),
    (
        "point",
        pa.struct([("x", pa.int64()), ("label", pa.string())]),
        [{"x": 1, "label": "a"}, None, {"x": None, "label": ""}, {"x": -1, "label": None}],
    ),
    ("attrs", pa.map_(pa.string(), pa.int64()), [[("k", 1)], None, [], [("", None), ("z", 2)]]),
    ("nothing", pa.null(), [None, None, None, None]),
]
"""Every type with a canonical encoding, each over NULL and edge values, in four rows."""

BATCH = pa.RecordBatch.from_arrays(
    [pa.array(values, type_) for _, type_, values in COLUMNS],
    names=[name for name, _, _ in COLUMNS],
)
IDENTITY = ("id", "name")

GOLDEN_HASHES = [
    7046536889189876446,
    2961831620795447795,
    13530278112316935981,
    13461008842752561177,
]
GOLDEN_KEYS: list[str | None] = [
    '["1","Zoë 😀"]',
    None,
    '["0",""]',
    '["-9223372036854775808","q\\"b\\\\n\\nt\\tnul\\u0000del\x7f\u2028"]',
]
GOLDEN_KEY_NUMBERS: list[tuple[int, int] | None] = [
    (3978356605957647809, 17364156630178319233),
    None,
    (1451190180016348057, 1590810641856990723),
    (14800789788786882492, 6720216317273479272),
]
GOLDEN_CONTENT_KEYS: list[str] = [
    "de42d970f753ca61a7ed851256ed854f",
    "f33908aa2a8a1a2982339df4662177d7",
    "2dcfe4b44134c5bb3fb81c6c0b48dc4a",
    "1990a816391ccfbaebf8ee35e8ffd099",
]


# ---------------------------------------------------------------- the reference


def frame(data: bytes | None) -> bytes:
    """Length-prefixed bytes; NULL is `:` alone."""
    return b":" if data is None else str(len(data)).encode() + b":" + data


def decimal_text(value: Decimal, scale: int) -> str:
    with localcontext() as context:
        context.prec = 100
        exact = value.quantize(Decimal(1).scaleb(-scale))
    return ("-" if exact < 0 else "") + format(exact.copy_abs(), "f")


def float_text(value: float, type_: pa.DataType) -> str:
    if math.isnan(value):
        return "7FF8000000000000"
    if pa.types.is_float32(type_):
        value = struct.unpack("<f", struct.pack("<f", value))[0]
    return struct.pack(">d", value).hex().upper()


PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def units_text(value: int, unit: str) -> str:
    if unit == "ns":
        return str(value // 1000) if value % 1000 == 0 else f"{value}n"
    return str(value * (1_000_000 // PER_SECOND[unit]))


def text(value: Any, type_: pa.DataType) -> bytes | None:
    """The canonical text of one value, as the mapping docstring defines it."""
    types = pa.types
    if value is None or types.is_null(type_):
        return None
    if types.is_boolean(type_):
        return b"t" if value else b"f"
    if types.is_integer(type_):
        return str(value).encode()
    if types.is_decimal(type_):
        return decimal_text(value, type_.scale).encode()
    if types.is_floating(type_):
        return float_text(value, type_).encode()
    if types.is_string(type_) or types.is_large_string(type_):
        return str(value).encode()
    if types.is_binary(type_) or types.is_fixed_size_binary(type_):
        return bytes(value).hex().upper().encode()
    if types.is_date32(type_):
        return str(value).encode()
    if types.is_date64(type_):
        return str(value // 86_400_000).encode()
    if types.is_timestamp(type_) or types.is_time(type_) or types.is_duration(type_):
        return units_text(value, type_.unit).encode()
    if types.is_map(type_):
        entry = pa.struct([("key", type_.key_type), ("value", type_.item_type)])
        return b"".join(frame(text({"key": k, "value": v}, entry)) for k, v in value)
    if types.is_list(type_):
        return b"".join(frame(text(element, type_.value_type)) for element in value)
    if types.is_struct(type_):
        return b"".join(
            frame(field.name.encode()) + frame(text(value[field.name], field.type))
            for field in type_
        )
    raise AssertionError(f"the reference has no encoding for {type_}")


def canonical(row: Sequence[tuple[str, pa.DataType, Any]]) -> bytes:
    """The canonical encoding of a record given as (name, type, value) in column order."""
    return b"".join(frame(name.encode()) + frame(text(value, type_)) for name, type_, value in row)


def md5(data: bytes) -> bytes:
    return hashlib.md5(data).digest()  # noqa: S324 - a change hash, not a secret


def reference_hash(row: Sequence[tuple[str, pa.DataType, Any]]) -> int:
    return int.from_bytes(md5(canonical(row))[:8], "little")


def civil(day_number: int) -> str:
    """`YYYY-MM-DD` of a day number (H. Hinnant's civil_from_days), any year."""
    z = day_number + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (month <= 2)
    return f"{'-' if year < 0 else ''}{abs(year):04d}-{month:02d}-{day:02d}"


def key_text(value: Any, type_: pa.DataType) -> str | None:
    """The key text of one identity value, as the mapping docstring defines it."""
    types = pa.types
    if value is None:
        return None
    if types.is_boolean(type_):
        return "true" if value else "false"
    if types.is_string(type_) or types.is_large_string(type_):
        return str(value)
    if types.is_date32(type_):
        return civil(value)
    if types.is_date64(type_):
        return civil(value // 86_400_000)
    if types.is_timestamp(type_):
        per = PER_SECOND["ns" if type_.unit == "ns" else "us"]
        ticks = value if type_.unit == "ns" else int(units_text(value, type_.unit))
        day, rest = divmod(ticks, 86_400 * per)
        hours, rest = divmod(rest, 3600 * per)
        minutes, rest = divmod(rest, 60 * per)
        seconds, fraction = divmod(rest, per)
        digits = len(str(per)) - 1
        sub = f".{fraction:0{digits}d}".rstrip("0") if fraction else ""
        zone = "+00" if type_.tz is not None else ""
        return f"{civil(day)} {hours:02d}:{minutes:02d}:{seconds:02d}{sub}{zone}"
    encoded = text(value, type_)
    return None if encoded is None else encoded.decode()


JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n"}
JSON_ESCAPES |= {"\f": "\\f", "\r": "\\r"}


def json_string(value: str) -> str:
    escaped = "".join(
        JSON_ESCAPES.get(c, f"\\u{ord(c):04X}" if ord(c) < 0x20 else c) for c in value
    )
    return f'"{escaped}"'


def reference_key(parts: Sequence[tuple[pa.DataType, Any]]) -> str | None:
    texts = [key_text(value, type_) for type_, value in parts]
    if any(t is None for t in texts):
        return None
    if len(texts) == 1:
        return texts[0]
    return "[" + ",".join(json_string(t) for t in texts if t is not None) + "]"


def key_numbers(key: str | None) -> tuple[int, int] | None:
    """(KEY_HIGH, KEY_LOW) of a key text."""
    if key is None:
        return None
    digest = md5(key.encode())
    return int.from_bytes(digest[8:], "little"), int.from_bytes(digest[:8], "little")


def rows(
    columns: list[tuple[str, pa.DataType, list[Any]]],
) -> list[list[tuple[str, pa.DataType, Any]]]:
    count = len(columns[0][2])
    return [[(name, type_, values[n]) for name, type_, values in columns] for n in range(count)]


# ---------------------------------------------------------------- the engine


def mapper(
    tmp_path: Path, schema: pa.Schema, targets: Sequence[str], identity: Sequence[str] = ()
) -> Mapper:
    """A mapper of `schema` onto `targets` (same names as the model), in order, by `identity`."""
    spec = replace(
        make_spec(tmp_path),
        mappings=tuple(FieldMapping(name, source=name) for name in targets),
        identity=tuple(IdentityPair(name, name) for name in identity),
    )
    return Mapper(spec, schema)


def engine_columns(
    tmp_path: Path,
    batch: pa.RecordBatch,
    targets: Sequence[str] | None = None,
    identity: Sequence[str] = (),
) -> dict[str, list[Any]]:
    m = mapper(tmp_path, batch.schema, batch.schema.names if targets is None else targets, identity)
    try:
        mapped = m.map(batch).batch
    finally:
        m.close()
    return {name: mapped.column(name).to_pylist() for name in (KEY, KEY_HIGH, KEY_LOW, HASH)}


def numbers(columns: dict[str, list[Any]]) -> list[tuple[int, int] | None]:
    return [
        None if high is None else (high, low)
        for high, low in zip(columns[KEY_HIGH], columns[KEY_LOW], strict=True)
    ]


# ---------------------------------------------------------------- golden values


def test_hash_of_every_type_is_the_reference_and_the_golden_value(tmp_path: Path) -> None:
    expected = [reference_hash(row) for row in rows(COLUMNS)]
    assert engine_columns(tmp_path, BATCH, identity=IDENTITY)[HASH] == expected
    assert expected == GOLDEN_HASHES


def test_composite_key_is_the_reference_and_the_golden_value(tmp_path: Path) -> None:
    expected = [
        reference_key([(type_, value) for name, type_, value in row if name in IDENTITY])
        for row in rows(COLUMNS)
    ]
    engine = engine_columns(tmp_path, BATCH, identity=IDENTITY)
    assert engine[KEY] == expected
    assert numbers(engine) == [key_numbers(key) for key in expected]
    assert expected == GOLDEN_KEYS
    assert numbers(engine) == GOLDEN_KEY_NUMBERS


def test_content_key_without_identity_is_the_md5_of_the_canonical_encoding(
    tmp_path: Path,
) -> None:
    expected = [md5(canonical(row)).hex() for row in rows(COLUMNS)]
    engine = engine_columns(tmp_path, BATCH)
    assert engine[KEY] == expected
    assert numbers(engine) == [key_numbers(key) for key in expected]
    assert expected == GOLDEN_CONTENT_KEYS


KEY_TEXTS: list[tuple[pa.DataType, list[Any], list[str | None]]] = [
    (pa.int64(), [42, -7, None], ["42", "-7", None]),
    (pa.uint64(), [2**64 - 1], ["18446744073709551615"]),
    (pa.string(), ["eu", "", "Zoë 😀"], ["eu", "", "Zoë 😀"]),
    (pa.bool_(), [True, False], ["true", "false"]),
    (pa.decimal128(12, 2), [Decimal("-0.05"), Decimal(150)], ["-0.05", "150.00"]),
    (
        pa.date32(),
        [days(date(2024, 1, 15)), days(date(1, 1, 1)) - 366, -800_000, 5_000_000],
        ["2024-01-15", "0000-01-01", "-0221-09-04", "15659-07-15"],
    ),
    (pa.date64(), [-86_400_000], ["1969-12-31"]),
    (
        pa.timestamp("us", "UTC"),
        [micros(datetime(2024, 1, 1, 23, 0, 0, 500_000, tzinfo=UTC)), -1, 6 * 10**18],
        ["2024-01-01 23:00:00.5+00", "1969-12-31 23:59:59.999999+00", "192102-06-07 10:40:00+00"],
    ),
    (pa.timestamp("s"), [-62_135_596_801], ["0000-12-31 23:59:59"]),
    (
        pa.timestamp("ns"),
        [1_500, -1],
        ["1970-01-01 00:00:00.0000015", "1969-12-31 23:59:59.999999999"],
    ),
    (
        pa.float64(),
        [1.0, -0.0, math.nan],
        ["3FF0000000000000", "8000000000000000", "7FF8000000000000"],
    ),
    (pa.binary(), [b"\x00\xff", b""], ["00FF", ""]),
    (pa.time64("us"), [45_000_000_000], ["45000000000"]),
    (pa.list_(pa.int64()), [[1, None], []], ["1:1:", ""]),
]
"""Key texts of single identities, by type: the same as the reference, and pinned."""


@pytest.mark.parametrize(
    ("type_", "values", "expected"), KEY_TEXTS, ids=[str(t) for t, _, _ in KEY_TEXTS]
)
def test_key_text_of_each_identity_type(
    tmp_path: Path, type_: pa.DataType, values: list[Any], expected: list[str | None]
) -> None:
    batch = pa.RecordBatch.from_arrays([pa.array(values, type_)], names=["v"])
    engine = engine_columns(tmp_path, batch, identity=["v"])
    assert engine[KEY] == [key_text(value, type_) for value in values]
    assert engine[KEY] == expected
    assert numbers(engine) == [key_numbers(key) for key in expected]


# ---------------------------------------------------------------- properties


@pytest.mark.parametrize("column", [name for name, _, _ in COLUMNS])
def test_changing_one_value_changes_that_records_hash_only(tmp_path: Path, column: str) -> None:
    index = BATCH.schema.get_field_index(column)
    rotated = BATCH.set_column(index, column, BATCH.column(index).take([1, 2, 3, 0]))
    before = engine_columns(tmp_path, BATCH)[HASH]
    after = engine_columns(tmp_path, rotated)[HASH]
    old_values = COLUMNS[index][2]
    new_values = [old_values[n] for n in (1, 2, 3, 0)]
    type_ = COLUMNS[index][1]
    changed = [
        text(old, type_) != text(new, type_)
        for old, new in zip(old_values, new_values, strict=True)
    ]
    assert [x != y for x, y in zip(before, after, strict=True)] == changed
    assert column == "nothing" or any(changed)


NEIGHBOURS: list[tuple[pa.DataType, Any, Any]] = [
    (pa.float64(), 0.1, math.nextafter(0.1, 1.0)),
    (pa.float64(), 0.0, -0.0),
    (pa.float64(), math.inf, math.nan),
    (pa.float32(), 1.0, 1.0000001192092896),
    (pa.decimal128(12, 2), Decimal("1.00"), Decimal("1.01")),
    (pa.decimal128(12, 2), Decimal("0.10"), Decimal("1.00")),
    (pa.decimal256(40, 2), Decimal("1.00"), Decimal("-1.00")),
    (pa.int64(), 10, 1),
    (pa.int64(), 0, None),
    (pa.bool_(), False, None),
    (pa.string(), "é", "e\u0301"),
    (pa.string(), "a", "A"),
    (pa.string(), "", None),
    (pa.string(), "null", None),
    (pa.binary(), b"", None),
    (pa.binary(), b"\x00", b""),
    (pa.date32(), 0, 1),
    (pa.timestamp("us", "UTC"), 0, 1),
    (pa.timestamp("ns"), 1_000, 1_001),
    (pa.list_(pa.string()), [], None),
    (pa.list_(pa.string()), [None], []),
    (pa.list_(pa.string()), [""], [None]),
    (pa.list_(pa.string()), ["ab"], ["a", "b"]),
    (pa.list_(pa.int64()), [1, 2], [2, 1]),
    (pa.struct([("x", pa.string())]), {"x": None}, {"x": ""}),
    (pa.struct([("x", pa.string())]), {"x": None}, None),
    (pa.map_(pa.string(), pa.int64()), [("a", 1), ("b", 2)], [("b", 2), ("a", 1)]),
]
"""Pairs of close values of one type that must hash differently."""


@pytest.mark.parametrize(
    ("type_", "one", "other"), NEIGHBOURS, ids=[f"{t}:{a!r}:{b!r}" for t, a, b in NEIGHBOURS]
)
def test_close_values_hash_differently(
    tmp_path: Path, type_: pa.DataType, one: Any, other: Any
) -> None:
    batch = pa.RecordBatch.from_arrays([pa.array([one, other], type_)], names=["v"])
    first, second = engine_columns(tmp_path, batch)[HASH]
    assert first != second
    assert [first, second] == [reference_hash([("v", type_, v)]) for v in (one, other)]


def test_null_and_empty_string_hash_differently(tmp_path: Path) -> None:
    batch = pa.RecordBatch.from_arrays(
        [pa.array(["", None]), pa.array([None, ""])], names=["a", "b"]
    )
    nulls = engine_columns(tmp_path, batch)[HASH]
    assert len(set(nulls)) == 2
    empty, null = engine_columns(tmp_path, batch.select(["a"]))[HASH]
    assert empty != null


def test_field_order_and_names_change_the_hash(tmp_path: Path) -> None:
    batch = pa.RecordBatch.from_pydict(
        {"a": ["x"], "b": ["y"], "ab": ["x"], "bc": ["y"], "c": ["yc"]}
    )
    hashes = {
        "a, b": engine_columns(tmp_path, batch, ["a", "b"])[HASH][0],
        "b, a": engine_columns(tmp_path, batch, ["b", "a"])[HASH][0],
        "a, bc": engine_columns(tmp_path, batch, ["a", "bc"])[HASH][0],
        "ab, b": engine_columns(tmp_path, batch, ["ab", "b"])[HASH][0],
        "a, c": engine_columns(tmp_path, batch, ["a", "c"])[HASH][0],
    }
    assert len(set(hashes.values())) == len(hashes)


def test_nan_payloads_and_float_widths_hash_alike(tmp_path: Path) -> None:
    bits = [0x7FF8000000000000, 0x7FF0000000000001, 0xFFF8000000000000, 0x3FF8000000000000]
    doubles = pa.array(bits, pa.uint64()).view(pa.float64())
    floats = pa.array([math.nan, math.nan, math.nan, 1.5], pa.float32())
    wide = engine_columns(tmp_path, pa.RecordBatch.from_arrays([doubles], names=["v"]))[HASH]
    narrow = engine_columns(tmp_path, pa.RecordBatch.from_arrays([floats], names=["v"]))[HASH]
    assert wide[0] == wide[1] == wide[2] != wide[3]
    assert narrow == wide


def test_instants_hash_alike_whatever_their_unit(tmp_path: Path) -> None:
    second = 1_700_000_000
    arrays = [
        pa.array([second], pa.timestamp("s")),
        pa.array([second * 1_000], pa.timestamp("ms")),
        pa.array([second * 10**6], pa.timestamp("us")),
        pa.array([second * 10**9], pa.timestamp("ns")),
    ]
    hashes = {
        engine_columns(tmp_path, pa.RecordBatch.from_arrays([a], names=["v"]))[HASH][0]
        for a in arrays
    }
    assert len(hashes) == 1


def test_one_mapper_hashes_each_batch_alike_whatever_its_slicing(tmp_path: Path) -> None:
    names = (KEY, KEY_HIGH, KEY_LOW, HASH)
    whole = engine_columns(tmp_path, BATCH, identity=IDENTITY)
    m = mapper(tmp_path, BATCH.schema, BATCH.schema.names, IDENTITY)
    try:
        # Slices keep their offsets into the parent's buffers; the mapper is reused.
        for n in reversed(range(BATCH.num_rows)):
            one = m.map(BATCH.slice(n, 1)).batch
            assert [one.column(name)[0].as_py() for name in names] == [
                whole[name][n] for name in names
            ]
        again = m.map(BATCH.slice(1)).batch
        assert again.column(HASH).to_pylist() == whole[HASH][1:]
    finally:
        m.close()


def test_timestamp_beyond_the_microsecond_range_is_an_engine_error(tmp_path: Path) -> None:
    batch = pa.RecordBatch.from_arrays([pa.array([2**62], pa.timestamp("s"))], names=["v"])
    with pytest.raises(EngineError, match="no canonical encoding"):
        engine_columns(tmp_path, batch)


def test_a_state_of_another_hash_version_is_announced_not_silently_resent(
    tmp_path: Path,
) -> None:
    spec = make_spec(tmp_path)
    source, target = MemorySource(PEOPLE, people(1, 2)), MemoryTarget()
    sync(spec, source, target)
    state = tmp_path / "state.parquet"
    table = pq.read_table(state)
    metadata = {**(table.schema.metadata or {}), b"syncline_hash": b"1"}
    pq.write_table(table.replace_schema_metadata(metadata), state)

    counts_after, hooks = sync(spec, source, target)

    warnings = [message for level, message in hooks.logs if level == "warning"]
    assert any("change hash version 1" in message for message in warnings), hooks.logs
    assert counts_after.total == 0  # these records' hashes did not change: nothing to send
    _, hooks = sync(spec, source, target)
    assert not [message for level, message in hooks.logs if "hash version" in message]
