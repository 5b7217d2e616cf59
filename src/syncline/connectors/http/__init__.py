"""The `http` connector: an HTTP API as a sync target, its requests made from templates.

Syncline's answer to Hightouch's HTTP Request destination: a sync sends each
record event (insert, update, delete) as a request built from sandboxed
Jinja2 templates (`templates`, `target_config`), one record per request or
batched, and reads per-record results and remote ids from the answers
(`results`). Delivery (retries, rate budget, idempotency keys, record
memory) is the shared `connectors.delivery` framework's.
"""

from __future__ import annotations

from syncline.connectors.base import Capabilities
from syncline.connectors.http.config import HttpConfig
from syncline.connectors.http.target import HTTP_TARGET_CAPABILITIES, HttpTarget


class HttpConnector(HttpTarget):
    """An HTTP API."""

    type_id = "http"
    name = "HTTP API"
    capabilities = Capabilities(source=False, destination=True)
    config_model = HttpConfig
    target_capabilities = HTTP_TARGET_CAPABILITIES


__all__ = ["HttpConfig", "HttpConnector"]
