"""A configuration with secrets at every depth, and a connector type around it, for tests.

Its shape is a webhook's: a URL, a list of headers whose values are secret,
optional nested auth objects (one of them with a list of its own and a
destination of its own), a top-level secret, and a generated signing secret.
`HookConnector` checks nothing remote: it records each configuration it is
checked with, and refuses one whose URL contains "refuse" with a message
naming every secret, scrubbed as a connector must.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, SecretStr
from pydantic import Field as PydanticField

from syncline.connectors.base import (
    Capabilities,
    Connector,
    ConnectorConfig,
    DestinationField,
    GeneratedSecretField,
    SecretField,
)
from syncline.errors import ConnectionCheckFailed

TYPE_ID = "nested_secrets_for_tests"


class Header(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str
    value: SecretStr = SecretField(title="Value", default=SecretStr(""))


class Basic(BaseModel):
    username: str = ""
    password: SecretStr = SecretField(title="Password", default=SecretStr(""))


class OAuth(BaseModel):
    client_id: str
    client_secret: SecretStr = SecretField(title="Client secret", default=SecretStr(""))
    token_endpoint: str = DestinationField(title="Token endpoint")
    extra_form_data: list[Header] = PydanticField(default_factory=list)


class HookConfig(ConnectorConfig):
    url: str = DestinationField(title="URL")
    password: SecretStr = SecretField(title="Password", default=SecretStr(""))
    headers: list[Header] = PydanticField(default_factory=list)
    basic: Basic | None = None
    oauth: OAuth | None = None
    secret: SecretStr = GeneratedSecretField(title="Secret", prefix="whsec_")


class HookConnector(Connector):
    type_id = TYPE_ID
    name = "Nested secrets (tests)"
    capabilities = Capabilities(source=False, destination=True)
    config_model = HookConfig
    checked: ClassVar[list[HookConfig]] = []

    def check(self) -> None:
        assert isinstance(self.config, HookConfig)
        HookConnector.checked.append(self.config)
        if "refuse" in self.config.url:
            secrets = ", ".join(self.config.secret_values())
            raise ConnectionCheckFailed(self.scrub(f"the receiver refused {secrets}"))
