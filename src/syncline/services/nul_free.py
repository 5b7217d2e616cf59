"""Request bodies hold no NUL character in any text.

PostgreSQL, the metadata store of production deployments, cannot store NUL
in text, and no name, id, configuration or setting needs one. Every request
body model derives from `NulFreeModel`, so a NUL anywhere in a body is a 422
naming the field, the same on every backend, instead of a database error
when the value is stored or looked up.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, field_validator
from pydantic_core import PydanticCustomError


def refuse_nul(value: Any) -> Any:
    """`value` unchanged; raises a pydantic error if any string, key or item holds NUL."""
    if isinstance(value, str):
        if "\x00" in value:
            raise PydanticCustomError("nul_character", "text cannot contain a NUL character")
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_nul(key)
            refuse_nul(item)
    elif isinstance(value, list | tuple):
        for item in value:
            refuse_nul(item)
    return value


class NulFreeModel(BaseModel):
    """A pydantic model whose fields refuse text holding NUL."""

    @field_validator("*", mode="after")
    @classmethod
    def _nul_free(cls, value: Any) -> Any:
        return refuse_nul(value)
