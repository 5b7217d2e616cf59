"""What each process of the shared rate budget test runs: one sync to a webhook,
its connection's budget kept in a shared backend (kept apart so a spawned child
imports little)."""

from __future__ import annotations

from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

from syncline.connectors.webhook import WebhookConfig, WebhookConnector
from syncline.engine.run import run_sync
from tests.engine.memory import MemorySource, RecordingHooks
from tests.engine.support import PEOPLE, make_spec, people
from tests.unit.shared_state_backends import Backend, open_state

RATE = 40
"""The connection's limit, requests per second."""


def sync_to_webhook(
    backend: Backend,
    key: str,
    url: str,
    state_dir: str,
    first: int,
    count: int,
    start: Barrier,
    results: Queue[int | str],
) -> None:
    """Send people `first..first+count-1`, one per request; put how many were inserted
    (or the error) on `results`."""
    connector = WebhookConnector(
        WebhookConfig.model_validate(
            {
                "url": url,
                "secret": "whsec_c2hhcmVkLWJ1ZGdldA==",
                "rate_limit": RATE,
                "concurrency": 4,
            }
        )
    )
    connector.share_state(open_state(backend), key)
    spec = make_spec(
        Path(state_dir),
        sync_id=f"sync-{first}",
        target_object="http",
        batch_size=1000,
        target_configuration={"batch_size": 1},
    )
    start.wait()
    try:
        source = MemorySource(PEOPLE, people(*range(first, first + count)))
        results.put(run_sync(spec, source, connector, RecordingHooks()).insert)
    except Exception as error:  # noqa: BLE001 - reported to the test
        results.put(f"{type(error).__name__}: {error}")
