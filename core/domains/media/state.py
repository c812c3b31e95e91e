"""Media's per-app state, kept under one `web.AppKey` (set before the app starts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from community_plus.domains.media.spool import Spool

if TYPE_CHECKING:
    from community_plus.domains.platform import Platform


@dataclass(slots=True)
class MediaState:
    """The upload spool (known at wiring time) and the platform (filled in at start-up)."""

    spool: Spool
    platform: Platform | None = None

    def require_platform(self) -> Platform:
        if self.platform is None:
            raise RuntimeError("media is not started: the app's cleanup contexts have not run")
        return self.platform


