"""A connector's configuration: the model, and the marks on its fields.

Secrets and where they go: a configuration declares its secret fields with
`SecretField` (encrypted at rest, shown as `MASK`) and every field that
decides where those secrets are sent with `DestinationField`: a host name,
a port, a Unix socket or file path, a URL. Both may sit in the
configuration itself or inside nested models and lists of models
(`basic.password`, `headers[0].value`, `oauth.token_endpoint`; see
`config_paths`). A caller may send `MASK` back to keep a stored secret, but
only while every destination field keeps its value (and, inside a list,
while the item keeps its other values); the service layer checks this in
one place (`services.connection_secrets`), so a type declares its
destination fields and nothing else. Declare too many rather than too few:
a field missed here lets a stored secret be sent wherever a caller points it.

A secret the server makes itself, such as a webhook's signing secret, is
declared with `GeneratedSecretField`: read-only, generated on create, kept
across updates that keep its destination, and shown in full only in the
response that made it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SecretStr
from pydantic import Field as PydanticField

from syncline.connectors.config_paths import FieldPattern, expand, get_path, marked

MASK = "********"
"""What a secret configuration value looks like in every API response."""


DESTINATION_MARK = "secretDestination"
"""The JSON schema key marking a field that decides where secrets go (`DestinationField`)."""

LOCAL_PATH_MARK = "localPath"
"""The JSON schema key marking a path on the Syncline server (`LocalPathField`)."""


GENERATED_MARK = "generatedSecret"
"""The JSON schema key marking a secret the server generates (`GeneratedSecretField`);
its value is the generated secret's prefix."""


def SecretField(*, title: str, description: str = "", default: Any = ...) -> Any:  # noqa: N802
    """A configuration field holding a secret: encrypted at rest, masked in responses.

    The field is a `SecretStr`, in the configuration model itself or in a model
    nested in it, directly, optionally or in a list (`headers[0].value`).
    """
    return PydanticField(
        default,
        title=title,
        description=description,
        json_schema_extra={"secret": True, "format": "password", "writeOnly": True},
    )


def GeneratedSecretField(*, title: str, description: str = "", prefix: str = "") -> Any:  # noqa: N802
    """A read-only secret the server generates when the connection is created.

    The value is `prefix` followed by the base64 of 32 random bytes (with
    `whsec_`, the Standard Webhooks format). It is read-only: whatever a
    caller sends for it, on create, update or test, is ignored. It is kept
    across updates, except one that changes a destination field: it is sent
    there too (a webhook's bearer secret), so it is made anew and shown in
    that update's response, never forwarded to a new host. Like every
    secret it is encrypted at rest, masked in responses and scrubbed from
    messages, except that the response creating the connection shows it in
    full, once. The field is a top-level `SecretStr` defaulting to empty.
    """
    return PydanticField(
        SecretStr(""),
        title=title,
        description=description,
        json_schema_extra={
            "secret": True,
            "format": "password",
            "readOnly": True,
            # pydantic marks every SecretStr writeOnly; this one is the opposite.
            "writeOnly": False,
            GENERATED_MARK: prefix or True,
        },
    )


def DestinationField(default: Any = ..., **options: Any) -> Any:  # noqa: N802
    """A configuration field deciding where the secrets are sent (host, port, socket, URL, path).

    Takes pydantic `Field`'s arguments. Changing the field's value requires
    every stored secret to be sent again (see the module docstring).
    """
    return PydanticField(default, json_schema_extra={DESTINATION_MARK: True}, **options)


def LocalPathField(*, title: str, description: str, kind: Literal["file", "directory"]) -> Any:  # noqa: N802
    """A configuration field naming a file or directory on the Syncline server.

    The service layer accepts such a path only inside the server's local roots
    (`SYNCLINE_LOCAL_ROOTS`), resolved, and hands the connector the resolved
    path; a connector never decides on its own which local paths it may open.
    The path is also where the connection's data goes, so it is a destination
    field (`DestinationField`).
    """
    return PydanticField(
        title=title,
        description=description,
        min_length=1,
        json_schema_extra={LOCAL_PATH_MARK: kind, DESTINATION_MARK: True},
    )


class ConnectorConfig(BaseModel):
    """Base of every connector configuration model.

    Its JSON schema is what `GET /api/connection_types/{id}` serves. Unknown
    keys are refused so a typo is reported instead of silently ignored.
    Secret fields are `SecretStr` declared with `SecretField`; the fields
    deciding where they are sent are declared with `DestinationField`.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @classmethod
    def secret_fields(cls) -> frozenset[str]:
        """Names of the top-level fields declared with `SecretField` or
        `GeneratedSecretField` (nested ones too: `secret_paths`)."""
        return cls._marked("secret")

    @classmethod
    def secret_paths(cls) -> frozenset[FieldPattern]:
        """Every secret field, nested ones included, as patterns (`config_paths`):
        `("password",)`, `("basic", "password")`, `("headers", ITEM, "value")`."""
        return frozenset(marked(cls, "secret"))

    @classmethod
    def generated_secret_fields(cls) -> dict[str, str]:
        """The fields declared with `GeneratedSecretField`, each with its prefix.

        Raises `TypeError` for one declared inside a nested model: a generated
        secret belongs to the connection, not to an item of it.
        """
        generated: dict[str, str] = {}
        for pattern, prefix in marked(cls, GENERATED_MARK).items():
            if len(pattern) != 1:
                raise TypeError(
                    f"{cls.__name__}: generated secret {'.'.join(pattern)} must be a "
                    "top-level field of the configuration"
                )
            generated[pattern[0]] = prefix if isinstance(prefix, str) else ""
        return generated

    @classmethod
    def destination_fields(cls) -> frozenset[str]:
        """Names of the top-level fields declared with `DestinationField` (or
        `LocalPathField`); nested ones too: `destination_paths`."""
        return cls._marked(DESTINATION_MARK)

    @classmethod
    def destination_paths(cls) -> frozenset[FieldPattern]:
        """Every destination field, nested ones included, as patterns (`config_paths`)."""
        return frozenset(marked(cls, DESTINATION_MARK))

    @classmethod
    def local_path_fields(cls) -> frozenset[str]:
        """Names of the fields declared with `LocalPathField`."""
        return cls._marked(LOCAL_PATH_MARK)

    @classmethod
    def _marked(cls, marker: str) -> frozenset[str]:
        names = set()
        for name, info in cls.model_fields.items():
            extra = info.json_schema_extra
            if isinstance(extra, dict) and extra.get(marker):
                names.add(name)
        return frozenset(names)

    def secret_values(self) -> list[str]:
        """The plain values of this configuration's secrets, nested and generated ones
        included, for scrubbing messages. Empty secrets are left out."""
        dumped = self.model_dump()  # Python mode keeps each SecretStr as it is
        values = []
        for pattern in sorted(self.secret_paths()):
            for path in expand(dumped, pattern):
                value = get_path(dumped, path)
                if isinstance(value, SecretStr):
                    value = value.get_secret_value()
                if value:
                    values.append(str(value))
        return values
