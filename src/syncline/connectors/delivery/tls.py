"""TLS for API connections: extra trusted CAs and a client certificate, from PEM text.

A connection stores certificates as PEM text (its configuration is data, not
files on the server). CAs load from memory (`cadata`). Python's `ssl` loads a
client certificate and key only from files, so they are written to a private
temporary directory (0700, files 0600), loaded, and removed at once.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from functools import cache
from pathlib import Path

import certifi

from syncline.errors import ConnectorError


class CertificateProblem(ConnectorError):
    """A CA bundle, client certificate or key cannot be used; the message says which."""


@cache
def default_context() -> ssl.SSLContext:
    """The usual trust store (certifi's), loaded once per process:
    loading it takes tens of milliseconds, and every writer makes a client."""
    return ssl.create_default_context(cafile=certifi.where())


def ssl_context(
    ca_bundle: str = "", client_certificate: str = "", client_key: str = ""
) -> ssl.SSLContext:
    """The TLS context of requests: the default context when nothing is given, else
    a new context trusting the default store plus `ca_bundle`, presenting
    `client_certificate` with `client_key` (mutual TLS).

    Raises `CertificateProblem` naming the field that cannot be loaded; the key
    never appears in a message.
    """
    if not (ca_bundle or client_certificate or client_key):
        return default_context()
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle:
        try:
            context.load_verify_locations(cadata=ca_bundle)
        except (ssl.SSLError, ValueError) as error:
            raise CertificateProblem(
                f"ca_bundle: not PEM certificates Syncline can trust ({_reason(error)})"
            ) from None
    if client_certificate or client_key:
        if not (client_certificate and client_key):
            missing = "client_key" if client_certificate else "client_certificate"
            raise CertificateProblem(
                f"{missing}: a client certificate needs both client_certificate and client_key"
            )
        _load_client_certificate(context, client_certificate, client_key)
    return context


def _load_client_certificate(context: ssl.SSLContext, certificate: str, key: str) -> None:
    with tempfile.TemporaryDirectory(prefix="syncline-tls-") as folder:
        cert_path = _private_file(Path(folder) / "client.crt", certificate)
        key_path = _private_file(Path(folder) / "client.key", key)
        try:
            context.load_cert_chain(cert_path, key_path)
        except (ssl.SSLError, ValueError) as error:
            raise CertificateProblem(
                "client_certificate: the certificate and key cannot be loaded together "
                f"({_reason(error)}); both must be PEM, the key unencrypted and matching"
            ) from None
        finally:
            # Removed right after loading, before the folder goes, so the key is on disk
            # only while it loads.
            for path in (key_path, cert_path):
                path.unlink(missing_ok=True)


def _private_file(path: Path, text: str) -> Path:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text if text.endswith("\n") else text + "\n")
    return path


def _reason(error: Exception) -> str:
    if isinstance(error, ssl.SSLError) and error.reason:
        return str(error.reason).replace("_", " ").lower()
    return str(error) or type(error).__name__
