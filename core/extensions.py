"""Optional subsystems attach themselves to a `Platform` here (work orders, modules…)."""

from __future__ import annotations

from typing import Any


def attach_cli_extensions(platform: Any) -> None:
    """Register seed steps of subsystems that exist; a no-op for the bare core."""
