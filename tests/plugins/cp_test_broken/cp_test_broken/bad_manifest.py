"""Declares an invalid manifest."""

from community_plus_sdk import Module, hookimpl


@hookimpl
def register_module():
    return Module(name="Bad Name!", title="", version="one")
