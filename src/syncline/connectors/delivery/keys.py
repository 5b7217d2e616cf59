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

KEY_PREFIX = "syncline-"


def idempotency_key(
    sync_id: str, event: str, identities: Sequence[str], hashes: Sequence[int]
) -> str:
    """The idempotency key of a request carrying these records (see the module docstring)."""
    # The header, then `\x00 identity \x01 hash` per record, hashed at once.
    pairs = zip(identities, hashes, strict=True)
    text = f"{sync_id}\x00{event}\x00{len(identities)}" + "".join(
        [f"\x00{identity}\x01{content}" for identity, content in pairs]
    )
    return KEY_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:40]


def record_hash(content: int) -> str:
    """A record's change hash as 16 hex digits (the webhook payload's `hash`)."""
    return f"{content:016x}"
