"""Tools for plugin (module) authors: `community-plus plugin new|check` and `community-plus sandbox`.

- `project`  — reading a plugin folder (pyproject, entry points, its Python files).
- `scaffold` — `plugin new`: a ready-to-test plugin distribution from `templates/plugin/`.
- `check`    — `plugin check`: one function per class of mistake, each problem with a fix.
- `sandbox`  — `sandbox`: database + fake WeChat + a reloading server with the plugin enabled.
- `worker`   — the sandbox's server process (the `/sandbox` page, enabling the plugin).
- `cli`      — the click commands, registered at the end of `community_plus.cli`.

The plugin author's guide is `docs/plugin-guide.md`.
"""
