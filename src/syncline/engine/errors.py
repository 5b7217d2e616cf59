"""The engine's own error: something about the run itself, not a connector, went wrong."""

from __future__ import annotations

from syncline.errors import SynclineError


class EngineError(SynclineError):
    """The run cannot go on: a spec that does not fit the data, a broken writer, a bug.

    Connector failures are `ConnectorError`s and pass through the engine unchanged;
    everything else that stops a run is an `EngineError` whose message says what
    the person running the sync can check.
    """

    key = "engine_error"
