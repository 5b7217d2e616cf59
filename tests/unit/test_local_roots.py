"""The local roots: what they allow, and the configurations a server refuses to start with."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from syncline.connectors.sqlite.connection import open_database
from syncline.errors import SettingsError, ValidationFailed
from syncline.services.local_paths import LocalRoots
from syncline.settings import Settings


def test_the_default_roots_are_files_and_demo_in_the_data_dir(tmp_path: Path) -> None:
    roots = LocalRoots.from_settings(Settings(data_dir=tmp_path))
    assert roots.roots == (tmp_path.resolve() / "files", tmp_path.resolve() / "demo")


def test_roots_come_from_a_json_array_or_a_path_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNCLINE_LOCAL_ROOTS", f'["{tmp_path}/a", "{tmp_path}/b"]')
    assert Settings().local_roots == [tmp_path / "a", tmp_path / "b"]
    monkeypatch.setenv("SYNCLINE_LOCAL_ROOTS", f"{tmp_path}/a:{tmp_path}/b")
    assert Settings().local_roots == [tmp_path / "a", tmp_path / "b"]
    monkeypatch.setenv("SYNCLINE_LOCAL_ROOTS", "")
    assert Settings().local_roots == []


@pytest.mark.parametrize(
    "root",
    ["{data}", "{data}/state", "{data}/executions/x", "{data}/secret.key", "{data}/..", "/"],
)
def test_a_root_overlapping_the_data_directorys_own_entries_is_refused(
    tmp_path: Path, root: str
) -> None:
    data = tmp_path / "data"
    settings = Settings(data_dir=data, local_roots=[Path(root.format(data=data))])
    with pytest.raises(SettingsError) as refused:
        LocalRoots.from_settings(settings)
    assert "\n" not in refused.value.message
    assert refused.value.message.startswith("SYNCLINE_LOCAL_ROOTS: ")


def test_a_sqlite_metadata_database_elsewhere_is_protected_too(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path}/meta/syncline.db",
        local_roots=[tmp_path / "meta"],
    )
    with pytest.raises(SettingsError, match=r"syncline\.db"):
        LocalRoots.from_settings(settings)


def test_no_roots_allows_no_local_path(tmp_path: Path) -> None:
    roots = LocalRoots.from_settings(Settings(data_dir=tmp_path, local_roots=[]))
    with pytest.raises(ValidationFailed, match="SYNCLINE_LOCAL_ROOTS is empty"):
        roots.confine(str(tmp_path), path="configuration.path")


def test_a_path_is_returned_resolved(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(root / "a", target_is_directory=True)
    roots = LocalRoots([root.resolve()], [])
    assert roots.confine(f"{root}/a/../a/", path="p") == (root / "a").resolve()
    assert roots.confine(str(link), path="p") == (root / "a").resolve()
    with pytest.raises(ValidationFailed):
        roots.confine(f"{root}/../elsewhere", path="p")


def test_sqlite_connections_cannot_attach_other_files(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite"
    sqlite3.connect(database).close()
    for mode in ("ro", "rw"):
        conn = open_database(str(database), mode)
        with pytest.raises(sqlite3.DatabaseError, match=r"not authorized|authorization denied"):
            conn.execute(f"ATTACH DATABASE '{tmp_path / 'other.db'}' AS other")
        with pytest.raises(sqlite3.DatabaseError, match=r"not authorized|authorization denied"):
            conn.execute(f"VACUUM INTO '{tmp_path / 'copy.db'}'")
        conn.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db.sqlite"]
