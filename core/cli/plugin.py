"""Click commands `community-plus plugin new|check` and `community-plus sandbox`.

Registered at the end of `community_plus.cli` with `main.add_command(plugin)` and
`main.add_command(sandbox)`.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from community_plus.devtools.problems import Report


@click.group("plugin")
def plugin() -> None:
    """Write a module: scaffold a plugin, check it before installing it."""


@plugin.command("new")
@click.argument("name")
@click.option("--dir", "dest", default=".", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder in which to create NAME/.")
@click.option("--title", default=None, help="Title shown to community admins (Chinese), e.g. 社区公告栏.")
@click.option("--description", default=None, help="One line shown to community admins.")
def plugin_new(name: str, dest: Path, title: str | None, description: str | None) -> None:
    """Create a plugin distribution NAME (lower_snake_case) that installs and passes its tests."""
    from community_plus.devtools.scaffold import ScaffoldError, new_plugin

    console = Console(soft_wrap=True)
    try:
        target = new_plugin(name, dest, title=title, description=description)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from exc
    shown = _shown(target)
    console.print(f"[green]✔[/] created [bold]{escape(shown)}[/] (module [bold]{name}[/], distribution "
                  f"community-plus-{name.replace('_', '-')})")
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        console.print(f"    {escape(str(path.relative_to(target)))}")
    console.print("\nNext:")
    for line in (f"pip install -e '{shown}[test]'", f"(cd {shown} && pytest)", f"community-plus plugin check {shown}",
                 f"community-plus sandbox {shown}"):
        console.print(f"  [cyan]{escape(line)}[/]")
    console.print("Guide: docs/plugin-guide.md")


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


@plugin.command("check")
@click.argument("path", default=".", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
def plugin_check(path: Path, strict: bool, as_json: bool) -> None:
    """Validate the plugin at PATH before installing it (exit 1 on errors)."""
    from community_plus.devtools.check import check_plugin, to_json

    report = check_plugin(path)
    if as_json:
        click.echo(to_json(report))
    else:
        print_report(report, Console(soft_wrap=True), _shown(path))
    if report.errors or (strict and report.warnings):
        raise SystemExit(1)


def print_report(report: Report, console: Console, shown: str) -> None:
    """Each problem with its place and its fix; a friendly line when all is good."""
    modules = ", ".join(report.modules) or "?"
    console.print(f"Checking [bold]{escape(shown)}[/] ({escape(report.dist_name or 'no name')}, module {escape(modules)})")
    for p in report.problems:
        mark = "[red]✖ error[/]" if p.severity == "error" else "[yellow]⚠ warning[/]"
        where = f" [bold]{escape(p.where)}[/]" if p.where else ""
        console.print(f"{mark} [dim]\\[{p.check}][/]{where}")
        console.print(f"    {escape(p.message)}")
        console.print("    [green]fix:[/] " + escape(p.fix).replace("\n", "\n         "))
    errors, warnings = len(report.errors), len(report.warnings)
    if not report.problems:
        console.print(f"[bold green]✔ all good[/]: {escape(modules)} is ready to install "
                      "(pyproject, imports, manifest, settings schema, hooks, collisions, collections, permissions)")
    elif not errors:
        console.print(f"[green]✔ no errors[/], {warnings} warning{'s' * (warnings != 1)}")
    else:
        console.print(f"[red]{errors} error{'s' * (errors != 1)}[/], {warnings} warning{'s' * (warnings != 1)}")


@click.command("sandbox")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8088, show_default=True, type=int, help="Server (GraphQL, GraphiQL, /sandbox).")
@click.option("--wechat-port", default=9080, show_default=True, type=int, help="Fake WeChat server.")
@click.option("--db-port", default=27218, show_default=True, type=int, help="Embedded database (unless MONGODB_URI).")
@click.option("--data-dir", default=".community-plus/sandbox", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Embedded database and local files.")
@click.option("--communities", default=3, show_default=True, help="Demo communities seeded into an empty database.")
@click.option("--residents-per-community", default=60, show_default=True)
@click.option("--target", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Install the plugin (editable) into this folder instead of the current environment.")
@click.option("--no-install", is_flag=True, help="Do not pip-install PATH (it is installed already).")
def sandbox(path: Path | None, host: str, port: int, wechat_port: int, db_port: int, data_dir: Path,
            communities: int, residents_per_community: int, target: Path | None, no_install: bool) -> None:
    """Run PATH (a plugin under development) with a live server, demo data, GraphiQL and a fake
    WeChat; the server restarts whenever a file of the plugin changes."""
    from community_plus.devtools.sandbox import run_sandbox
    from community_plus.devtools.sandbox_options import SandboxError, SandboxOptions

    options = SandboxOptions(plugin=path, host=host, port=port, wechat_port=wechat_port, db_port=db_port,
                             data_dir=data_dir, communities=communities,
                             residents_per_community=residents_per_community, target=target,
                             install=not no_install)
    try:
        run_sandbox(options)
    except SandboxError as exc:
        raise click.ClickException(str(exc)) from exc
