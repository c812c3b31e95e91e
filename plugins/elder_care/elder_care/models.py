"""Declarative models: service providers and the home-care catalogue (generated CRUD)."""

from __future__ import annotations

from community_plus_sdk import Model, fields

from .manifest import CATEGORIES, MANAGE_CATALOGUE, MANAGE_PROVIDERS

READERS = ["resident", "grid_worker", "community_admin"]


class CareProvider(Model):
    """居家养老服务机构 (a registered home-care service organisation)."""

    class Meta:
        collection = "providers"
        permissions = {"read": READERS, "create": [MANAGE_PROVIDERS], "update": [MANAGE_PROVIDERS],
                       "delete": [MANAGE_PROVIDERS]}

    name = fields.String(required=True, max_length=60, filter=True)
    license_no = fields.String(max_length=50, description="统一社会信用代码或备案号 (registration number)")
    contact_name = fields.String(max_length=30)
    contact_phone = fields.SealedPhone()  # encrypted at rest, masked on read; reveal: provider managers
    address = fields.String(max_length=200)
    categories = fields.List(fields.Choice(CATEGORIES), max_items=len(CATEGORIES),
                             description="Categories offered: " + ", ".join(CATEGORIES))
    intro = fields.Text(max_length=1000, description="机构简介 (about the provider)")
    active = fields.Boolean(default=True, filter=True)


class CareServiceItem(Model):
    """居家护理服务项目 (a catalogue item with its price and duration)."""

    class Meta:
        collection = "service_items"
        permissions = {"read": READERS, "create": [MANAGE_CATALOGUE], "update": [MANAGE_CATALOGUE],
                       "delete": [MANAGE_CATALOGUE]}

    name = fields.String(required=True, max_length=50)
    category = fields.Choice(CATEGORIES, required=True, filter=True)
    details = fields.Text(max_length=500, description="服务内容 (what the visit includes)")
    price_fen = fields.Integer(required=True, min=0, max=1_000_000, description="Price in fen (分; 100 fen = 1 yuan).")
    duration_minutes = fields.Integer(required=True, min=15, max=720, description="Length of one visit in minutes.")
    active = fields.Boolean(default=True, filter=True)
