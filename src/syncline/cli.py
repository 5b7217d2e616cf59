"""The `syncline` command. Thin: every subcommand calls into services or the API."""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import click
import httpx
from pydantic import ValidationError

from syncline.errors import SynclineError
from syncline.settings import Settings, describe_invalid, get_settings

TERMINAL = ("completed", "canceled", "failed", "interrupted")


class _Commands(click.Group):
    """Every subcommand reports a bad setting or an expected error in one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ValidationError as exc:
            raise click.ClickException(describe_invalid(exc)) from None
        except SynclineError as exc:
            raise click.ClickException(exc.message) from None


@click.group(cls=_Commands)
@click.version_option(package_name="syncline")
def main() -> None:
    """Syncline: self-hosted model sync that speaks Polytomic's Model Sync API."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--log-level", default="info", show_default=True, help="uvicorn log level.")
def serve(host: str, port: int, log_level: str) -> None:
    """Migrate the metadata store and serve the API (with the embedded executor).

    In this order: the settings are checked, the port is taken, the store
    is migrated, the app starts (ending only executions whose owner is
    provably gone, then creating the first organization), and once it
    serves, the URL and key are printed (and the demo made, on the very
    first start). A start that fails says why in one line, having created
    nothing and changed no execution.
    """
    from syncline.api import server
    from syncline.api.app import create_app
    from syncline.services.local_paths import LocalRoots

    settings = get_settings()
    _check_executor(settings)
    LocalRoots.from_settings(settings)
    listener = server.listen(host, port)
    try:
        _prepare_store(settings)
        app = create_app(settings)
        url = f"http://{_shown(host)}:{listener.getsockname()[1]}"
        server.serve(
            app, listener, log_level=log_level, serving=partial(_announce, app, settings, url)
        )
    finally:
        listener.close()


def _shown(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104


def _prepare_store(settings: Settings) -> None:
    """Create the data directory and migrate the store, so `serve` fails here, in one line."""
    from syncline.services.data_dir import prepare_data_dir
    from syncline.store.db import Store

    prepare_data_dir(settings)
    store = Store(settings.resolved_database_url())
    try:
        store.migrate()
    finally:
        store.dispose()


def _announce(app: Any, settings: Settings, url: str) -> None:
    """Print where Syncline serves and its key; on the very first start, make the demo."""
    from syncline.services.auth import Principal
    from syncline.services.bootstrap import Bootstrap
    from syncline.services.connections import ConnectionService
    from syncline.services.demo import create_demo

    first: Bootstrap = app.state.bootstrap
    click.echo(f"Syncline is serving at {url}")
    click.echo(f"Organization: {first.organization_name} ({first.organization_id})")
    if first.api_key:
        click.echo(f"API key: {first.api_key}")
    else:
        click.echo("API key: set SYNCLINE_API_KEY to choose the admin's key")
    click.echo(f"Data directory: {settings.data_dir.resolve()}")
    if not (first.created and settings.demo):
        return
    principal = Principal(
        organization_id=first.organization_id,
        organization_name=first.organization_name,
        method="api_key",
        user_id=first.admin_user_id,
        email=first.admin_email,
    )
    state = app.state.syncline
    connections = ConnectionService(state.store, state.box, settings, principal)
    demo_dir = (settings.data_dir / "demo").resolve()
    if not any(demo_dir.is_relative_to(root) for root in connections.roots.roots):
        click.echo(f"Demo: not created, {demo_dir} is outside SYNCLINE_LOCAL_ROOTS")
        return
    try:
        demo = create_demo(connections)
    except SynclineError as exc:
        click.echo(f"Demo: not created: {exc.message}")
        return
    click.echo(
        f"Demo: sync {demo.sync_id} copies {demo.source_path} into {demo.export_dir}; "
        f"run it with: syncline syncs run {demo.sync_id} --wait"
    )


@main.command()
def migrate() -> None:
    """Apply the metadata store's migrations and exit."""
    from syncline.services.data_dir import prepare_data_dir
    from syncline.store.db import Store

    settings = get_settings()
    prepare_data_dir(settings)
    store = Store(settings.resolved_database_url())
    store.migrate()
    store.dispose()
    click.echo("metadata store is up to date")


def _check_executor(settings: Settings) -> None:
    """Fail early, with the fix, when `executor=celery` has no broker."""
    if settings.executor == "celery" and not settings.broker_url:
        raise click.ClickException(
            "SYNCLINE_EXECUTOR=celery needs SYNCLINE_BROKER_URL "
            "(redis://host:6379/0 or amqp://user:password@host:5672//)"
        )


@main.command()
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=None,
    help="Executions this worker runs at once (processes); default: SYNCLINE_WORKERS.",
)
def worker(concurrency: int | None) -> None:
    """Run executions sent through the broker (SYNCLINE_EXECUTOR=celery).

    Start as many as you like, on any machine that reaches the metadata
    store, the broker and the sync's sources and targets, with the same
    SYNCLINE_DATABASE_URL, SYNCLINE_BROKER_URL and SYNCLINE_SECRET_KEY.
    """
    from syncline.execution.celery_app import make_celery, worker_argv
    from syncline.services.data_dir import prepare_data_dir
    from syncline.services.executors import worker_runner

    settings = get_settings()
    if settings.executor != "celery":
        raise click.ClickException("`syncline worker` needs SYNCLINE_EXECUTOR=celery")
    _check_executor(settings)
    prepare_data_dir(settings)
    app = make_celery(settings, partial(worker_runner, settings))
    app.worker_main(worker_argv(settings, concurrency or settings.workers))


@main.command()
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
    help="Lowest level of the lines logged to stderr.",
)
def scheduler(log_level: str) -> None:
    """Run only the scheduler and the reaper, in the foreground, until SIGINT/SIGTERM.

    For deployments whose API servers run with SYNCLINE_SCHEDULER=false.
    With SYNCLINE_EXECUTOR=celery, due executions go to the broker; with the
    local executor they run in this process. Every tick that starts
    executions logs them, with the lease holder's name.
    """
    import logging
    import signal
    import threading

    from syncline.services.data_dir import prepare_data_dir
    from syncline.services.executors import build_executor, build_reaper, build_scheduler
    from syncline.services.runs import Runtime
    from syncline.store.db import Store
    from syncline.store.secrets import SecretBox

    settings = get_settings()
    _check_executor(settings)
    prepare_data_dir(settings)
    logging.basicConfig(
        level=log_level.upper(),
        format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s",
    )
    store = Store(settings.resolved_database_url())
    store.migrate()
    box = SecretBox.load(
        settings.secret_key.get_secret_value() if settings.secret_key else None,
        settings.data_dir,
    )
    stop = threading.Event()
    runtime = Runtime(store=store, box=box, settings=settings, stopping=stop.is_set)
    executor = build_executor(runtime)
    loops = (build_scheduler(runtime, executor), build_reaper(runtime, executor))
    previous = {
        signum: signal.signal(signum, lambda *_: stop.set())
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    for loop in loops:
        loop.start()
    click.echo(f"scheduler and reaper running ({settings.executor} executor); Ctrl-C stops")
    try:
        while not stop.wait(1.0):
            pass
    finally:
        for loop in reversed(loops):
            loop.stop()
        executor.shutdown()
        store.dispose()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    click.echo("scheduler stopped")


@main.group()
def syncs() -> None:
    """Work with model syncs on a running server (SYNCLINE_URL, SYNCLINE_API_KEY)."""


@syncs.command("run")
@click.argument("sync_id")
@click.option("--wait/--no-wait", default=False, help="Follow the execution to its end.")
@click.option("--resync", is_flag=True, help="Send every record, ignoring change detection.")
def run_sync(sync_id: str, wait: bool, resync: bool) -> None:
    """Start a sync; with --wait, show its progress and end with its counts.

    With --wait it exits 1 unless the run completed without errors: a run
    that completed but had records rejected says `completed with errors`.
    """
    with _client() as client:
        started = _call(client, "POST", f"/api/syncs/{sync_id}/executions", {"resync": resync})
        execution_id = started["id"]
        click.echo(f"execution {execution_id} {started['status']}")
        if not wait:
            return
        execution = _follow(client, sync_id, execution_id)
    counts = execution.get("counts") or {}
    errors = execution.get("errors") or []
    status = execution["status"]
    # A completed run with errors rejected records: it says so, and is no success.
    ended = "completed with errors" if status == "completed" and errors else status
    click.echo(
        f"\n{ended}: {counts.get('total', 0)} records, "
        f"{counts.get('insert', 0)} inserted, {counts.get('update', 0)} updated, "
        f"{counts.get('delete', 0)} deleted, {counts.get('error', 0)} rejected, "
        f"{counts.get('warnings', 0)} warnings"
    )
    for error in errors:
        click.echo(f"error: {error}", err=True)
    if status != "completed" or errors:
        raise SystemExit(1)


def _follow(client: httpx.Client, sync_id: str, execution_id: str) -> dict[str, Any]:
    """Poll an execution, redrawing one progress line, until it ends."""
    while True:
        execution = _call(client, "GET", f"/api/syncs/{sync_id}/executions/{execution_id}")
        counts = execution.get("counts") or {}
        written = sum(counts.get(k, 0) for k in ("insert", "update", "delete"))
        click.echo(
            f"\r{execution['status']:<10} read {counts.get('total', 0):>10,}  "
            f"written {written:>10,}  rejected {counts.get('error', 0):>8,}",
            nl=False,
        )
        if execution["status"] in TERMINAL:
            return execution
        time.sleep(0.5)


def _client() -> httpx.Client:
    settings = get_settings()
    key = settings.api_key.get_secret_value() if settings.api_key else _stored_key(settings)
    if not key:
        raise click.ClickException("set SYNCLINE_API_KEY to the API key `syncline serve` printed")
    return httpx.Client(
        base_url=settings.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


def _stored_key(settings: Settings) -> str | None:
    from syncline.services.bootstrap import key_file

    path = key_file(settings)
    return path.read_text().strip() if path.exists() else None


def _call(
    client: httpx.Client, method: str, path: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    try:
        response = client.request(method, path, json=body)
    except httpx.TransportError as exc:
        raise click.ClickException(
            f"cannot reach Syncline at {client.base_url}: {exc}; is `syncline serve` running?"
        ) from None
    payload = response.json() if response.content else {}
    if response.status_code >= 400:
        raise click.ClickException(str(payload.get("message") or response.text))
    data: dict[str, Any] = payload.get("data") or {}
    return data


@main.group()
def dev() -> None:
    """Tools for trying Syncline out and developing against it."""


@dev.command("receiver")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", default=8765, show_default=True, type=int, help="Port to listen on (0: any free)."
)
@click.option(
    "--secret",
    default=None,
    envvar="SYNCLINE_RECEIVER_SECRET",
    help="The webhook connection's secret: check each request's signature and bearer token.",
)
@click.option(
    "--status", default=200, show_default=True, type=int, help="Status to answer every request."
)
@click.option("--json", "as_json", is_flag=True, help="Print each request as one JSON line.")
def dev_receiver(host: str, port: int, secret: str | None, status: int, as_json: bool) -> None:
    """Print every request that arrives, as a webhook or HTTP destination sends it.

    One line per request: time, method, path, the answer, the number of
    records and the first record's fields; with --secret, whether the
    Standard Webhooks signature verifies and whether `Authorization: Bearer
    <secret>` matches. Bodies may be gzipped; JSON, arrays and NDJSON are
    read; more than 16 MiB is refused with 413.
    """
    from syncline.devtools.receiver import ReceiverOptions, serve

    options = ReceiverOptions(status=status, secret=secret, as_json=as_json)
    serve(options, host, port, click.echo)


if __name__ == "__main__":
    main()
