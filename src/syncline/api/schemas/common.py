"""Envelopes and small types shared by every resource."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from syncline.services.nul_free import NulFreeModel

T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    """A success response: `{"data": ...}`."""

    data: T


class Pagination(BaseModel):
    """`pagination` of a list response."""

    next_page_token: str | None = None


class PagedEnvelope(BaseModel, Generic[T]):
    """A list response with a cursor."""

    data: list[T]
    pagination: Pagination


class Actor(BaseModel):
    """Who created or changed an object (`OutputActor`)."""

    id: str | None = None
    name: str | None = None
    type: str = "user"


class Request(NulFreeModel):
    """Base of request bodies: unknown keys are kept, since SDKs send extra ones."""

    model_config = ConfigDict(extra="ignore")


def actor(user_id: str | None) -> Actor | None:
    """The actor for a stored user id (None for system actions)."""
    return Actor(id=user_id, type="user") if user_id else None


def timestamp(value: datetime) -> str:
    """An RFC 3339 timestamp in UTC with a `Z` suffix."""
    return value.isoformat().replace("+00:00", "Z")
