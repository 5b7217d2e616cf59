"""The `webhook` connector: record batches POSTed to one URL, as Polytomic sends them."""

from __future__ import annotations

from syncline.connectors.base import Capabilities
from syncline.connectors.delivery.auth import TokenRefused
from syncline.connectors.delivery.transport import NoAnswer
from syncline.connectors.webhook.config import WebhookConfig
from syncline.connectors.webhook.target import WEBHOOK_TARGET_CAPABILITIES, WebhookTarget
from syncline.errors import ConnectionCheckFailed


class WebhookConnector(WebhookTarget):
    """An HTTP endpoint that receives record batches."""

    type_id = "webhook"
    name = "Webhook"
    capabilities = Capabilities(source=False, destination=True)
    config_model = WebhookConfig
    target_capabilities = WEBHOOK_TARGET_CAPABILITIES

    def check(self) -> None:
        """Reach the URL: any HTTP answer (even 404 or 405: it may take only POSTs) will do."""
        url = str(self.webhook_config.url)
        try:
            self.probe("GET", url)
        except TokenRefused as error:
            raise ConnectionCheckFailed(self.scrub(error.message)) from None
        except NoAnswer as error:
            raise ConnectionCheckFailed(
                self.scrub(f"cannot reach {url.split('?', 1)[0]}: {error.words}")
            ) from None


__all__ = ["WebhookConfig", "WebhookConnector"]
