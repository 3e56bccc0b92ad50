"""The `mailer` command: the catalogue, previews, the digest, bounces and the local stack."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mailer.catalogue.awareness_file import load_days
from mailer.catalogue.export import write_resource_files
from mailer.catalogue.schema import validate
from mailer.paths import catalogue_dir

from .bounces import bounces
from .campaigns import announce, campaign
from .census import census
from .context import Group, container_of, echo
from .digest import digest
from .preview import preview
from .staff import staff
from .subscriber import subscriber
from .subscribers import subscribers


@click.group(cls=Group)
def main() -> None:
    """Awareness mailer: the catalogue, email previews and the local stack.

    Commands that reach AWS read their settings from the environment; on the local stack,
    run `. ./local.env` first.
    """


@main.group(cls=Group)
def catalogue() -> None:
    """Check and publish the resource catalogue."""


@catalogue.command("validate")
@click.option(
    "--path",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="catalogue folder (default: the project's catalogue/)",
)
@click.pass_context
def catalogue_validate(ctx: click.Context, root: Path | None) -> None:
    """Check every resource file and the awareness days; exit 1 naming each bad file, entry
    and field (and, in the days file, the line)."""
    # No settings needed: a container given by a test names the folder, else the project's.
    obj = ctx.find_root().obj
    folder = root or (obj.catalogue_dir if obj else catalogue_dir())
    resources, vocabulary, problems = validate(folder)
    # A day may suggest any resource that has a file, valid or not: its own problem is named.
    files = (folder / "resources").glob("*.yaml") if (folder / "resources").is_dir() else ()
    days, day_problems = load_days(folder, vocabulary, {p.stem for p in files})
    for problem in [*problems, *day_problems]:
        echo(f"error: {problem}", err=True)
    if problems or day_problems:
        raise click.ClickException(f"{len(problems) + len(day_problems)} problem(s) found.")
    echo(f"ok: {len(resources)} resources valid, {len(days)} awareness days valid.")


@catalogue.command("sync")
@click.pass_context
def catalogue_sync(ctx: click.Context) -> None:
    """Copy the catalogue files into the run-time store; a second run changes nothing."""
    container = container_of(ctx)
    report = container.catalogue_store.sync(container.catalogue_files())
    echo(report.summary())
    for label, ids in (
        ("added", report.added),
        ("updated", report.updated),
        ("removed", report.removed),
        ("kept (edited by staff, export to update the files)", report.kept),
    ):
        for resource_id in ids:
            echo(f"  {label}: {resource_id}")
    days = container.awareness_day_store.sync(container.awareness_days_file())
    echo(f"awareness days: {days.summary()}")
    for label, ids in (("added", days.added), ("updated", days.updated), ("removed", days.removed)):
        for day_id in ids:
            echo(f"  {label}: {day_id}")


@catalogue.command("export")
@click.option(
    "--to",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="folder for the <id>.yaml files (default: the project's catalogue/resources)",
)
@click.pass_context
def catalogue_export(ctx: click.Context, folder: Path | None) -> None:
    """Write the run-time store (console edits included) as catalogue files; retired
    resources' files are removed, so `git diff` shows exactly what staff changed."""
    container = container_of(ctx)
    folder = folder or container.catalogue_dir / "resources"
    stored = container.catalogue_store.with_retired(container.vocabulary)
    written = write_resource_files([r for r, retired in stored if not retired], folder)
    removed = 0
    for resource, retired in stored:
        if retired and (folder / f"{resource.id}.yaml").exists():
            (folder / f"{resource.id}.yaml").unlink()
            removed += 1
    echo(f"wrote {len(written)} resource file(s) to {folder}; removed {removed} retired")


@main.group(cls=Group)
def local() -> None:
    """The local stack: fake AWS plus the web app on this machine."""


@local.command("run")
@click.option(
    "--port",
    type=int,
    envvar="PORT",
    default=8000,
    show_default=True,
    help="port for the web app (or set PORT)",
)
@click.option(
    "--fresh",
    is_flag=True,
    help="start empty, ignoring the saved state (which is then replaced on Ctrl-C)",
)
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="where the fake AWS's state is kept between runs (default: LOCAL_STACK_STATE, else "
    ".local-stack/moto-state.pickle in the project)",
)
@click.pass_context
def local_run(ctx: click.Context, port: int, fresh: bool, state_file: Path | None) -> None:
    """Start moto (restoring what the last run saved), create what is missing of the stack
    from infra/template.yaml, sync the catalogue, serve the app; save the state on Ctrl-C."""
    from mailer.local.handoff import state_file as default_state_file
    from mailer.local.stack import serve  # moto and werkzeug: development dependencies

    container = container_of(ctx)
    # Settings read LOCAL_STACK_STATE, so the CLI in a second terminal finds the same folder.
    state_file = state_file or default_state_file(container.settings)
    serve(container, port, click.echo, state_file=state_file, fresh=fresh)


main.add_command(digest)
main.add_command(bounces)
main.add_command(preview)
main.add_command(announce)
main.add_command(campaign)
main.add_command(subscriber)
main.add_command(census)
main.add_command(subscribers)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
main.add_command(staff)
