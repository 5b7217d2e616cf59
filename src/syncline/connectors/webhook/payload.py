"""What a webhook receives: Polytomic's `sync.records` body, gzipped, and its signatures.

The body is `{"event": "sync.records", "object": {"id", "name", "records":
[{"hash", "fields"}]}}` (plus `metadata` when the sync configures some). It
is signed twice:

- Polytomic's way: `Authorization: Bearer <secret>` (with the default
  authentication) and `Polytomic-Signature-Timestamp`;
- the Standard Webhooks way: `webhook-id` (the idempotency key: stable
  across retries and reruns), `webhook-timestamp` (Unix seconds of the
  attempt) and `webhook-signature`: `v1,` and the base64 HMAC-SHA256, keyed
  by the secret, of `"{webhook-id}.{webhook-timestamp}.{body}"`, where the
  body is the JSON before gzip (what a receiver reads after decoding it).
"""

from __future__ import annotations

import base64
import binascii
import functools
import gzip
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from syncline.connectors.delivery.keys import record_hash
from syncline.connectors.delivery.records import Record, hex_digits, json_bytes, json_object_parts

EVENT = "sync.records"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's marker, not a secret
GZIP_LEVEL = 1
"""Fast over small: a batch of 100 records compresses 10x at level 1, 11x at level 5, in
a third of the time."""
_NOT_NAME = re.compile(r"[^A-Za-z0-9_\-. ]+")


@functools.lru_cache(maxsize=4096)
def normalized(name: str) -> str:
    """A field name as Polytomic sends it: characters other than letters, digits, `_`,
    `-`, `.` and spaces removed (`$first_name` becomes `first_name`)."""
    return _NOT_NAME.sub("", name)


def body(
    sync_id: str,
    sync_name: str,
    records: list[Record],
    *,
    normalize: bool,
    metadata: Mapping[str, Any] | None = None,
) -> bytes:
    """The JSON body carrying `records` (not yet gzipped)."""
    renamed: dict[str, str] = {}
    if normalize and records:
        # A batch's records share their field names: rename only when one changes.
        names = {name: normalized(name) for name in records[0].values}
        renamed = {name: new for name, new in names.items() if new != name}
    if renamed:
        items = [
            {
                "hash": record_hash(record.hash),
                "fields": {renamed.get(k, k): v for k, v in record.values.items()},
            }
            for record in records
        ]
    else:
        items = [{"hash": record_hash(record.hash), "fields": record.values} for record in records]
    document: dict[str, Any] = {
        "event": EVENT,
        "object": {"id": sync_id, "name": sync_name, "records": items},
    }
    if metadata:
        document["metadata"] = dict(metadata)
    return json_bytes(document)


def record_texts(
    batch: pa.RecordBatch, names: list[str], hashes: Sequence[int]
) -> list[str] | None:
    """Each record of `batch` as its item of the body, `{"hash", "fields"}`, in JSON
    text built in bulk (`records.json_object_parts`; None when it cannot be)."""
    fields = json_object_parts(batch, names)
    if fields is None:
        return None
    hexes = hex_digits(pa.array(hashes, pa.uint64()))
    items = pc.binary_join_element_wise('{"hash":"', hexes, '","fields":', *fields, "}", "")
    return items.to_pylist()  # type: ignore[no-any-return]


def body_of_texts(
    sync_id: str,
    sync_name: str,
    records: list[Record],
    items: list[str],
    *,
    metadata: Mapping[str, Any] | None = None,
) -> bytes:
    """`body`, from each record's item (`items[record.index]`, from `record_texts`,
    names normalized already): the same document."""
    joined = ",".join([items[record.index] for record in records])
    head = json_bytes({"event": EVENT, "object": {"id": sync_id, "name": sync_name}})
    # The head without its closing braces, then the records, then what follows them.
    parts = [head[:-2], b',"records":[', joined.encode(), b"]}"]
    if metadata:
        parts += [b',"metadata":', json_bytes(dict(metadata))]
    parts.append(b"}")
    return b"".join(parts)


def field_names(names: list[str], *, normalize: bool) -> list[str] | None:
    """The names a webhook shows for these fields, or None when normalizing makes two
    of them one (the records' values are then renamed one by one, the last one kept)."""
    if not normalize:
        return names
    shown = [normalized(name) for name in names]
    return shown if len(set(shown)) == len(shown) else None


def compressed(content: bytes) -> bytes:
    """`content` gzipped, with no time stamp, so the same body is the same bytes."""
    return gzip.compress(content, compresslevel=GZIP_LEVEL, mtime=0)


def signing_key(secret: str) -> bytes:
    """The HMAC key of a secret: the decoded part of `whsec_<base64>`, else its bytes."""
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
        except binascii.Error:
            pass
    return secret.encode()


def signature_headers(
    secret: str, message_id: str, content: bytes, now: datetime
) -> dict[str, str]:
    """The Standard Webhooks and Polytomic headers of one attempt at time `now`."""
    timestamp = int(now.timestamp())
    signed = f"{message_id}.{timestamp}.".encode() + content
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
        "Polytomic-Signature-Timestamp": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
