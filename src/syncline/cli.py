"""The `syncline` command. Thin: every subcommand calls into services."""

from __future__ import annotations

import click

from syncline.errors import SynclineError
from syncline.settings import get_settings


@click.group()
@click.version_option(package_name="syncline")
def main() -> None:
    """Syncline: self-hosted model sync that speaks Polytomic's Model Sync API."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--log-level", default="info", show_default=True, help="uvicorn log level.")
def serve(host: str, port: int, log_level: str) -> None:
    """Migrate the metadata store and serve the API."""
    import uvicorn

    from syncline.api.app import create_app
    from syncline.services.bootstrap import ensure_first_organization
    from syncline.store.db import Store
    from syncline.store.secrets import SecretBox

    settings = get_settings()
    try:
        SecretBox.load(
            settings.secret_key.get_secret_value() if settings.secret_key else None,
            settings.data_dir,
        )
        store = Store(settings.resolved_database_url())
        store.migrate()
        first = ensure_first_organization(store, settings)
        store.dispose()
    except SynclineError as exc:
        raise click.ClickException(exc.message) from None

    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    click.echo(f"Syncline is serving at http://{shown_host}:{port}")
    click.echo(f"Organization: {first.organization_name} ({first.organization_id})")
    if first.api_key:
        click.echo(f"API key: {first.api_key}")
    else:
        click.echo("API key: set SYNCLINE_API_KEY to choose the admin's key")
    click.echo(f"Data directory: {settings.data_dir.resolve()}", err=False)
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)


@main.command()
def migrate() -> None:
    """Apply the metadata store's migrations and exit."""
    from syncline.store.db import Store

    store = Store(get_settings().resolved_database_url())
    store.migrate()
    store.dispose()
    click.echo("metadata store is up to date")


if __name__ == "__main__":
    main()
