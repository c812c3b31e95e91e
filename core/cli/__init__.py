"""The `community-plus` command line."""

from __future__ import annotations

import click

from community_plus.cli.admin import admin
from community_plus.cli.media import media
from community_plus.cli.common import _settings, console, with_platform
from community_plus.cli.pii import pii
from community_plus.cli.plugin import plugin, sandbox  # plugin authors' tools: docs/plugin-guide.md
from community_plus.cli.plugins import plugins
from community_plus.cli.queries import queries
from community_plus.cli.residents import residents
from community_plus.cli.schema import schema
from community_plus.cli.seed import run_seed, seed_cmd
from community_plus.cli.serve import serve, worker
from community_plus.cli.wechat import wechat

__all__ = ["main", "console", "with_platform", "run_seed", "_settings"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="community-plus")
def main() -> None:
    """Community+ (社区+): GraphQL backend for community mini-programs."""



for command in (seed_cmd, serve, worker, schema, admin, media, plugins, queries, pii, wechat, residents, plugin,
                sandbox):
    main.add_command(command)


if __name__ == "__main__":
    main()
