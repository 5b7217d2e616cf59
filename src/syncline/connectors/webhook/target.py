"""The webhook target: one object, `http`, written in `updateOrCreate`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from syncline.connectors.base import (
    ModeSupport,
    TargetCapabilities,
    TargetDescription,
    TargetObject,
)
from syncline.connectors.delivery.auth import (
    ClientCredentials,
    OAuthClientCredentials,
    basic_auth,
    header_auth,
    query_auth,
)
from syncline.connectors.delivery.connector import DeliveryConnector
from syncline.connectors.delivery.transport import Credential
from syncline.connectors.vocabulary import FieldType, SyncMode
from syncline.connectors.webhook.config import WebhookConfig
from syncline.connectors.writing import WritePlan, Writer
from syncline.errors import ObjectNotFound, ValidationFailed

OBJECT_ID = "http"
MODES = (ModeSupport(SyncMode.UPDATE_OR_CREATE, requires_identity=False),)
WEBHOOK_TARGET_CAPABILITIES = TargetCapabilities(
    supports_field_creation=True,
    open_fields=True,
    mappings_not_required=False,
)


class MetadataItem(BaseModel):
    """A static value carried with each payload."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    value: Any = None


class WebhookTargetConfig(BaseModel):
    """A webhook sync's `target.configuration`."""

    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(100, ge=1, le=10_000, description="records per request")
    metadata: list[MetadataItem] = Field(default_factory=list)
    record_requests: bool = False
    normalize_field_names: bool = True

    @field_validator("metadata", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> Any:
        """Accept `{"name": value}` as well as `[{"name", "value"}]`."""
        if isinstance(value, Mapping):
            return [{"name": k, "value": v} for k, v in value.items()]
        return value


class WebhookTarget(DeliveryConnector):
    """The one object a webhook takes records into."""

    @property
    def webhook_config(self) -> WebhookConfig:
        """The connection's configuration."""
        config = self.config
        assert isinstance(config, WebhookConfig)
        return config

    def default_headers(self) -> dict[str, str]:
        config = self.webhook_config
        headers = {h.name: h.value.get_secret_value() for h in config.headers}
        if config.auth_method == "polytomic_secret" and config.secret.get_secret_value():
            headers["Authorization"] = f"Bearer {config.secret.get_secret_value()}"
        return headers

    def make_credential(self) -> Credential | None:
        config = self.webhook_config
        if config.auth_method == "basic" and config.basic is not None:
            return basic_auth(config.basic.username, config.basic.password.get_secret_value())
        if config.auth_method == "header" and config.header is not None:
            return header_auth(config.header.name, config.header.value.get_secret_value())
        if config.auth_method == "query":
            return query_auth([(q.name, q.value.get_secret_value()) for q in config.query])
        if config.auth_method == "oauth_client_credentials" and config.oauth is not None:
            oauth = config.oauth
            return OAuthClientCredentials(
                ClientCredentials(
                    token_url=str(oauth.token_endpoint),
                    client_id=oauth.client_id,
                    client_secret=oauth.client_secret.get_secret_value(),
                    scopes=tuple(oauth.scopes),
                    audience=oauth.audience,
                    params=tuple(
                        (item.name, item.value.get_secret_value()) for item in oauth.extra_form_data
                    ),
                )
            )
        return None

    def target_objects(self) -> list[TargetObject]:
        return [TargetObject(OBJECT_ID, "Webhook records", MODES)]

    def describe_target(self, object_id: str) -> TargetDescription:
        if object_id != OBJECT_ID:
            raise ObjectNotFound(
                f"a webhook has one target object, {OBJECT_ID!r}, not {object_id!r}"
            )
        return TargetDescription(
            id=OBJECT_ID,
            name="Webhook records",
            fields=[],
            modes=MODES,
            properties=WEBHOOK_TARGET_CAPABILITIES,
        )

    def check_target_configuration(
        self, object_id: str, configuration: Mapping[str, Any], fields: Mapping[str, FieldType]
    ) -> dict[str, Any]:
        try:
            config = WebhookTargetConfig.model_validate(dict(configuration))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            path = f"configuration.{where}" if where else "configuration"
            raise ValidationFailed(f"{first['msg']}", path=path) from None
        return config.model_dump(mode="json")

    def open_writer(self, plan: WritePlan) -> Writer:
        from syncline.connectors.webhook.writer import WebhookWriter

        self.describe_target(plan.object_id)
        return WebhookWriter(plan, self)
