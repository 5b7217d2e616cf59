"""Executions: start, cancel, read status, list, console and record logs.

Starting only records the execution and hands its id to the executor; the
run itself happens in `syncline.execution.run.run_execution`, wherever the
executor puts it. Everything here reads and writes the store only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from syncline.errors import BadRequest, Conflict, NotFound
from syncline.execution.base import Executor
from syncline.services.auth import Principal
from syncline.services.record_logging import download
from syncline.services.scheduling import next_run_of
from syncline.settings import Settings
from syncline.store.db import Store
from syncline.store.executions import TERMINAL_STATUSES, ExecutionRepository
from syncline.store.record_logs import KINDS, count_records, log_parts
from syncline.store.secrets import SecretBox
from syncline.store.syncs import SyncRepository
from syncline.store.tables import Execution, ExecutionLog, is_id, parse_utc, utcnow

PAGE_SIZE = 50
LINK_LIFETIME = timedelta(minutes=15)
MAX_LOG_ID = 2**63
"""Console line ids are 64-bit integers; a larger cursor cannot be one."""


@dataclass(frozen=True)
class StartOptions:
    """How a run was asked for (`POST /api/syncs/{id}/executions`)."""

    resync: bool = False
    test: bool = False
    identities: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SyncStatus:
    """What `GET /api/syncs/{id}/status` answers."""

    current: Execution | None
    last: Execution | None
    next_execution_time: datetime | None


@dataclass(frozen=True)
class ExecutionPage:
    """One page of a sync's executions."""

    executions: list[Execution]
    next_page_token: str | None


class ExecutionService:
    """Executions of the caller's organization."""

    def __init__(
        self,
        store: Store,
        box: SecretBox,
        settings: Settings,
        executor: Executor,
        principal: Principal,
    ) -> None:
        self.store = store
        self.box = box
        self.settings = settings
        self.executor = executor
        self.principal = principal

    def _repo(self, session: Any) -> ExecutionRepository:
        return ExecutionRepository(session, self.principal.organization_id)

    def start(self, sync_id: str, options: StartOptions) -> Execution:
        """Record a new execution and hand it to the executor.

        Raises `NotFound`, `BadRequest` for an inactive sync and `Conflict`
        while another execution of the sync has not ended.
        """
        if options.identities is not None and not options.test:
            raise BadRequest("identities: only a test run (test=true) can be limited to identities")
        if options.test and not options.identities:
            raise BadRequest(
                "identities: a test run syncs the records with the identities it lists; "
                "give at least one"
            )
        with self.store.session() as session:
            sync = SyncRepository(session, self.principal.organization_id).get(sync_id)
            if not sync.active:
                raise BadRequest(
                    f"sync {sync.name!r} is not active; activate it before starting it",
                    metadata={"sync_id": sync_id},
                )
            execution = Execution(
                organization_id=sync.organization_id,
                sync_id=sync.id,
                status="queued",
                type="test" if options.test else ("resync" if options.resync else "manual"),
                options={
                    "resync": options.resync,
                    "test": options.test,
                    "identities": list(options.identities) if options.identities else None,
                },
                counts={},
                errors=[],
            )
            if not self._repo(session).take_slot(sync, execution):
                running = self._repo(session).current(sync.id)
                raise Conflict(
                    f"sync {sync.name!r} is already running"
                    + (f" (execution {running.id})" if running else ""),
                    metadata={"execution_id": running.id if running else None},
                )
        self.executor.submit(execution.id)
        return execution

    def status(self, sync_id: str) -> SyncStatus:
        """The current and the last ended execution of a sync, and when it runs next.

        The next time is None for inactive syncs, for schedules that are
        not time-based (manual, run-after), and for one that never fires.
        """
        with self.store.session() as session:
            sync = SyncRepository(session, self.principal.organization_id).get(sync_id)
            repo = self._repo(session)
            next_time = next_run_of(sync, self.settings, utcnow())
            return SyncStatus(repo.current(sync_id), repo.last_ended(sync_id), next_time)

    def cancel_sync(self, sync_id: str) -> str:
        """Ask the sync's running execution to stop. Returns a message for people."""
        with self.store.session() as session:
            SyncRepository(session, self.principal.organization_id).get(sync_id)
            current = self._repo(session).current(sync_id)
            if current is None:
                return "the sync has no running execution"
            _request_cancel(current)
            return f"cancellation of execution {current.id} requested"

    def cancel(self, sync_id: str, execution_id: str) -> str:
        """Ask one execution to stop at its next batch boundary. Returns a message for people."""
        execution = self.cancel_execution(sync_id, execution_id)
        if execution.status in TERMINAL_STATUSES:
            return f"execution {execution.id} has already ended ({execution.status})"
        return f"cancellation of execution {execution.id} requested"

    def cancel_execution(self, sync_id: str, execution_id: str) -> Execution:
        """Ask one execution to stop at its next batch boundary; returns it afterwards
        (`canceling`, or as it was when it had already ended). Raises `NotFound`."""
        with self.store.session() as session:
            execution = self._repo(session).get(execution_id, sync_id)
            if execution.status not in TERMINAL_STATUSES:
                _request_cancel(execution)
            return execution

    def cancel_and_wait(self, sync_id: str, timeout: float = 10.0) -> None:
        """Cancel the sync's running execution and wait (bounded) for it to end."""
        self.cancel_sync(sync_id)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.store.session() as session:
                if self._repo(session).current(sync_id) is None:
                    return
            time.sleep(0.1)

    def get(self, sync_id: str, execution_id: str) -> Execution:
        """One execution of a sync. Raises `NotFound`."""
        with self.store.session() as session:
            return self._repo(session).get(execution_id, sync_id)

    def page(
        self, sync_id: str, *, ascending: bool, only_completed: bool, page_token: str | None
    ) -> ExecutionPage:
        """Executions of a sync, newest first unless `ascending`, 50 a page."""
        after = _decode_cursor(page_token) if page_token else None
        with self.store.session() as session:
            SyncRepository(session, self.principal.organization_id).get(sync_id)
            rows = self._repo(session).page(
                sync_id,
                ascending=ascending,
                only_completed=only_completed,
                after=after,
                limit=PAGE_SIZE + 1,
            )
        token = None
        if len(rows) > PAGE_SIZE:
            rows = rows[:PAGE_SIZE]
            token = _encode_cursor(rows[-1].created_at, rows[-1].id)
        return ExecutionPage(rows, token)

    def console(
        self, sync_id: str, execution_id: str, *, after: str | None, limit: int | None
    ) -> tuple[list[ExecutionLog], str | None]:
        """Console lines of an execution, 50 at most, and the cursor of the next ones."""
        size = 50 if not limit or limit < 1 else min(limit, 50)
        try:
            cursor = int(after) if after else None
        except ValueError:
            cursor = -1
        if cursor is not None and not 0 <= cursor < MAX_LOG_ID:
            raise BadRequest("after: not a cursor this server issued", metadata={"path": "after"})
        with self.store.session() as session:
            repo = self._repo(session)
            repo.get(execution_id, sync_id)
            entries = repo.logs(execution_id, after=cursor, limit=size)
        next_cursor = str(entries[-1].id) if len(entries) == size else None
        return entries, next_cursor

    def logs_index(self, sync_id: str, execution_id: str) -> dict[str, tuple[int, str]]:
        """For each record kind: how many records it logged and its URL path."""
        self.get(sync_id, execution_id)
        base = f"/api/syncs/{sync_id}/executions/{execution_id}"
        data_dir = self.settings.data_dir
        return {
            kind: (count_records(data_dir, execution_id, kind), f"{base}/{kind}") for kind in KINDS
        }

    def log_urls(self, sync_id: str, execution_id: str, kind: str) -> tuple[list[str], datetime]:
        """Signed download URLs of one kind's record-log files, and when they expire."""
        if kind not in KINDS:
            raise BadRequest(f"unknown record log type {kind!r}; use one of {', '.join(KINDS)}")
        self.get(sync_id, execution_id)
        expires = utcnow() + LINK_LIFETIME
        logged = log_parts(self.settings.data_dir, execution_id, kind)
        urls = [self.signed_path(execution_id, f"{kind}.jsonl", expires)] if logged else []
        return urls, expires

    def log_file_url(self, sync_id: str, execution_id: str, kind: str, filename: str) -> str:
        """The signed URL of one record-log file. Raises `NotFound`."""
        urls, _ = self.log_urls(sync_id, execution_id, kind)
        if f"{kind}.jsonl" != filename or not urls:
            raise NotFound(f"record log file {filename!r} not found")
        return urls[0]

    def signed_path(self, execution_id: str, filename: str, expires: datetime) -> str:
        """A short-lived download path for one file; it needs no credentials."""
        payload = json.dumps([execution_id, filename, int(expires.timestamp())]).encode()
        token = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"/api/downloads/{token}.{sign_token(self.box, token)}"


def resolve_download(
    box: SecretBox, data_dir: Path, signed: str
) -> tuple[str, Path | Iterator[memoryview]]:
    """The file name a signed download path names (`<kind>.jsonl`) and its content:
    the rendered file, or the lines when no file could be written
    (`record_logging.download`). Raises `NotFound` when forged or expired.

    Anything not exactly what `signed_path` makes (a bad signature, a payload
    of other types, text that is not ASCII) is "not found".
    """
    token, _, signature = signed.rpartition(".")
    if not token or not hmac.compare_digest(signature.encode(), sign_token(box, token).encode()):
        raise NotFound("download link not found")
    try:
        execution_id, filename, expires = json.loads(
            base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        )
    except (binascii.Error, ValueError, TypeError):
        raise NotFound("download link not found") from None
    kind = filename.removesuffix(".jsonl") if isinstance(filename, str) else ""
    if not is_id(execution_id) or kind not in KINDS or type(expires) is not int:
        raise NotFound("download link not found")
    if time.time() > expires:
        raise NotFound("download link expired; ask for the record log URLs again")
    found = download(data_dir, execution_id, kind)
    if found is None:
        raise NotFound("download link not found")
    return filename, found


def sign_token(box: SecretBox, token: str) -> str:
    """The signature of a download token, with a key derived from the secret key."""
    key = box.derive_key("record-log-downloads")
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()[:32]


def _request_cancel(execution: Execution) -> None:
    # The runner sees the flag at its next batch boundary (or before it starts)
    # and ends the execution as canceled.
    execution.cancel_requested = True
    execution.status = "canceling"


def _encode_cursor(created_at: datetime, execution_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), execution_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(token: str) -> tuple[datetime, str]:
    try:
        created, execution_id = json.loads(
            base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        )
        if not is_id(execution_id):
            raise ValueError("not an execution id")
        return parse_utc(created), execution_id
    except (binascii.Error, ValueError, TypeError):
        raise BadRequest(
            "page_token is not one this server issued", metadata={"path": "page_token"}
        ) from None
