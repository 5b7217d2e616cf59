"""`/api/syncs`: model syncs.

`/api/syncs/schedules` is declared before `/api/syncs/{sync_id}` so the
literal path wins.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from syncline.api.access import allow
from syncline.api.deps import Connections
from syncline.api.routers.executions import Executions
from syncline.api.schemas import syncs as schemas
from syncline.api.schemas.common import Envelope, PagedEnvelope, Pagination, actor, timestamp
from syncline.api.versions import ApiVersion, pages_sync_list
from syncline.connectors.vocabulary import SyncMode
from syncline.errors import ValidationFailed
from syncline.services.roles import READ, WRITE
from syncline.services.syncs.config import SyncWrite
from syncline.services.syncs.legacy import legacy_views
from syncline.services.syncs.schedule import SCHEDULE_OPTIONS
from syncline.services.syncs.service import SyncService, SyncView
from syncline.store.syncs import ListFilters
from syncline.store.tables import Sync

router = APIRouter(prefix="/api/syncs", tags=["model syncs"])


def sync_service(connections: Connections) -> SyncService:
    """Model syncs of the caller's organization."""
    return SyncService(connections)


Syncs = Annotated[SyncService, Depends(sync_service)]


def sync_out(view: SyncView) -> schemas.Sync:
    """A stored sync as `ModelSyncV5Response`, with the legacy views filled in."""
    config, row = view.config, view.row
    legacy = legacy_views(config, view.models)
    return schemas.Sync(
        id=row.id,
        name=config.name,
        active=row.active,
        mode=config.mode,
        organization_id=row.organization_id,
        model_ids=view.model_ids,
        target=config.target,
        fields=config.fields,
        override_fields=config.override_fields,
        identities=config.identities,
        identity=legacy["identity"],
        model_filters=config.model_filters,
        target_filters=config.target_filters,
        filters=legacy["filters"],
        filter_logic=legacy["filter_logic"],
        overrides=config.overrides,
        schedule=config.schedule.model_dump(exclude_none=True),
        only_enrich_updates=config.only_enrich_updates,
        skip_initial_backfill=config.skip_initial_backfill,
        sync_all_records=config.sync_all_records,
        policies=config.policies,
        encryption_passphrase="********" if view.has_passphrase else None,
        created_at=timestamp(row.created_at),
        created_by=actor(row.created_by),
        updated_at=timestamp(row.updated_at),
        updated_by=actor(row.updated_by),
        problems=[
            schemas.Problem(code=p.code, message=p.message, path=p.path, severity=p.severity)
            for p in view.problems
        ],
    )


def _list_item(row: Sync, model_ids: list[str]) -> schemas.SyncListItem:
    config = row.config
    return schemas.SyncListItem(
        id=row.id,
        name=row.name,
        active=row.active,
        mode=row.mode,
        model_ids=model_ids,
        organization_id=row.organization_id,
        schedule={k: v for k, v in (config.get("schedule") or {}).items() if v is not None},
        target_connection_id=row.target_connection_id,
        target_object=row.target_object,
        only_enrich_updates=bool(config.get("only_enrich_updates")),
        skip_initial_backfill=bool(config.get("skip_initial_backfill")),
        sync_all_records=bool(config.get("sync_all_records")),
        created_at=timestamp(row.created_at),
        created_by=actor(row.created_by),
        updated_at=timestamp(row.updated_at),
        updated_by=actor(row.updated_by),
    )


@router.get("", dependencies=[allow(READ)])
def list_syncs(
    syncs: Syncs,
    version: ApiVersion,
    active: bool | None = None,
    mode: str | None = None,
    target_connection_id: str | None = None,
    page_token: str | None = None,
    limit: int | None = None,
) -> PagedEnvelope[schemas.SyncListItem] | Envelope[list[schemas.Sync]]:
    """The organization's syncs, most recently changed first.

    From API version 2025-09-18 on: list items, 50 at most per page. Before it,
    and without `X-Polytomic-Version`: every matching sync in full, unpaged
    (`page_token` and `limit` are ignored).
    """
    if mode is not None and mode not in {m.value for m in SyncMode}:
        raise ValidationFailed(
            f"mode: unknown sync mode {mode!r}; use one of {', '.join(m.value for m in SyncMode)}",
            path="mode",
        )
    filters = ListFilters(active=active, mode=mode, target_connection_id=target_connection_id)
    if not pages_sync_list(version):
        return Envelope(data=[sync_out(view) for view in syncs.listing(filters)])
    page = syncs.page(filters, page_token, limit)
    return PagedEnvelope(
        data=[_list_item(row, page.model_ids[row.id]) for row in page.syncs],
        pagination=Pagination(next_page_token=page.next_page_token),
    )


@router.post("", dependencies=[allow(WRITE)])
def create_sync(body: SyncWrite, syncs: Syncs) -> Envelope[schemas.Sync]:
    """Create a sync after validating it against its models and target."""
    return Envelope(data=sync_out(syncs.create(body)))


@router.get("/schedules", dependencies=[allow(READ)])
def schedule_options() -> Envelope[schemas.ScheduleOptions]:
    """Every schedule frequency with its configuration form."""
    return Envelope(
        data=schemas.ScheduleOptions(
            schedule_options=[
                schemas.ScheduleOption(
                    frequency=o.frequency,
                    label=o.label,
                    description=o.description,
                    configuration=o.configuration,
                )
                for o in SCHEDULE_OPTIONS
            ]
        )
    )


@router.get("/{sync_id}", dependencies=[allow(READ)])
def get_sync(sync_id: str, syncs: Syncs) -> Envelope[schemas.Sync]:
    """One sync, with `problems` listing references that no longer resolve."""
    return Envelope(data=sync_out(syncs.get(sync_id)))


@router.put("/{sync_id}", dependencies=[allow(WRITE)])
def update_sync(sync_id: str, body: SyncWrite, syncs: Syncs) -> Envelope[schemas.Sync]:
    """Replace a sync's whole configuration."""
    return Envelope(data=sync_out(syncs.update(sync_id, body)))


@router.delete("/{sync_id}", dependencies=[allow(WRITE)])
def delete_sync(sync_id: str, syncs: Syncs, executions: Executions) -> Envelope[dict[str, str]]:
    """Cancel the sync's running execution, then delete the sync for good."""
    syncs.get(sync_id)
    executions.cancel_and_wait(sync_id)
    syncs.delete(sync_id)
    return Envelope(data={"id": sync_id})


@router.post("/{sync_id}/activate", dependencies=[allow(WRITE)])
def activate_sync(
    sync_id: str, body: schemas.Activate, syncs: Syncs
) -> Envelope[schemas.Activated]:
    """Turn a sync's schedule on or off."""
    row = syncs.activate(sync_id, body.active)
    return Envelope(data=schemas.Activated(id=row.id, active=row.active))


@router.get("/{sync_id}/error-handling", dependencies=[allow(READ)])
def get_error_handling(sync_id: str, syncs: Syncs) -> Envelope[schemas.ErrorHandling]:
    """How record errors of a sync are handled."""
    return Envelope(data=schemas.ErrorHandling.model_validate(syncs.error_handling(sync_id)))


@router.put("/{sync_id}/error-handling", dependencies=[allow(WRITE)])
def put_error_handling(
    sync_id: str, body: schemas.ErrorHandling, syncs: Syncs
) -> Envelope[schemas.ErrorHandling]:
    """Replace how record errors of a sync are handled."""
    stored = syncs.set_error_handling(sync_id, body.model_dump())
    return Envelope(data=schemas.ErrorHandling.model_validate(stored))
