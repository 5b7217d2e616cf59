"""The collector of a process that runs syncs: larger thresholds, set once, never lowered."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from syncline.execution import collector


@pytest.fixture(autouse=True)
def restored(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    before = gc.get_threshold()
    monkeypatch.setattr(collector, "_tuned", False)
    yield
    gc.set_threshold(*before)


def test_the_thresholds_are_raised_once() -> None:
    gc.set_threshold(700, 10, 10)

    collector.tune_collector()
    assert gc.get_threshold() == collector.THRESHOLDS

    gc.set_threshold(700, 10, 10)
    collector.tune_collector()
    assert gc.get_threshold() == (700, 10, 10)


def test_an_application_s_own_larger_thresholds_stay() -> None:
    gc.set_threshold(1_000_000, 10, 10)

    collector.tune_collector()

    assert gc.get_threshold() == (1_000_000, 10, 10)


def test_freezing_after_startup_keeps_what_exists_out_of_collections() -> None:
    gc.unfreeze()
    try:
        collector.freeze_startup()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
