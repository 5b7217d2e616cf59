"""Reaching an `http` connection's API: authentication, headers, TLS, and the check."""

from __future__ import annotations

import ssl

from syncline.connectors.delivery.auth import (
    ClientCredentials,
    OAuthClientCredentials,
    TokenRefused,
    basic_auth,
    bearer_auth,
    header_auth,
    query_auth,
)
from syncline.connectors.delivery.connector import DeliveryConnector
from syncline.connectors.delivery.sender import shown_url
from syncline.connectors.delivery.tls import CertificateProblem, ssl_context
from syncline.connectors.delivery.transport import Credential, NoAnswer
from syncline.connectors.http.config import HttpConfig
from syncline.errors import ConnectionCheckFailed


class HttpConnection(DeliveryConnector):
    """An API at a base URL (see `HttpConfig`)."""

    _verify: ssl.SSLContext | None = None

    @property
    def http_config(self) -> HttpConfig:
        """The connection's configuration."""
        config = self.config
        assert isinstance(config, HttpConfig)
        return config

    def make_credential(self) -> Credential | None:
        config = self.http_config
        method = config.auth_method
        if method == "bearer":
            return bearer_auth(config.bearer_token.get_secret_value())
        if method == "basic":
            return basic_auth(config.basic_username, config.basic_password.get_secret_value())
        if method == "header":
            return header_auth(config.auth_header_name, config.auth_header_value.get_secret_value())
        if method == "query":
            return query_auth(
                [(config.auth_query_name, config.auth_query_value.get_secret_value())]
            )
        if method == "oauth_client_credentials":
            return OAuthClientCredentials(
                ClientCredentials(
                    token_url=config.oauth_token_url,
                    client_id=config.oauth_client_id,
                    client_secret=config.oauth_client_secret.get_secret_value(),
                    scopes=tuple(config.oauth_scopes),
                    audience=config.oauth_audience,
                    params=tuple((param.name, param.value) for param in config.oauth_params),
                    client_authentication=config.oauth_client_authentication,
                )
            )
        return None

    def default_headers(self) -> dict[str, str]:
        """The connection's headers, plain and secret (a later one of a name wins)."""
        return dict(self.http_config.header_pairs())

    def tls(self) -> ssl.SSLContext:
        """The trusted CAs and client certificate, loaded once per connector."""
        if self._verify is None:
            config = self.http_config
            self._verify = ssl_context(
                config.ca_bundle, config.client_certificate, config.client_key.get_secret_value()
            )
        return self._verify

    def check(self) -> None:
        """Send `HEAD` to the base URL: any answer means reachable, except 401 and 403,
        which mean the credentials were refused. Raises `ConnectionCheckFailed`."""
        config = self.http_config
        url = config.base_url
        shown = shown_url(url)
        try:
            answer = self.probe("HEAD", url)
        except (CertificateProblem, TokenRefused) as error:
            raise ConnectionCheckFailed(self.scrub(error.message)) from None
        except NoAnswer as error:
            presents = bool(config.client_certificate)
            raise ConnectionCheckFailed(
                self.scrub(_unreachable(shown, error, presents_certificate=presents))
            ) from None
        if answer.status in (401, 403):
            raise ConnectionCheckFailed(
                self.scrub(
                    f"{shown} answered HTTP {answer.status} to HEAD: the API refused "
                    f"the credentials; check auth_method ({config.auth_method}) and its "
                    "fields, and the headers"
                )
            )


def _unreachable(url: str, error: NoAnswer, *, presents_certificate: bool) -> str:
    detail = error.words
    message = f"cannot reach {url}: {detail}"
    lowered = detail.lower()
    tls = url.startswith("https:")
    if "certificate_verify_failed" in lowered or "certificate verify failed" in lowered:
        message += "; if the API uses a private CA, add its certificate to ca_bundle"
    elif error.timed_out:
        message += "; raise connect_timeout or read_timeout if the API is only slow"
    elif tls and not presents_certificate and ("certificate required" in lowered or error.closed):
        # A server that requires a client certificate hangs up after the handshake.
        message += (
            "; if the API requires a client certificate (mutual TLS), set "
            "client_certificate and client_key"
        )
    elif tls and presents_certificate and ("alert" in lowered or "disconnected" in lowered):
        message += "; the API may not accept the client certificate"
    return message
