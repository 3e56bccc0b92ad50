"""The `mailer` command: catalogue checks, previews and the local stack."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mailer.campaigns.selection import Period, select_resources
from mailer.catalogue.schema import validate
from mailer.container import Services
from mailer.emails.views import digest_context, greeting
from mailer.errors import MailerError
from mailer.paths import catalogue_dir
from mailer.settings import Settings

from .bounces import bounces
from .digest import digest


class _Group(click.Group):
    """Turns domain errors into one clear line and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except MailerError as exc:
            raise click.ClickException(str(exc)) from None


def _services(ctx: click.Context) -> Services:
    if ctx.obj is None:
        ctx.obj = Services(Settings.from_env())
    return ctx.obj


@click.group(cls=_Group)
def main() -> None:
    """Awareness mailer: the catalogue, email previews and the local stack.

    Commands that reach AWS read their settings from the environment; on the local stack,
    run `. ./local.env` first.
    """


@main.group(cls=_Group)
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
def catalogue_validate(root: Path | None) -> None:
    """Check every resource file; exit 1 naming each bad file, entry and field."""
    resources, _, problems = validate(root or catalogue_dir())
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) found.")
    click.echo(f"ok: {len(resources)} resources valid.")


@catalogue.command("sync")
@click.pass_context
def catalogue_sync(ctx: click.Context) -> None:
    """Copy the catalogue files into the run-time store; a second run changes nothing."""
    services = _services(ctx)
    report = services.catalogue_store.sync(services.catalogue_files())
    click.echo(report.summary())
    for label, ids in (
        ("added", report.added),
        ("updated", report.updated),
        ("removed", report.removed),
    ):
        for resource_id in ids:
            click.echo(f"  {label}: {resource_id}")


@main.group(cls=_Group)
def preview() -> None:
    """Render an email without sending it."""


@preview.command("digest")
@click.option("--audience", required=True, help="schools, faith-groups or individuals")
@click.option("--period", required=True, help="the month, as YYYY-MM")
@click.option("--topics", default="", help="comma-separated topic slugs (default: all topics)")
@click.option("--text", "as_text", is_flag=True, help="print the plain-text part instead")
@click.option(
    "--out",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="write to this file instead of standard output",
)
@click.option(
    "--source",
    type=click.Choice(["files", "store"]),
    default="files",
    show_default=True,
    help="read the catalogue from its files or the run-time store",
)
@click.pass_context
def preview_digest(
    ctx: click.Context,
    audience: str,
    period: str,
    topics: str,
    as_text: bool,
    out: click.utils.LazyFile,
    source: str,
) -> None:
    """Render one audience's digest for a month to standard output (or --out FILE)."""
    services = _services(ctx)
    vocabulary = services.vocabulary
    if audience not in vocabulary.audiences:
        raise MailerError(
            f"unknown audience {audience!r} (choose from: {', '.join(vocabulary.audiences)})"
        )
    chosen = [t.strip() for t in topics.split(",") if t.strip()]
    unknown = [t for t in chosen if t not in vocabulary.topics]
    if unknown:
        raise MailerError(f"unknown topic(s): {', '.join(unknown)}")
    month = Period.parse(period)
    resources = (
        services.catalogue_files().resources
        if source == "files"
        else services.catalogue_store.resources(vocabulary)
    )
    picks = select_resources(resources, audience, chosen, month)
    site_url = services.settings.site_url
    context = digest_context(vocabulary, site_url, audience, chosen, month, picks)
    email = services.renderer.render(
        "digest",
        context,
        {
            "greeting": greeting("Sam"),
            "manage_url": f"{site_url}/preferences/PREVIEW",
            "unsubscribe_url": f"{site_url}/unsubscribe/PREVIEW",
        },
    )
    body = email.text if as_text else email.html
    out.write(body if body.endswith("\n") else body + "\n")
    if out.name != "<stdout>":
        click.echo(f"wrote {out.name}: {email.subject!r}, {len(picks)} resources", err=True)


@main.group(cls=_Group)
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
@click.pass_context
def local_run(ctx: click.Context, port: int) -> None:
    """Start moto, create the stack from infra/template.yaml, sync the catalogue, serve the app."""
    from mailer.local.stack import serve

    serve(_services(ctx), port, click.echo)


main.add_command(digest)
main.add_command(bounces)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
