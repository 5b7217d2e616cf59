"""A connection's secrets: split from its configuration, masked, kept, and generated.

A configuration model marks its secrets (`SecretField`, `GeneratedSecretField`)
at any depth: top-level (`password`), in a nested model (`basic.password`) or
in the items of a list (`headers[0].value`). The secrets are stored apart
from the plain configuration, encrypted as one flat mapping of strings keyed
by their place (`config_paths.path_key`): a top-level secret under its own
name, as it always was, so connections stored before secrets could nest read
back unchanged; a nested one under its dotted path (`basic.password`,
`headers.0.value`). A flat mapping keeps `SecretBox` and the stored format as
they were, and a key names exactly one place in the plain configuration, so
putting the secrets back is setting each key's place.

Every function here is pure: the service (`services.connections`) loads,
decrypts, encrypts and stores.
"""

from __future__ import annotations

import base64
import copy
from secrets import token_bytes
from typing import Any

from pydantic import SecretStr, ValidationError

from syncline.connectors.base import MASK, ConnectorConfig
from syncline.connectors.config_paths import (
    ITEM,
    MISSING,
    ConfigPath,
    FieldPattern,
    expand,
    get_path,
    parse_key,
    path_key,
    remove_path,
    set_path,
)
from syncline.errors import ValidationFailed, json_path, validation_failed

GENERATED_BYTES = 32
"""The random bytes of a generated secret (Standard Webhooks: 24 to 64)."""


def validate_configuration(
    model: type[ConnectorConfig], raw: dict[str, Any], *, path: str = "configuration"
) -> ConnectorConfig:
    """Validate a raw configuration against `model` (422 naming the field under `path`)."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise validation_failed(
            [dict(e) for e in exc.errors()], prefix=tuple(path.split("."))
        ) from None


def split_secrets(config: ConnectorConfig) -> tuple[dict[str, Any], dict[str, str]]:
    """The plain and the secret parts of a validated configuration.

    The plain part is the configuration's JSON form without its secrets; the
    secret part maps each secret's place (`path_key`: `password`,
    `basic.password`, `headers.0.value`) to its value. A secret left `None`
    stays in the plain part as `null`.
    """
    plain = config.model_dump(mode="json")
    dumped = config.model_dump()  # Python mode keeps each SecretStr as it is
    secrets: dict[str, str] = {}
    for pattern in sorted(config.secret_paths()):
        for place in expand(dumped, pattern):
            value = get_path(dumped, place)
            if value is None:
                continue
            secrets[path_key(place)] = (
                value.get_secret_value() if isinstance(value, SecretStr) else str(value)
            )
            remove_path(plain, place)
    return plain, secrets


def stored_configuration(plain: dict[str, Any], secrets: dict[str, str]) -> dict[str, Any]:
    """A stored configuration whole again: `plain` (copied) with every secret at its place.

    A secret whose place no longer exists in `plain` is left out.
    """
    whole = copy.deepcopy(plain)
    for key, value in secrets.items():
        set_path(whole, parse_key(key), value)
    return whole


def masked_configuration(
    plain: dict[str, Any], secrets: dict[str, str], *, reveal: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The configuration as responses show it: each set secret is `MASK` at its place,
    each empty one `""`; the secrets keyed in `reveal` (generated just now) in full."""
    shown = copy.deepcopy(plain)
    for key, value in secrets.items():
        set_path(shown, parse_key(key), value if key in reveal else (MASK if value else ""))
    return shown


def new_generated_secret(prefix: str) -> str:
    """A fresh secret: `prefix` and the base64 of 32 random bytes (`whsec_...`)."""
    return prefix + base64.b64encode(token_bytes(GENERATED_BYTES)).decode()


def without_generated(model: type[ConnectorConfig], requested: dict[str, Any]) -> dict[str, Any]:
    """`requested` without the generated secrets a caller may have sent: they are read-only."""
    generated = model.generated_secret_fields()
    return {key: value for key, value in requested.items() if key not in generated}


def with_generated(
    model: type[ConnectorConfig], raw: dict[str, Any], stored: dict[str, str]
) -> tuple[dict[str, Any], frozenset[str]]:
    """`raw` with every generated secret: the stored one, or a new one where none is stored;
    and the names of the new ones (shown once, in the response that made them)."""
    complete = dict(raw)
    fresh = set()
    for name, prefix in model.generated_secret_fields().items():
        value = stored.get(name, "")
        if not value:
            value = new_generated_secret(prefix)
            fresh.add(name)
        complete[name] = value
    return complete, frozenset(fresh)


def with_stored_secrets(
    model: type[ConnectorConfig],
    plain: dict[str, Any],
    secrets: dict[str, str],
    requested: dict[str, Any],
    *,
    merge: bool,
    path: str,
) -> dict[str, Any]:
    """The raw configuration a request asks for, with the stored secrets it keeps.

    `plain` and `secrets` are the stored connection's two parts. A request
    keeps a stored secret by sending `MASK` at its place (`basic.password`,
    `headers[0].value`) or, when `merge` (the request is laid over the stored
    configuration, top-level key by top-level key), by leaving out the
    top-level key holding it. Generated secrets are read-only: whatever the
    request sends for them is ignored, and the stored ones are always kept.

    Raises `ValidationFailed` (422):
    - at `<path>.<secret>` when the request keeps a stored secret and changes
      a destination field (`DestinationField`, at any depth) or adds one (an
      optional object holding one); removing one is no change. The secret
      must be sent again;
    - at `<path>.<list>[i].<secret>` when it sends `MASK` inside a list item
      that is not the stored item at that index (another name, or any other
      plain value changed, or no stored item there): a list item keeps its
      secret only in place;
    - naming the field, for a configuration the model refuses.
    """
    generated = model.generated_secret_fields()
    stored = stored_configuration(plain, secrets)
    asked = without_generated(model, requested)
    # A copy: the places sent as MASK are filled in below, and `stored` stays as saved.
    raw = copy.deepcopy({**stored, **asked} if merge else asked)
    for name in generated:
        if secrets.get(name):
            raw[name] = secrets[name]
    kept: list[ConfigPath] = []
    in_lists: list[tuple[ConfigPath, FieldPattern]] = []
    for pattern in sorted(model.secret_paths()):
        if pattern[0] in generated:
            continue
        for place in expand(raw, pattern):
            if get_path(raw, place) != MASK:
                continue
            value = secrets.get(path_key(place), "")
            set_path(raw, place, value)
            if ITEM in pattern:
                in_lists.append((place, pattern))
            if value:
                kept.append(place)
    if merge:
        kept.extend(
            parse_key(key)
            for key, value in secrets.items()
            if value and parse_key(key)[0] not in asked and parse_key(key)[0] not in generated
        )
    if not kept and not in_lists:
        return raw
    wanted_plain, wanted_secrets = split_secrets(validate_configuration(model, raw, path=path))
    prefix = tuple(path.split("."))
    for place, pattern in in_lists:
        _same_item(place, pattern, plain, wanted_plain, prefix)
    if kept:
        wanted = stored_configuration(wanted_plain, wanted_secrets)
        _same_destination(model, stored, wanted, sorted(kept, key=path_key), prefix)
    return raw


def _same_item(
    place: ConfigPath,
    pattern: FieldPattern,
    stored_plain: dict[str, Any],
    wanted_plain: dict[str, Any],
    prefix: tuple[str, ...],
) -> None:
    """Refuse a `MASK` at `place` unless every list item on the way is the stored item
    at its index: the same plain values (a header's `name`), secrets aside."""
    for depth, step in enumerate(pattern):
        if step != ITEM:
            continue
        item = place[: depth + 1]
        before = get_path(stored_plain, item)
        if before is MISSING or before != get_path(wanted_plain, item):
            secret = json_path((*prefix, *place))
            raise ValidationFailed(
                f"{secret}: {json_path((*prefix, *item))} is not the item this secret was "
                "saved with (a list item keeps its stored secret only at the same position, "
                "with the same name and other values); send the secret's value again",
                path=secret,
                metadata={"item": json_path((*prefix, *item))},
            )


def _same_destination(
    model: type[ConnectorConfig],
    stored: dict[str, Any],
    wanted: dict[str, Any],
    kept: list[ConfigPath],
    prefix: tuple[str, ...],
) -> None:
    """Refuse keeping the secrets at `kept` when a destination field changes or appears.

    A destination whose place is gone (its optional object removed) is no
    change: nothing is sent there any more.
    """
    before = _destinations(model, stored)
    after = _destinations(model, wanted)
    changed = sorted(key for key, value in after.items() if before.get(key, MISSING) != value)
    if not changed:
        return
    changed_paths = [parse_key(key) for key in changed]
    secret = json_path((*prefix, *kept[0]))
    raise ValidationFailed(
        f"{secret}: {_listing([json_path(p) for p in changed_paths])} changed, and a stored "
        f"secret goes only where it was saved for; "
        f"send {_listing([json_path(p) for p in kept])} again",
        path=secret,
        metadata={
            "changed": [json_path((*prefix, *p)) for p in changed_paths],
            "secrets": [json_path((*prefix, *p)) for p in kept],
        },
    )


def destination_changed(
    model: type[ConnectorConfig], stored: dict[str, Any], wanted: dict[str, Any]
) -> bool:
    """Whether a destination field of `wanted` differs from `stored` (or appears)."""
    before = _destinations(model, stored)
    return any(
        before.get(key, MISSING) != value for key, value in _destinations(model, wanted).items()
    )


def _destinations(model: type[ConnectorConfig], whole: dict[str, Any]) -> dict[str, Any]:
    """The values of a whole configuration's destination fields, by place."""
    return {
        path_key(place): get_path(whole, place)
        for pattern in model.destination_paths()
        for place in expand(whole, pattern)
    }


def _listing(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
