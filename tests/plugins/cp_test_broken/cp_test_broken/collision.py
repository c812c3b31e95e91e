"""Collides with the core schema (a type named Resident)."""

from community_plus_sdk import Model, Module, fields, hookimpl


class Resident(Model):
    name = fields.String()


@hookimpl
def register_module():
    return Module(name="test_collision", title="冲突", version="0.1.0")


@hookimpl
def register_models():
    return [Resident]
