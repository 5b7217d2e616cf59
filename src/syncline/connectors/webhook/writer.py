"""Writing records to a webhook: Polytomic's batches, signed, with an idempotency key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from syncline.connectors.delivery.records import Event, Record
from syncline.connectors.delivery.sender import Request
from syncline.connectors.delivery.writer import DeliveryWriter
from syncline.connectors.webhook.payload import (
    body,
    body_of_texts,
    compressed,
    field_names,
    record_texts,
    signature_headers,
)
from syncline.connectors.webhook.target import WebhookTarget, WebhookTargetConfig
from syncline.connectors.writing import RecordKeys, WritePlan


class WebhookWriter(DeliveryWriter):
    """POSTs records in batches of `batch_size` (see `payload`), inserts and updates
    together: the receiver tells them apart by what it holds, as with Polytomic."""

    mixes_events = True

    def __init__(self, plan: WritePlan, connector: WebhookTarget) -> None:
        super().__init__(plan, connector)
        self.webhook = connector
        self.settings = WebhookTargetConfig.model_validate(dict(plan.configuration))
        self.url = str(connector.webhook_config.url)
        self.secret = connector.webhook_config.secret.get_secret_value()
        self._texts: list[str] | None = None

    def values(self, batch: pa.RecordBatch, keys: RecordKeys) -> list[dict[str, Any]]:
        """Empty values when the records' items become JSON text in bulk
        (`record_texts`), which the bodies are then made of; else the framework's."""
        names = field_names(batch.schema.names, normalize=self.settings.normalize_field_names)
        self._texts = None if names is None else record_texts(batch, names, keys.hashes)
        if self._texts is None:
            return super().values(batch, keys)
        return [{}] * batch.num_rows

    def requests(self, event: Event | None, records: list[Record]) -> Iterator[Request]:
        """One request per `batch_size` records, built as the sender asks for it."""
        settings = self.settings
        metadata = {item.name: item.value for item in settings.metadata}
        sync_id, sync_name = self.context.sync_id, self.context.sync_name
        for start in range(0, len(records), settings.batch_size):
            part = records[start : start + settings.batch_size]
            if self._texts is not None:
                content = body_of_texts(sync_id, sync_name, part, self._texts, metadata=metadata)
            else:
                content = body(
                    sync_id,
                    sync_name,
                    part,
                    normalize=settings.normalize_field_names,
                    metadata=metadata,
                )
            yield Request(
                method="POST",
                url=self.url,
                body=compressed(content),
                records=part,
                event=event,
                headers={
                    "Content-Type": "application/json",
                    "Content-Encoding": "gzip",
                    "Accept-Encoding": "gzip",
                },
                preview=content,
            )

    def prepare(self, request: Request) -> dict[str, str]:
        assert request.preview is not None
        return signature_headers(self.secret, request.key, request.preview, datetime.now(UTC))
