"""Web UI sign-in: an API key buys a session token kept in a cookie.

The store keeps only the token's digest and the key it was made with, so
revoking the key (or deleting its user) ends every session made with it, and
a role changed since sign-in applies on the next page. The CSRF token of a
session is derived from the session token (HMAC), so it needs no storage and
only the holder of the cookie can know it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from syncline.errors import Unauthorized
from syncline.services.auth import Principal, user_principal
from syncline.settings import Settings
from syncline.store.db import Store
from syncline.store.tables import utcnow
from syncline.store.ui_sessions import UiSessionRepository

_CSRF_PURPOSE = b"syncline ui csrf"


def sign_in(store: Store, settings: Settings, api_key: str) -> tuple[str, Principal]:
    """A new session for the holder of `api_key`: its token and principal.

    Expired sessions are purged on the way. Raises `Unauthorized` ("invalid
    API key") without echoing the key.
    """
    key = api_key.strip()
    if not key:
        raise Unauthorized("enter an API key")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with store.session() as session:
        repo = UiSessionRepository(session)
        found = repo.api_key(key)
        if found is None:
            raise Unauthorized("invalid API key")
        stored, user, organization = found
        repo.purge(now)
        repo.add(token, stored, now + timedelta(hours=settings.ui_session_hours))
        principal = user_principal(user, organization, "ui_session")
    return token, principal


def session_principal(store: Store, token: str | None) -> Principal | None:
    """The principal of an unexpired session token, or None."""
    if not token:
        return None
    with store.session() as session:
        found = UiSessionRepository(session).resolve(token, utcnow())
        if found is None:
            return None
        user, organization = found
        return user_principal(user, organization, "ui_session")


def session_key_id(store: Store, token: str | None) -> str | None:
    """The id of the API key an unexpired session was made with, or None.

    Revoking that key ends the session: the settings page warns before.
    """
    if not token:
        return None
    with store.session() as session:
        return UiSessionRepository(session).key_id(token, utcnow())


def sign_out(store: Store, token: str | None) -> None:
    """End the session of `token`, if any."""
    if token:
        with store.session() as session:
            UiSessionRepository(session).remove(token)


def csrf_token(token: str) -> str:
    """The CSRF token of the session `token`: forms carry it, the server compares."""
    return hmac.new(token.encode(), _CSRF_PURPOSE, hashlib.sha256).hexdigest()


def csrf_matches(token: str, sent: str | None) -> bool:
    """Whether `sent` is the CSRF token of the session `token` (constant time)."""
    return bool(sent) and hmac.compare_digest(csrf_token(token), str(sent))
