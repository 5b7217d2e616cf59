"""Whether the process that claimed an execution is provably gone."""

from __future__ import annotations

from dataclasses import replace

import pytest

from syncline.services.owners import Owner
from tests.api.owner_fixtures import ended_process


def test_this_process_is_not_gone() -> None:
    assert not Owner.this_process().is_gone()


def test_a_process_that_ended_is_gone() -> None:
    assert ended_process().is_gone()


def test_a_pid_now_held_by_a_later_process_does_not_keep_the_owner_alive() -> None:
    here = Owner.this_process()
    assert replace(here, started=here.started - 3600).is_gone()


def test_an_owner_on_another_machine_is_never_judged_by_its_pid() -> None:
    ended = ended_process()
    for elsewhere in (
        replace(ended, host="another-host"),
        replace(ended, machine="another boot or pid namespace"),
    ):
        assert not elsewhere.is_gone()


def test_an_owner_survives_its_round_trip_through_the_store() -> None:
    here = Owner.this_process()
    assert Owner.from_record(here.record()) == here
    assert here.describe() == f"pid {here.pid} on host {here.host}"


@pytest.mark.parametrize(
    "record",
    [None, {}, {"host": "h", "pid": "x", "started": 1.0, "machine": "m"}, {"host": "h"}]
    + [{"host": "h", "pid": pid, "started": 1.0, "machine": "m"} for pid in (0, -1)],
)
def test_an_unreadable_owner_is_no_owner(record: dict[str, object] | None) -> None:
    assert Owner.from_record(record) is None
