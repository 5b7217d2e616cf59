"""Mappings suggested for a new sync: each model field matched to a target field.

A model field is matched to the target field of the same name, compared
without case, spaces, dashes or underscores (`signed_up_at` matches
`SignedUpAt`); among several, the one of the same field type wins. Each
match carries the verdict sync validation would give (`values.judge`), so a
person sees before saving which values may not fit, and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from syncline.connectors.base import TargetDescription, TargetField
from syncline.connectors.compatibility import Fit
from syncline.services.syncs.context import ModelFieldInfo, ModelInfo
from syncline.services.syncs.values import judge

_NOT_NAME = re.compile(r"[\s_\-]+")


@dataclass(frozen=True)
class Suggestion:
    """One model field and the target field it would be written into (None: no match)."""

    source: ModelFieldInfo
    target: TargetField | None
    fit: Fit | None = None
    reason: str = ""

    @property
    def warning(self) -> str:
        """What may go wrong with this mapping, in words ("" when nothing)."""
        if self.target is None or self.fit is None or self.fit is Fit.EXACT:
            return ""
        if self.fit is Fit.NEVER:
            return f"cannot be written: {self.reason}"
        return f"some values may not fit: {self.reason}"


def name_key(name: str) -> str:
    """A name as matching compares it."""
    return _NOT_NAME.sub("", name).casefold()


def suggest_mappings(model: ModelInfo, target: TargetDescription) -> list[Suggestion]:
    """One suggestion per model field, in the model's order; each target field at most once."""
    by_name: dict[str, list[TargetField]] = {}
    for field in target.fields:
        if field.createable or field.updateable:
            by_name.setdefault(name_key(field.name), []).append(field)
    taken: set[str] = set()
    suggestions = []
    for source in model.fields:
        candidates = [f for f in by_name.get(name_key(source.name), []) if f.id not in taken]
        candidates.sort(key=lambda f: f.type is not source.type)
        match = candidates[0] if candidates else None
        if match is None:
            suggestions.append(Suggestion(source, None))
            continue
        taken.add(match.id)
        if match.domain is None:
            suggestions.append(Suggestion(source, match))
            continue
        verdict = judge(source.values, match.domain, target.acceptance)
        suggestions.append(Suggestion(source, match, verdict.fit, verdict.reason))
    return suggestions
