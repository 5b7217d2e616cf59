"""Encryption of secrets at rest (Fernet: AES-128-CBC + HMAC-SHA256).

Connection and sync secrets are encrypted as mappings (`encrypt`); other
stored values that may carry a secret, such as the replayable outcomes of
idempotent requests, as bytes (`encrypt_bytes`).

The key comes from `SYNCLINE_SECRET_KEY`, or is generated once into
`<data_dir>/secret.key` (mode 0600) for the embedded default.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from syncline.errors import SynclineError


class SecretKeyMismatch(SynclineError):
    """Stored secrets cannot be decrypted with the configured key."""

    key = "secret_key_mismatch"


class InvalidSecretKey(SynclineError):
    """The configured secret key is not a Fernet key."""

    key = "invalid_secret_key"


class SecretBox:
    """Encrypts and decrypts a mapping of secret values."""

    def __init__(self, key: bytes) -> None:
        """Raises `InvalidSecretKey` unless `key` is 32 url-safe base64-encoded bytes."""
        self._key = key
        try:
            self._fernet = Fernet(key)
        except ValueError:
            raise InvalidSecretKey(
                "SYNCLINE_SECRET_KEY must be a Fernet key (32 url-safe base64-encoded bytes); "
                'make one with: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"'
            ) from None

    @classmethod
    def load(cls, key: str | None, data_dir: Path) -> SecretBox:
        """The box for `key`, or for the key file in `data_dir` (created if missing)."""
        if key:
            return cls(key.encode())
        path = data_dir / "secret.key"
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
        return cls(path.read_bytes().strip())

    def derive_key(self, purpose: str) -> bytes:
        """A 32-byte key for another use (signing URLs, ...), derived with HKDF."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
        return hkdf.derive(self._key)

    def encrypt(self, values: dict[str, str]) -> str:
        """An opaque token holding `values`; empty when there is nothing to hide."""
        if not values:
            return ""
        return self._fernet.encrypt(json.dumps(values).encode()).decode()

    def decrypt(self, token: str) -> dict[str, str]:
        """The values inside a token made by `encrypt`.

        Raises `SecretKeyMismatch` when the token was made with another key.
        """
        if not token:
            return {}
        try:
            plain = self._fernet.decrypt(token.encode())
        except InvalidToken:
            raise SecretKeyMismatch(
                "stored connection secrets cannot be decrypted: SYNCLINE_SECRET_KEY is not "
                "the key they were encrypted with"
            ) from None
        values: dict[str, str] = json.loads(plain)
        return values

    def encrypt_bytes(self, data: bytes) -> bytes:
        """An opaque token holding `data` (never empty, even for empty `data`)."""
        return self._fernet.encrypt(data)

    def decrypt_bytes(self, token: bytes) -> bytes:
        """The bytes inside a token made by `encrypt_bytes`.

        Raises `SecretKeyMismatch` when the token was made with another key or
        is not a token at all.
        """
        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            raise SecretKeyMismatch(
                "a stored value cannot be decrypted: SYNCLINE_SECRET_KEY is not "
                "the key it was encrypted with"
            ) from None
