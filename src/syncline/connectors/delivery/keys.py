"""Idempotency keys: the same records with the same content get the same key, always.

A key is derived from the sync, the request's event and its records'
identities and change hashes, in order. A retry sends the very same
request, so the same key; a rerun after a crash rebuilds the request from
the same unconfirmed records in the same order (the engine sends records in
reading order), so it gets the same key again. A record whose values
changed meanwhile has another hash, so another key: it is new content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

KEY_PREFIX = "syncline-"


def key_parts(identities: Sequence[str], hashes: Sequence[int]) -> list[str]:
    """Each record's part of a key: `\\x00 identity \\x01 hash`, made in bulk (a batch's
    at once; a request's key joins those of its records, `keyed`). Raises `ValueError`
    when the lists differ in length."""
    if len(identities) != len(hashes):
        raise ValueError(f"{len(identities)} identities for {len(hashes)} hashes")
    parts = pc.binary_join_element_wise(
        "\x00",
        pa.array(identities, pa.string()),
        "\x01",
        pc.cast(pa.array(hashes, pa.uint64()), pa.string()),
        "",
    )
    return parts.to_pylist()  # type: ignore[no-any-return]


def keyed(sync_id: str, event: str, parts: Sequence[str]) -> str:
    """The key of a request whose records have these `key_parts`, in order."""
    text = f"{sync_id}\x00{event}\x00{len(parts)}" + "".join(parts)
    return KEY_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:40]


def record_hash(content: int) -> str:
    """A record's change hash as 16 hex digits (the webhook payload's `hash`)."""
    return f"{content:016x}"
