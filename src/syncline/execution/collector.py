"""The garbage collector of a process that runs syncs, tuned for batches of records.

A run makes and drops millions of small objects (a record's values, its
outcome, its staged row), none of them in reference cycles. CPython's
default thresholds (700, 10, 10) then run a full collection, which visits
every object the process holds (the app, its modules, the store's
mappings), every few hundred thousand allocations: measured on a webhook
delivery of 1,000,000 records, a fifth of the run (`bench/http_delivery.py`).
Larger thresholds keep cycles collected, just less often.
"""

from __future__ import annotations

import gc
import threading

THRESHOLDS = (50_000, 20, 100)
"""Allocations before a young collection, then young ones before the next generation's."""

_lock = threading.Lock()
_tuned = False


def tune_collector() -> None:
    """Set `THRESHOLDS` once per process, unless they were raised already (an embedding
    application's choice stays)."""
    global _tuned
    with _lock:
        if _tuned:
            return
        _tuned = True
        current = gc.get_threshold()
        if all(now <= wanted for now, wanted in zip(current, THRESHOLDS, strict=True)):
            gc.set_threshold(*THRESHOLDS)


def freeze_startup() -> None:
    """Move every object alive now (a started server: its app, modules and mappings)
    out of the collector's sight, for good.

    They live as long as the process, yet a full collection visits each of them:
    about 200,000 objects, 90 to 135 ms, landing on a request every 70 or so
    (`bench/ui_pages.py`). Frozen, they are skipped; what is made afterwards is
    collected as before. Call once, after startup, in a process that serves.
    """
    gc.collect()
    gc.freeze()
