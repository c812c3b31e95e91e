"""The SDK's version, and the entry-point group that says which SDK major a plugin targets.

A plugin registers under the group of the major it was built for, as httpie versions its
plugin groups (`httpie.plugins.auth.v1`)::

    [project.entry-points."community_plus_sdk.plugins.v1"]
    notice_board = "notice_board"

The server loads the group of its own SDK major and refuses, with a message in `plugin check`
and the module list, entry points of any other `community_plus_sdk.plugins.v<N>` group, and of the
bare `community_plus.modules` group of the SDK before 1.0.
"""

from __future__ import annotations

__version__ = "1.0.0"

SDK_MAJOR = int(__version__.split(".")[0])
GROUP_PREFIX = "community_plus_sdk.plugins"
LEGACY_GROUP = "community_plus.modules"  # before SDK 1.0
ENTRY_POINT_GROUP = f"{GROUP_PREFIX}.v{SDK_MAJOR}"


def group_major(group: str) -> int | None:
    """The SDK major an entry-point group names (`community_plus_sdk.plugins.v2` → 2; the bare
    pre-1.0 group → 0); None for a group that is not a plugin group."""
    if group == LEGACY_GROUP:
        return 0
    head, _, tail = group.rpartition(".v")
    return int(tail) if head == GROUP_PREFIX and tail.isdigit() else None


def refusal(group: str) -> str:
    """Why a plugin of `group` is not loaded by this SDK major (bilingual, as the house writes)."""
    major = group_major(group)
    built = "SDK 1.0 之前" if major == 0 else f"SDK {major}.x"
    return (f"该模块为 {built} 构建，本服务器提供 SDK {__version__}，未加载 / built for {built} (entry-point group "
            f"{group!r}); this server provides community-plus-sdk {__version__}: install a release of the module "
            f"for SDK {SDK_MAJOR} (entry-point group {ENTRY_POINT_GROUP!r}, dependency "
            f"'community-plus-sdk>={SDK_MAJOR},<{SDK_MAJOR + 1}')")
