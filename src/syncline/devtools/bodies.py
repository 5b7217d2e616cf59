"""Request bodies as an HTTP destination sends them: bounded, gunzipped, parsed, counted.

A body is at most `LIMIT` bytes on the wire and again once decoded, so a
gzip bomb is refused like an oversized body. JSON and NDJSON are parsed by
their content type; without one that says so, JSON and then NDJSON are tried
quietly, since this is a tool for looking at what arrives.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from typing import Any

LIMIT = 16 * 1024 * 1024
"""Bytes a body may have, on the wire and decoded."""

_JSON = re.compile(r"^application/(?:[\w.+-]+\+)?json$")
_NDJSON = frozenset(
    {"application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines"}
)


class TooLarge(Exception):
    """The body is larger than `LIMIT`, as sent or once decoded."""


class Undecodable(Exception):
    """The body cannot be decoded as its Content-Encoding says, or parsed as its type says."""


def gunzip(raw: bytes, limit: int = LIMIT) -> bytes:
    """`raw` gunzipped, at most `limit` bytes; raises `TooLarge` or `Undecodable`."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise Undecodable(f"bad gzip: {exc}") from None
    if len(body) > limit:
        raise TooLarge(f"body larger than {limit // (1024 * 1024)} MiB once gunzipped")
    if not inflater.eof:
        raise Undecodable("bad gzip: the stream is cut short")
    return body


def decode(raw: bytes, content_encoding: str | None) -> bytes:
    """The body `Content-Encoding` describes; raises `TooLarge` or `Undecodable`."""
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return gunzip(raw)
    if encoding in ("", "identity"):
        return raw
    raise Undecodable(f"unsupported Content-Encoding {encoding!r}")


@dataclass(frozen=True)
class Parsed:
    """A parsed body: `data` is a JSON value, a list (NDJSON lines), or None (not JSON)."""

    kind: str
    """json, ndjson, text (not JSON) or empty."""
    data: Any = None


def parse(body: bytes, content_type: str | None) -> Parsed:
    """Parse `body` by its content type; raises `Undecodable` when that type does not fit."""
    if not body.strip():
        return Parsed("empty")
    media = (content_type or "").split(";")[0].strip().lower()
    if _JSON.match(media):
        try:
            return Parsed("json", json.loads(body))
        except ValueError as exc:
            raise Undecodable(f"not JSON: {exc}") from None
    if media in _NDJSON:
        try:
            return Parsed("ndjson", _lines(body))
        except ValueError as exc:
            raise Undecodable(f"not NDJSON: {exc}") from None
    for kind, reader in (("json", json.loads), ("ndjson", _lines)):
        try:
            return Parsed(kind, reader(body))
        except ValueError:
            continue
    return Parsed("text")


def _lines(body: bytes) -> list[Any]:
    return [json.loads(line) for line in body.splitlines() if line.strip()]


def records_of(parsed: Parsed) -> list[Any] | None:
    """The records a body carries, or None when it is empty or not JSON.

    The webhook payload gives `object.records`; an array or NDJSON its items;
    any other JSON value is one record.
    """
    data = parsed.data
    if parsed.kind in ("text", "empty"):
        return None
    if isinstance(data, dict):
        inner = data.get("object")
        if isinstance(inner, dict) and isinstance(inner.get("records"), list):
            return list(inner["records"])
        return [data]
    if isinstance(data, list):
        return data
    return [data]
