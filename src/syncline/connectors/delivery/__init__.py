"""What every destination over the network shares (see DESIGN.md, the connector contract).

Retries with backoff and `Retry-After`, timeouts, a rate budget per
connection shared by every process, idempotency keys, and per-record
outcomes from batch responses. A network type adds only how a batch
becomes requests and how a response becomes per-record outcomes.
"""
