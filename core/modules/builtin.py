"""The built-in modules shipped in `plugins/` (each its own distribution)."""

BUILTIN = ("consultation", "elder_care", "meal_assist", "micro_charity", "village_affairs")
