"""Pages a module adds to the admin console (管理后台): the console lists them in its menu for
the communities where the module is enabled, to the roles named, and loads the page's script
from the module's own package — nothing of the module is built into the console.

The script is a plain ES module in the package's `console/` folder (ship it as package data),
served at `/admin/modules/<module>/<script>`, exporting `render(ctx)` like the console's own
pages: `ctx.main` (the element to fill), `ctx.gql(query, variables)` (the console's GraphQL
client, acting in the chosen community), `ctx.gqlUpload(query, variables, file)` (a multipart
request with the file at `variables.file`, e.g. `uploadFile`), `ctx.ui` (the console's helpers: `h`, `clear`,
`table`, `field`, `select`, `dialog`, `toast`, `fmtDateTime`, `errorMessage`…), `ctx.scope`,
`ctx.viewer`, `ctx.query`, `ctx.alive()`. It may return a cleanup function.

Example::

    module = Module(name="notice_board", title="社区公告栏", version="0.1.0",
                    console_pages=(ConsolePage("notices", "公告管理", "notices.js"),))

    # notice_board/console/notices.js
    # export async function render(ctx) {
    #   const { h, clear, table } = ctx.ui;
    #   const data = await ctx.gql('{ notices(first: 20) { edges { node { title } } } }');
    #   clear(ctx.main, h('h1', {}, '公告管理'), table(['标题'], data.notices.edges.map(
    #     (e) => h('tr', {}, h('td', {}, e.node.title)))));
    # }
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_SCRIPT = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*\.js$")
CONSOLE_ROLES = ("platform_admin", "region_admin", "community_admin", "grid_worker")


@dataclass(frozen=True)
class ConsolePage:
    """One console page of a module: `path` (a slug; the route is `#/m/<module>/<path>`),
    the menu `title`, the `script` (relative to the package's `console/` folder) and the
    staff `roles` it is shown to (platform and region admins acting in a community see what
    community admins see).

    Example: ``ConsolePage("topics", "居民议事", "topics.js", roles=("community_admin",))``"""

    path: str
    title: str
    script: str
    roles: tuple[str, ...] = ("community_admin",)
    description: str = ""

    def problems(self) -> list[str]:
        out = []
        if not _SLUG.match(self.path or ""):
            out.append(f"console page path {self.path!r} must be a slug: lower-case letters, digits and -")
        if not self.title or len(self.title) > 12:
            out.append(f"console page {self.path!r} needs a menu title of 1–12 characters")
        if not _SCRIPT.match(self.script or ""):
            out.append(f"console page script {self.script!r} must be a .js file inside the package's console/ folder")
        unknown = [r for r in self.roles if r not in CONSOLE_ROLES]
        if unknown or not self.roles:
            out.append(f"console page {self.path!r}: roles must be some of {CONSOLE_ROLES}")
        return out
