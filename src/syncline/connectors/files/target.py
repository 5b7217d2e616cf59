"""The target side of a `files` connection: each supported file is a target object.

Describing targets lives here; writing them lives in `writer` (opened by
`FilesTarget.open_writer`).
"""

from __future__ import annotations

from collections.abc import Mapping

from syncline.connectors.base import (
    Choice,
    CreationProperty,
    ModeSupport,
    TargetCapabilities,
    TargetConnector,
    TargetDescription,
    TargetField,
    TargetObject,
)
from syncline.connectors.compatibility import ValueDomain, ValueKind
from syncline.connectors.files.connection import FilesConnection
from syncline.connectors.files.directory import unsafe_name_reason
from syncline.connectors.files.formats import FileFormat, format_of
from syncline.connectors.files.markers import FilesCommitLedger
from syncline.connectors.files.reading import describe
from syncline.connectors.files.types import (
    JSON_LINES_ACCEPTANCE,
    NAMES,
    PARQUET_ACCEPTANCE,
    SCALAR_TYPES,
    TEXT_ACCEPTANCE,
    duckdb_domain,
)
from syncline.connectors.files.writer import FilesWriter, TargetFile
from syncline.connectors.vocabulary import (
    FILTER_FUNCTIONS_BY_TYPE,
    IdentityFunction,
    SyncMode,
)
from syncline.connectors.writing import CommitLedger, CommitMarking, WritePlan, Writer
from syncline.errors import BadRequest, ConnectorError, ObjectNotFound, ValidationFailed

MODES: tuple[ModeSupport, ...] = (
    ModeSupport(SyncMode.CREATE, requires_identity=True),
    ModeSupport(SyncMode.UPDATE, requires_identity=True, supports_per_field_mode=True),
    ModeSupport(SyncMode.UPDATE_OR_CREATE, requires_identity=True, supports_per_field_mode=True),
    ModeSupport(SyncMode.REPLACE, requires_identity=False),
    ModeSupport(SyncMode.APPEND, requires_identity=False),
    ModeSupport(SyncMode.REMOVE, requires_identity=True),
    ModeSupport(SyncMode.SNAPSHOT, requires_identity=False),
)
"""Every file supports every mode; none supports target filters."""

TARGET_CAPABILITIES = TargetCapabilities(
    supports_field_creation=True,
    target_creator=True,
    new_target_label="New file",
)

NAME_PROPERTY = "name"
FORMAT_PROPERTY = "format"

CREATION_PROPERTIES: list[CreationProperty] = [
    CreationProperty(NAME_PROPERTY, "File name", enum=False),
    CreationProperty(FORMAT_PROPERTY, "Format", enum=True),
]


ACCEPTANCES = {
    FileFormat.CSV: TEXT_ACCEPTANCE,
    FileFormat.JSONL: JSON_LINES_ACCEPTANCE,
    FileFormat.PARQUET: PARQUET_ACCEPTANCE,
}
"""What each format's columns take (see `compatibility`)."""


class FilesTarget(FilesConnection, TargetConnector):
    """Describes the directory's files as targets, and new files a sync may create."""

    def target_objects(self) -> list[TargetObject]:
        """The supported files, sorted by name, each supporting every mode.

        Raises `ConnectorError` when the directory cannot be listed.
        """
        return [TargetObject(id=name, name=name, modes=MODES) for name in self.directory.files()]

    def describe_target(self, object_id: str) -> TargetDescription:
        """The columns of one file as target fields.

        Raises `ObjectNotFound` for a missing file, `BadRequest` for a name
        outside the directory, `ConnectorError` with DuckDB's message for a
        file it cannot read.
        """
        path, file_format = self.directory.locate(object_id)
        fields = [
            TargetField(
                id=column.name,
                name=column.name,
                type=column.type,
                remote_type=column.remote_type,
                required=False,
                createable=True,
                updateable=True,
                filterable=False,
                supports_identity=column.type in SCALAR_TYPES,
                identity_functions=(
                    (IdentityFunction.EQUALITY,) if column.type in SCALAR_TYPES else ()
                ),
                filter_functions=FILTER_FUNCTIONS_BY_TYPE[column.type],
                domain=(
                    duckdb_domain(column.remote_type)
                    if file_format is FileFormat.PARQUET
                    else ValueDomain(ValueKind.ANY)
                ),
            )
            for column in describe(path, file_format, ConnectorError)
        ]
        return TargetDescription(
            id=object_id,
            name=object_id,
            fields=fields,
            modes=MODES,
            properties=self.target_capabilities,
            acceptance=ACCEPTANCES[file_format],
            names=NAMES,
            commit_marking=CommitMarking.FINISH,
        )

    def open_writer(self, plan: WritePlan) -> Writer:
        """A writer applying `plan` to the file `plan.object_id` (see `files.writer`).

        With `plan.create` ({"name", "format"} as for `describe_new_target`)
        the file is created by the run's `finish()`; `plan.object_id` is then
        the new file's name (extension included) or empty. If a supported file of
        that name is already there (a previous run created it and then
        crashed before its state was saved), the run writes to it, so a
        retried run does not fail. Raises `ObjectNotFound` for a missing
        file, `ConnectorError` for a name outside the directory, invalid
        creation properties, a plan files cannot carry out, or a file being
        written by another run.
        """
        try:
            target = self._writable(plan)
        except (BadRequest, ValidationFailed) as exc:
            raise ConnectorError(exc.message, metadata=exc.metadata) from exc
        return FilesWriter(plan, target)

    def _writable(self, plan: WritePlan) -> TargetFile:
        """The file `plan` writes, validated; see `open_writer`."""
        root = self.directory.root
        name = plan.object_id
        if plan.create is not None:
            wanted, file_format = _new_file(plan.create)
            # A sync creating its target may not know the object id yet.
            if name and wanted != name:
                raise ValidationFailed(
                    f"the new file would be named {wanted!r}, but the sync writes {name!r}",
                    path=f"properties.{NAME_PROPERTY}",
                )
            name = wanted
            if not self.directory.exists(name):
                if not self.directory.root.is_dir():
                    raise ConnectorError(self.directory.problems() or f"cannot write to {root}")
                return TargetFile(root, name, root.resolve() / name, file_format, exists=False)
        path, file_format = self.directory.locate(name)
        return TargetFile(root, name, path, file_format, exists=True)

    def creation_properties(self) -> list[CreationProperty]:
        """A new file needs a name and a format."""
        return list(CREATION_PROPERTIES)

    def creation_property_values(self, property_id: str) -> list[Choice]:
        """The formats a new file can have. Raises `ObjectNotFound` for other properties."""
        if property_id == FORMAT_PROPERTY:
            return [Choice(file_format.value, file_format.label) for file_format in FileFormat]
        if property_id == NAME_PROPERTY:
            raise ObjectNotFound(f"target creation property {property_id!r} has no list of values")
        raise ObjectNotFound(
            f"connection type {self.type_id!r} has no target creation property {property_id!r}; "
            f"properties: {NAME_PROPERTY!r}, {FORMAT_PROPERTY!r}"
        )

    def describe_new_target(self, properties: Mapping[str, str]) -> TargetDescription:
        """The file that creating a target with `properties` would make.

        The id is the name with the format's extension appended when it has
        none of the supported extensions. Raises `ValidationFailed` with path
        "properties.<id>" for an unknown, missing or invalid property, an
        extension contradicting the format, or a name already taken.
        """
        name, file_format = _new_file(properties)
        if self.directory.exists(name):
            raise ValidationFailed(
                f"file {name!r} already exists in directory {self.directory.root}; "
                "choose another name or sync to the existing file",
                path=f"properties.{NAME_PROPERTY}",
            )
        return TargetDescription(
            id=name,
            name=name,
            fields=[],
            modes=MODES,
            properties=self.target_capabilities,
            acceptance=ACCEPTANCES[file_format],
            names=NAMES,
            commit_marking=CommitMarking.FINISH,
        )

    def commit_ledger(
        self, object_id: str, create: Mapping[str, str] | None = None
    ) -> CommitLedger | None:
        """The commit notes about the file `object_id` (or the one `create` makes);
        None for a name that cannot be a file here (no writer could have marked it)."""
        name = object_id
        try:
            if create is not None:
                name = _new_file(create)[0]
            if self.directory.exists(name):
                path = self.directory.locate(name)[0]
            elif unsafe_name_reason(name) is None:
                path = self.directory.root.resolve() / name
            else:
                return None
        except (BadRequest, ValidationFailed, ObjectNotFound):
            return None
        return FilesCommitLedger(self.directory.root, name, path)


def _new_file(properties: Mapping[str, str]) -> tuple[str, FileFormat]:
    """The name (with extension) and format of the file creation `properties` ask for.

    Raises `ValidationFailed` with path "properties.<id>" for an unknown,
    missing or invalid property, or an extension contradicting the format.
    """
    for key in properties:
        if key not in (NAME_PROPERTY, FORMAT_PROPERTY):
            raise ValidationFailed(
                f"unknown property {key!r}; a new file takes "
                f"{NAME_PROPERTY!r} and {FORMAT_PROPERTY!r}",
                path=f"properties.{key}",
            )
    file_format = _format_property(properties.get(FORMAT_PROPERTY))
    return _name_property(properties.get(NAME_PROPERTY), file_format), file_format


def _format_property(value: object) -> FileFormat:
    """The format a creation request asks for. Raises `ValidationFailed`."""
    allowed = ", ".join(file_format.value for file_format in FileFormat)
    path = f"properties.{FORMAT_PROPERTY}"
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(
            f"property {FORMAT_PROPERTY!r} is required: one of {allowed}", path=path
        )
    try:
        return FileFormat(value.strip().lower())
    except ValueError:
        raise ValidationFailed(
            f"format {value!r} is not supported; choose one of {allowed}", path=path
        ) from None


def _name_property(value: object, file_format: FileFormat) -> str:
    """The file name a creation request asks for, with the format's extension."""
    path = f"properties.{NAME_PROPERTY}"
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"property {NAME_PROPERTY!r} is required: the file name", path=path)
    name = value.strip()
    reason = unsafe_name_reason(name)
    if reason is not None:
        raise ValidationFailed(f"file name {name!r} {reason}", path=path)
    declared = format_of(name)
    if declared is None:
        return name + file_format.extension
    if declared is not file_format:
        raise ValidationFailed(
            f"file name {name!r} has the extension of a {declared.label} file "
            f"but the format is {file_format.value!r}",
            path=path,
        )
    return name
