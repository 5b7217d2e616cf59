"""Durations for relative date filters (`InTheLast`, `RelativeOnOrBefore`, ...).

Two spellings are accepted: a whole number and a unit (`90s`, `30m`, `12h`,
`7d`, `2w`), and an ISO-8601 duration made of weeks, days, hours, minutes and
seconds (`P7D`, `PT12H`, `P1DT6H`, `P2W`). Years and months are refused
because they have no fixed length. Like `logic`, this module is free of sync
concepts so the engine can use it when it evaluates a filter.
"""

from __future__ import annotations

import re
from datetime import timedelta

_SHORT = re.compile(r"(\d+)\s*([smhdw])")
_SHORT_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_ISO = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?",
    re.IGNORECASE,
)
_ISO_CALENDAR = re.compile(r"P(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T.*)?", re.IGNORECASE)

EXAMPLES = "'7d', '12h', '30m', '2w', '90s', 'P7D' or 'PT12H'"
"""How a duration may be written, for messages."""


def parse_duration(text: str) -> timedelta:
    """The positive length of time `text` denotes.

    Raises `ValueError` with a message naming the accepted forms when `text`
    is not a duration, is zero, or uses years or months.
    """
    value = text.strip()
    short = _SHORT.fullmatch(value)
    if short is not None:
        duration = timedelta(**{_SHORT_UNITS[short.group(2)]: int(short.group(1))})
    else:
        duration = _parse_iso(value)
    if duration <= timedelta(0):
        raise ValueError(f"duration {text!r} must be longer than zero")
    return duration


def _parse_iso(value: str) -> timedelta:
    match = _ISO.fullmatch(value)
    # "P" alone and "PT" match the pattern with no parts; they are not durations.
    if match is None or not any(match.groupdict().values()):
        date_part = re.split("[Tt]", value, maxsplit=1)[0]
        if _ISO_CALENDAR.fullmatch(value) and re.search(r"\d[YM]", date_part, re.IGNORECASE):
            raise ValueError(
                f"duration {value!r} uses years or months, which have no fixed length; "
                "use days or weeks"
            )
        raise ValueError(f"{value!r} is not a duration; write it like {EXAMPLES}")
    parts = {name: int(number) for name, number in match.groupdict().items() if number}
    return timedelta(**parts)
