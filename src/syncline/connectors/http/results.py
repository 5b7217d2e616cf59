"""Reading an API's answer with JSONPath: per-record results and remote ids.

- `results_path` points at the per-record results of a batch response, in
  request order: one array (`$.results`), or the items themselves
  (`$.results[*]`).
- Within a result, `result_error_path` points at an error: any value there
  but null, false, "" or an empty array or object fails that record, with
  that value as its message. `result_ok_path` points at what says it
  succeeded: `true`, a 2xx status, or "ok" / "success" / "succeeded" /
  "created" / "updated" / "deleted" (a 404 status fails an update or delete
  as not found). With neither, every result is a success.
- `remote_id_path` points at the id the API gave the record: within its
  result, or in the body of a one-record response.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jsonpath_ng.exceptions import JSONPathError
from jsonpath_ng.ext.parser import parse

OK_WORDS = frozenset({"ok", "success", "succeeded", "successful", "created", "updated", "deleted"})
_EXCERPT = 300


class PathProblem(Exception):
    """A JSONPath does not parse."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class JsonPath:
    """A compiled JSONPath expression."""

    text: str
    expression: Any

    def values(self, data: Any) -> list[Any]:
        """Every value it matches in `data`."""
        return [match.value for match in self.expression.find(data)]


def compile_path(text: str) -> JsonPath:
    """`text` compiled. Raises `PathProblem` with the parser's reason."""
    try:
        return JsonPath(text, parse(text))
    except (JSONPathError, ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
        raise PathProblem(f"not a JSONPath ({error or type(error).__name__})") from None


@dataclass(frozen=True)
class Verdict:
    """What an API's result says of one record."""

    ok: bool
    not_found: bool = False
    message: str | None = None
    remote_id: str | None = None


def per_record(path: JsonPath, answer: Any) -> list[Any] | None:
    """The per-record results `path` finds in `answer`; None when it finds none."""
    found = path.values(answer)
    if len(found) == 1 and isinstance(found[0], list):
        return list(found[0])
    return found or None


def verdict(
    result: Any,
    *,
    ok_path: JsonPath | None,
    error_path: JsonPath | None,
    remote_id_path: JsonPath | None,
) -> Verdict:
    """What `result` (one record's) says (see the module docstring)."""
    remote_id = read_remote_id(remote_id_path, result) if remote_id_path else None
    error = _first(error_path, result) if error_path else None
    failed = error not in (None, False, "", [], {})
    status: int | None = None
    ok = True
    if ok_path is not None:
        said = _first(ok_path, result)
        status = _status(said)
        ok = said is True or (status is not None and 200 <= status < 300) or _ok_word(said)
    if ok and not failed:
        return Verdict(True, remote_id=remote_id)
    if failed:
        message = error if isinstance(error, str) else _text(error)
    else:
        message = f"the API's result for this record does not say it succeeded: {_text(result)}"
    return Verdict(False, not_found=status == 404, message=message, remote_id=remote_id)


def read_remote_id(path: JsonPath, data: Any) -> str | None:
    """The remote id `path` finds in `data`, as text; None when it finds no number or text."""
    value = _first(path, data)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int | float | str) and str(value):
        return str(value)
    return None


def _first(path: JsonPath | None, data: Any) -> Any:
    if path is None:
        return None
    found = path.values(data)
    return found[0] if found else None


def _status(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _ok_word(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in OK_WORDS


def _text(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"
