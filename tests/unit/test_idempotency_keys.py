"""Idempotency keys never change: a rerun after an upgrade must send the keys sent before."""

from __future__ import annotations

import pytest

from syncline.connectors.delivery.keys import key_parts, keyed


def test_a_key_is_the_one_every_earlier_syncline_derived() -> None:
    parts = key_parts(["1", "é", "a\x00b", "42"], [1, 2**64 - 1, 0, 12345])

    assert keyed("s", "insert", parts) == "syncline-302c90127de46e1c874100b74a720605d7136453"


def test_a_request_s_key_is_its_records_parts_in_order() -> None:
    parts = key_parts(["1", "2"], [10, 20])

    assert keyed("s", "records", parts) != keyed("s", "records", parts[::-1])
    assert keyed("s", "records", parts) != keyed("other", "records", parts)
    assert keyed("s", "records", parts) == keyed("s", "records", list(parts))


def test_identities_and_hashes_must_pair_up() -> None:
    with pytest.raises(ValueError, match="2 identities for 1 hashes"):
        key_parts(["1", "2"], [10])
