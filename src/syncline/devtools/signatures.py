"""Standard Webhooks signatures and the bearer secret, checked the way a receiver should.

The scheme (https://www.standardwebhooks.com): headers `webhook-id`,
`webhook-timestamp` (Unix seconds) and `webhook-signature`, a space-separated
list of `v1,<base64 HMAC-SHA256>` over `"{id}.{timestamp}.{body}"`. The key
is the decoded base64 after `whsec_` when the secret has that form, else the
secret's bytes. A timestamp more than five minutes away from now is refused,
so a captured request cannot be replayed later.

Implemented with hmac and hashlib: the `standardwebhooks` package is only a
development dependency, used by the tests as a second implementation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from syncline.errors import BadRequest

TOLERANCE = 300.0
"""Seconds a signature's timestamp may be away from now, either way."""

_PREFIX = "whsec_"


def signing_key(secret: str) -> bytes:
    """The HMAC key of `secret`; raises `BadRequest` for an empty or undecodable one."""
    if not secret:
        raise BadRequest("the secret is empty")
    if not secret.startswith(_PREFIX):
        return secret.encode()
    encoded = secret[len(_PREFIX) :]
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("a whsec_ secret must be followed by base64") from None
    if not key:
        raise BadRequest("the secret is empty")
    return key


def sign(key: bytes, msg_id: str, timestamp: str, body: bytes) -> str:
    """The `v1,<base64>` signature of `body` under `key`."""
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@dataclass(frozen=True)
class Verdict:
    """What a signature check found: ok, and if not why; `signed` names the body that matched."""

    ok: bool
    reason: str
    signed: str | None = None


def verify(
    key: bytes,
    headers: Mapping[str, str],
    bodies: Sequence[tuple[str, bytes]],
    now: float,
) -> Verdict:
    """Check the Standard Webhooks headers against each (name, body) candidate in turn.

    `headers` must answer lower-case names. The candidates let a receiver
    accept a signature over the bytes on the wire or over the gunzipped body;
    `Verdict.signed` names which one matched.
    """
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    offered = headers.get("webhook-signature")
    if not (msg_id and timestamp and offered):
        return Verdict(False, "no signature")
    try:
        moment = int(timestamp)
    except ValueError:
        return Verdict(False, f"bad webhook-timestamp {timestamp[:40]!r}")
    if moment < now - TOLERANCE:
        return Verdict(False, "signature timestamp older than 5 minutes")
    if moment > now + TOLERANCE:
        return Verdict(False, "signature timestamp more than 5 minutes ahead")
    signatures = [part.encode() for part in offered.split(" ") if part]
    for name, body in bodies:
        expected = sign(key, msg_id, timestamp, body).encode()
        if any(hmac.compare_digest(expected, candidate) for candidate in signatures):
            return Verdict(True, "signature ok", name)
    return Verdict(False, "bad signature")


def bearer_matches(authorization: str | None, secret: str) -> str:
    """`ok`, `mismatch` or `missing`: whether `Authorization: Bearer <secret>` was sent."""
    if not authorization:
        return "missing"
    expected = f"Bearer {secret}".encode()
    return "ok" if hmac.compare_digest(authorization.encode(), expected) else "mismatch"
