"""Organization administration in the store and its service: renaming, listing and
revoking API keys one by one, and the checks on a new user's fields."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncline.errors import NotFound, ValidationFailed
from syncline.services.organizations import OrganizationService, new_user_fields
from syncline.services.roles import Role
from syncline.services.ui_sessions import session_key_id, session_principal, sign_in
from syncline.settings import Settings
from syncline.store.db import Store
from syncline.store.organizations import OrganizationRepository
from tests.store_fixtures import STORE_BACKENDS, migrated_store


@pytest.fixture(params=STORE_BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store on each backend."""
    with migrated_store(request.param, tmp_path) as store:
        yield store


def _organization_with_key(service: OrganizationService, name: str) -> tuple[str, str, str]:
    """A new organization with one admin and a key: the ids and the key."""
    organization = service.create(name)
    user = service.add_user(organization.id, f"admin@{name}.example", Role.ADMIN)
    return organization.id, user.id, service.create_api_key(organization.id, user.id, force=False)


def test_a_rename_is_stored_without_surrounding_spaces(store: Store) -> None:
    service = OrganizationService(store)
    organization_id, _, _ = _organization_with_key(service, "before")
    assert service.rename(organization_id, "  After  ").name == "After"
    assert service.get(organization_id).name == "After"


@pytest.mark.parametrize(("name", "message"), [("", "enter a name"), (" \t", "enter a name")])
def test_a_blank_name_is_refused_at_its_path(store: Store, name: str, message: str) -> None:
    service = OrganizationService(store)
    organization_id, _, _ = _organization_with_key(service, "kept")
    with pytest.raises(ValidationFailed, match=message) as refused:
        service.rename(organization_id, name)
    assert refused.value.path == "name"
    assert service.get(organization_id).name == "kept"


def test_a_name_longer_than_the_column_is_refused(store: Store) -> None:
    service = OrganizationService(store)
    organization_id, _, _ = _organization_with_key(service, "kept")
    assert service.rename(organization_id, "x" * 255).name == "x" * 255
    with pytest.raises(ValidationFailed, match="at most 255 characters") as refused:
        service.rename(organization_id, "x" * 256)
    assert refused.value.path == "name"


def test_renaming_an_organization_that_does_not_exist_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        OrganizationService(store).rename("00000000-0000-0000-0000-000000000000", "name")


def test_keys_are_listed_with_their_user_never_with_the_key(store: Store) -> None:
    service = OrganizationService(store)
    organization_id, user_id, key = _organization_with_key(service, "listed")
    other = service.add_user(organization_id, "second@listed.example", Role.USER)
    service.create_api_key(organization_id, other.id, force=False)
    _organization_with_key(service, "elsewhere")
    keys = service.api_keys(organization_id)
    assert [(info.user_id, info.email) for info in keys] == [
        (user_id, "admin@listed.example"),
        (other.id, "second@listed.example"),
    ]
    assert all(key not in repr(info) for info in keys)
    assert service.api_key(organization_id, keys[1].id) == keys[1]


def test_revoking_one_key_leaves_the_user_s_others(store: Store) -> None:
    service = OrganizationService(store)
    organization_id, user_id, first = _organization_with_key(service, "two-keys")
    second = service.create_api_key(organization_id, user_id, force=False)
    first_id = service.api_keys(organization_id)[0].id
    service.revoke_api_key(organization_id, first_id)
    with store.session() as session:
        repo = OrganizationRepository(session)
        assert repo.resolve_api_key(first) is None
        assert repo.resolve_api_key(second) is not None
    with pytest.raises(NotFound):
        service.revoke_api_key(organization_id, first_id)


def test_another_organization_s_key_cannot_be_read_or_revoked(store: Store) -> None:
    service = OrganizationService(store)
    organization_id, _, key = _organization_with_key(service, "owner")
    stranger_id, _, _ = _organization_with_key(service, "stranger")
    key_id = service.api_keys(organization_id)[0].id
    for attempt in (service.api_key, service.revoke_api_key):
        with pytest.raises(NotFound):
            attempt(stranger_id, key_id)
    for bad in ("", "x", "0" * 300, "\x00"):
        with pytest.raises(NotFound):
            service.revoke_api_key(organization_id, bad)
    with store.session() as session:
        assert OrganizationRepository(session).resolve_api_key(key) is not None


def test_revoking_a_key_ends_the_sign_ins_made_with_it(store: Store, tmp_path: Path) -> None:
    service = OrganizationService(store)
    organization_id, _, key = _organization_with_key(service, "signed-in")
    token, _ = sign_in(store, Settings(data_dir=tmp_path), key)
    key_id = service.api_keys(organization_id)[0].id
    assert session_key_id(store, token) == key_id
    service.revoke_api_key(organization_id, key_id)
    assert session_principal(store, token) is None
    assert session_key_id(store, token) is None


def test_a_new_user_s_bad_fields_are_each_named() -> None:
    with pytest.raises(ValidationFailed) as refused:
        new_user_fields("no-at-sign", "owner")
    assert [detail["path"] for detail in refused.value.metadata["errors"]] == ["email", "role"]
    assert new_user_fields("ada@example.com", "viewer") == ("ada@example.com", Role.VIEWER)


def test_adding_a_user_with_a_malformed_email_is_refused(store: Store) -> None:
    service = OrganizationService(store)
    organization_id, _, _ = _organization_with_key(service, "strict")
    with pytest.raises(ValidationFailed) as refused:
        service.add_user(organization_id, "a b@example.com", Role.USER)
    assert refused.value.path == "email"
    assert [user.email for user in service.users(organization_id)] == ["admin@strict.example"]
