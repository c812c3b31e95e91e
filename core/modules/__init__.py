"""The built-in modules shipped in `plugins/` (each its own distribution)."""

BUILTIN = ("elder_care", "meal_assist", "micro_charity")
