"""The configuration of an `http` connection: where the API is, how to authenticate, TLS.

Secrets are `SecretField`s, which the store encrypts and the API masks at
their place (`services.connection_secrets`): one field per credential of
each auth method, and the value of each secret header. A header is secret
or not by the list it is in, `headers` or `secret_headers` (both lists of
`{name, value}`): secrecy is declared per field, so a `secret` flag on
each item could not decide what is masked.

Where the secrets go is decided by `base_url`, `oauth_token_url` and
`ca_bundle` (which servers are trusted): changing any of them requires
sending the secrets again.
"""

from __future__ import annotations

import re
from base64 import b64encode
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator

from syncline.connectors.base import DestinationField, SecretField
from syncline.connectors.delivery.options import DeliveryOptions
from syncline.connectors.delivery.tls import CertificateProblem, ssl_context

AuthMethod = Literal["none", "bearer", "basic", "header", "query", "oauth_client_credentials"]

HEADER_NAME = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"
"""An HTTP header name (a token, RFC 9110)."""

RESERVED_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "content-encoding"}
)
"""Headers the HTTP client sets itself: a connection may not set them."""


def _not_reserved(name: str) -> str:
    if name.lower() in RESERVED_HEADERS:
        raise ValueError(f"{name} is set by Syncline itself")
    return name


def _one_line(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError("a header value is one line")
    return value


class Header(BaseModel):
    """One header sent with every request."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, pattern=HEADER_NAME, title="Name")
    value: str = Field(max_length=8000, title="Value")

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        return _not_reserved(name)

    @field_validator("value")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return _one_line(value)


class SecretHeader(BaseModel):
    """One header sent with every request, its value a secret (stored encrypted, masked)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, pattern=HEADER_NAME, title="Name")
    value: SecretStr = SecretField(title="Value", default=SecretStr(""))

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        return _not_reserved(name)

    @field_validator("value")
    @classmethod
    def _one_line(cls, value: SecretStr) -> SecretStr:
        _one_line(value.get_secret_value())
        return value


class Param(BaseModel):
    """One extra form field of the OAuth token request."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, title="Name")
    value: str = Field(max_length=8000, title="Value")


_REQUIRED_BY: dict[str, tuple[str, ...]] = {
    "bearer_token": ("bearer",),
    "basic_username": ("basic",),
    "auth_header_name": ("header",),
    "auth_header_value": ("header",),
    "auth_query_name": ("query",),
    "auth_query_value": ("query",),
    "oauth_token_url": ("oauth_client_credentials",),
    "oauth_client_id": ("oauth_client_credentials",),
    "oauth_client_secret": ("oauth_client_credentials",),
}
"""The fields each auth method needs set."""


def _check_url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} must be an http:// or https:// URL with a host")
    if parts.fragment:
        raise ValueError(f"{what} cannot have a #fragment")
    return value


class HttpConfig(DeliveryOptions):
    """An HTTP API: its base URL, headers, authentication and TLS, and the delivery limits."""

    model_config = ConfigDict(validate_default=True)

    base_url: str = DestinationField(
        title="Base URL",
        description="The API's address; each request's path template is appended to it "
        "(https://api.example.com/v1).",
        min_length=1,
        max_length=2000,
    )
    headers: list[Header] = Field(
        default_factory=list,
        title="Headers",
        description="Headers sent with every request.",
        max_length=100,
    )
    secret_headers: list[SecretHeader] = Field(
        default_factory=list,
        title="Secret headers",
        description="Headers sent with every request whose values are secret "
        "(stored encrypted, never shown).",
        max_length=100,
    )
    auth_method: AuthMethod = Field(
        "none",
        title="Authentication",
        description="none, bearer (a token), basic (user and password), header (a key in a "
        "header), query (a key in the URL) or oauth_client_credentials (tokens fetched from "
        "oauth_token_url and refreshed).",
    )
    bearer_token: SecretStr = SecretField(
        title="Bearer token", description="Sent as `Authorization: Bearer <token>`.", default=""
    )
    basic_username: str = Field("", title="Username", max_length=500)
    basic_password: SecretStr = SecretField(title="Password", default="")
    auth_header_name: str = Field(
        "",
        title="Key header",
        description="The header carrying the key (X-Api-Key).",
        max_length=200,
    )
    auth_header_value: SecretStr = SecretField(title="Key", default="")
    auth_query_name: str = Field(
        "",
        title="Key parameter",
        description="The query parameter carrying the key (api_key).",
        max_length=200,
    )
    auth_query_value: SecretStr = SecretField(title="Key", default="")
    oauth_token_url: str = DestinationField(
        "",
        title="Token URL",
        description="Where tokens are requested (client credentials grant).",
        max_length=2000,
    )
    oauth_client_id: str = Field("", title="Client id", max_length=500)
    oauth_client_secret: SecretStr = SecretField(title="Client secret", default="")
    oauth_client_authentication: Literal["body", "basic"] = Field(
        "body",
        title="Client authentication",
        description="How the client id and secret are sent: as form fields (body, "
        "client_secret_post) or as HTTP Basic (basic, client_secret_basic).",
    )
    oauth_scopes: list[str] = Field(
        default_factory=list, title="Scopes", description="Scopes asked for.", max_length=100
    )
    oauth_audience: str = Field(
        "",
        title="Audience",
        description="The `audience` form field, when the provider wants one.",
        max_length=2000,
    )
    oauth_params: list[Param] = Field(
        default_factory=list,
        title="Extra token parameters",
        description="More form fields of the token request.",
        max_length=50,
    )
    ca_bundle: str = DestinationField(
        "",
        title="CA certificates",
        description="PEM certificates of CAs to trust besides the usual ones (a private CA).",
        max_length=1_000_000,
    )
    client_certificate: str = Field(
        "",
        title="Client certificate",
        description="PEM certificate (and chain) presented to the API (mutual TLS).",
        max_length=1_000_000,
    )
    client_key: SecretStr = SecretField(
        title="Client key",
        description="The client certificate's PEM private key, unencrypted.",
        default="",
    )

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return _check_url(value, "base_url")

    @field_validator("oauth_token_url")
    @classmethod
    def _token_url(cls, value: str, info: ValidationInfo) -> str:
        _required("oauth_token_url", value, info)
        return _check_url(value, "oauth_token_url") if value else value

    @field_validator(
        "bearer_token",
        "basic_username",
        "auth_header_name",
        "auth_header_value",
        "auth_query_name",
        "auth_query_value",
        "oauth_client_id",
        "oauth_client_secret",
    )
    @classmethod
    def _needed_by_method(cls, value: Any, info: ValidationInfo) -> Any:
        _required(info.field_name or "", value, info)
        return value

    @field_validator("auth_header_name")
    @classmethod
    def _header_name(cls, value: str) -> str:
        if value and not re.match(HEADER_NAME, value):
            raise ValueError("not a header name")
        return value

    @field_validator("ca_bundle")
    @classmethod
    def _ca_bundle(cls, value: str) -> str:
        if value:
            _loads(ca_bundle=value)
        return value

    @field_validator("client_key")
    @classmethod
    def _key_with_certificate(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        certificate = str(info.data.get("client_certificate") or "")
        if bool(value.get_secret_value()) != bool(certificate):
            raise ValueError("client_certificate and client_key go together: set both or neither")
        if certificate:
            _loads(client_certificate=certificate, client_key=value.get_secret_value())
        return value

    def header_pairs(self) -> list[tuple[str, str]]:
        """Every header of the connection, plain then secret."""
        plain = [(header.name, header.value) for header in self.headers]
        secret = [(header.name, header.value.get_secret_value()) for header in self.secret_headers]
        return plain + secret

    def secret_values(self) -> list[str]:
        """The secrets, and the Basic credential as it travels (an API may echo a
        header back)."""
        values = super().secret_values()
        password = self.basic_password.get_secret_value()
        if self.auth_method == "basic" and password:
            values.append(b64encode(f"{self.basic_username}:{password}".encode()).decode())
        return sorted({value for value in values if value}, key=len, reverse=True)


def _loads(**pem: str) -> None:
    """Load PEM text as a connection would; `ValueError` with the reason when it cannot."""
    try:
        ssl_context(**pem)
    except CertificateProblem as error:
        raise ValueError(error.message.split(": ", 1)[-1]) from None


def _required(name: str, value: Any, info: ValidationInfo) -> None:
    method = info.data.get("auth_method")
    if method not in _REQUIRED_BY.get(name, ()):
        return
    given = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not given:
        raise ValueError(f"required when auth_method is {method}")
