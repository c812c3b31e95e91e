"""Implements a hook that does not exist (a typo of `on_event`)."""

from community_plus_sdk import Module, hookimpl


@hookimpl
def register_module():
    return Module(name="test_misspelled", title="拼错", version="0.1.0")


@hookimpl
def on_events(ctx, event, payload):
    return None
