"""The hook-implementation marker. Specifications live beside it in `community_plus_sdk.hookspecs`
(documented hook by hook in the plugin author's guide).

Example::

    from community_plus_sdk import hookimpl

    @hookimpl
    def register_module():
        return module
"""

from __future__ import annotations

import pluggy

PROJECT = "community_plus"

hookimpl = pluggy.HookimplMarker(PROJECT)
