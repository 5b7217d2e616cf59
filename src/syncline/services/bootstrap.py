"""First start: create the first organization, its admin user and an API key.

When `SYNCLINE_API_KEY` is set, that value is (made) a key of the admin user,
so scripts and tests know it. Otherwise a key is generated on the first start
and kept in `<data_dir>/api-key` (mode 0600) so `syncline serve` can show it
again; the store itself keeps only its digest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from syncline.settings import Settings
from syncline.store.db import Store
from syncline.store.organizations import OrganizationRepository, generate_api_key


@dataclass(frozen=True)
class Bootstrap:
    """The first organization and, when known, an API key for its admin.

    `created` is true on the very first start, when the organization was made.
    """

    organization_id: str
    organization_name: str
    api_key: str | None
    admin_user_id: str = ""
    admin_email: str = ""
    created: bool = False


def key_file(settings: Settings) -> Path:
    """Where the generated first API key is kept."""
    return settings.data_dir / "api-key"


def ensure_first_organization(store: Store, settings: Settings) -> Bootstrap:
    """Create the first organization, admin user and key unless they exist.

    Idempotent: later starts change nothing except registering a new
    `SYNCLINE_API_KEY` value.
    """
    with store.session() as session:
        repo = OrganizationRepository(session)
        organization = repo.first()
        created = organization is None
        if organization is None:
            organization = repo.create(settings.organization_name)
            repo.add_user(organization.id, settings.admin_email, role="admin")
        admin = repo.users(organization.id)[0]

        if settings.api_key is not None:
            key: str | None = settings.api_key.get_secret_value()
            if key and not repo.has_api_key(key):
                repo.add_api_key(admin, key)
        elif created:
            key = generate_api_key()
            repo.add_api_key(admin, key)
            _write_key_file(key_file(settings), key)
        else:
            path = key_file(settings)
            key = path.read_text().strip() if path.exists() else None
        return Bootstrap(
            organization.id,
            organization.name,
            key,
            admin_user_id=admin.id,
            admin_email=admin.email,
            created=created,
        )


def _write_key_file(path: Path, key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
