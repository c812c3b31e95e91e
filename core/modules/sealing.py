"""Sealed fields of module collections: phone numbers of people, encrypted at rest.

A module declares them with `fields.SealedPhone` on a model or `CollectionSpec(sealed=...)`
on a collection of its own; the datastore then handles them on every write and read, so a
module cannot store the plaintext by mistake. A sealed field `phone` is stored as

- `phone`        — the masked number (`138****5678`): what every read returns;
- `phoneSealed`  — AES-256-GCM with the platform keyring (`security.pii`), the field's place
  (`<module>.<collection>.<field>`) bound as associated data so values cannot be swapped;
- `phoneHash`    — a keyed HMAC blind index under the same label: equality filters on
  `phone` (`{"phone": "13812345678"}`, `$eq`, `$in`) are rewritten to it.

`phoneSealed`/`phoneHash` never leave the datastore (rows are returned without them);
`ModuleContext.reveal` decrypts one value and audits it. Aggregation pipelines are not
rewritten: `$match` on a sealed field sees the masked value. Lookups try every configured key
(`Keyring.blind_indexes`), so they keep working while keys rotate; `pii rotate-key` re-seals
residents only, so keep older keys in `CP_PII_KEY` while module rows still use them. Writing back a masked value is a
no-op, so code that copies a row it read does not destroy the number. `seal_existing` turns
rows written before a field was sealed into this form (modules call it from `migrate`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from community_plus.platform.security.pii import Keyring
from community_plus.platform.validation import mask_phone
from community_plus_sdk.fields import SealedPhone

_MASKED = re.compile(r"^\d{0,3}\*+\d{0,4}$")
_SPACES = re.compile(r"[\s-]")
_LOGICAL = ("$and", "$or", "$nor")


def sealed_fields(loaded: Any, collection: str) -> tuple[str, ...]:
    """The sealed fields of one of a module's collections (from its models and its specs)."""

    cache = loaded.__dict__.setdefault("_sealed_fields", {})
    if collection not in cache:
        names = [n for c in loaded.compiled if c.model.collection_name() == collection
                 for n, f in c.model.__fields__.items() if isinstance(f, SealedPhone)]
        spec = loaded.collections.get(collection)
        names += [n for n in getattr(spec, "sealed", ()) if n not in names]
        cache[collection] = tuple(names)
    return cache[collection]


def normalize(value: str) -> str:
    return _SPACES.sub("", value)


@dataclass(frozen=True, slots=True)
class Sealer:
    """Seals, finds and opens the sealed fields of one module collection."""

    keyring: Keyring
    labels: dict[str, str]  # field → "<module>.<collection>.<field>"

    @classmethod
    def of(cls, keyring: Keyring, module: str, collection: str, fields: tuple[str, ...]) -> Sealer | None:
        if not fields:
            return None
        return cls(keyring, {f: f"{module}.{collection}.{f}" for f in fields})

    def seal(self, values: dict[str, Any]) -> dict[str, Any]:
        """`values` with each sealed field's plaintext replaced by its stored form."""
        out = dict(values)
        for field, label in self.labels.items():
            if field not in values:
                continue
            plain = values[field]
            if isinstance(plain, str) and _MASKED.match(plain.strip()):
                del out[field]  # a masked value read back: keep what is stored
                continue
            if plain is None or not normalize(str(plain)):
                out[field] = out[f"{field}Sealed"] = out[f"{field}Hash"] = None
                continue
            plain = normalize(str(plain))
            out[field] = mask_phone(plain)
            out[f"{field}Sealed"] = self.keyring.seal(plain, label)
            out[f"{field}Hash"] = self.keyring.blind_index(plain, label)
        return out

    def rewrite(self, filter: Any) -> Any:
        """A filter whose equality tests on sealed fields look up their blind indexes instead."""
        if not isinstance(filter, dict):
            return filter
        out: dict[str, Any] = {}
        for key, value in filter.items():
            if key in _LOGICAL and isinstance(value, list):
                out[key] = [self.rewrite(v) for v in value]
            elif key in self.labels and (hashes := self._hashes(key, value)) is not None:
                out[f"{key}Hash"] = {"$in": hashes}
            else:
                out[key] = value
        return out

    def _hashes(self, field: str, value: Any) -> list[str] | None:
        label = self.labels[field]
        if isinstance(value, dict) and set(value) == {"$eq"}:
            value = value["$eq"]
        if isinstance(value, str):
            return self.keyring.blind_indexes(normalize(value), label)
        if isinstance(value, dict) and set(value) == {"$in"} and all(isinstance(v, str) for v in value["$in"]):
            return [h for v in value["$in"] for h in self.keyring.blind_indexes(normalize(v), label)]
        return None  # other conditions ($exists, None…) apply to the masked value

    def public(self, doc: dict[str, Any] | None) -> dict[str, Any] | None:
        """A stored row as modules see it: masked numbers, no ciphertext or index."""
        if doc is None:
            return None
        hidden = {f"{f}{suffix}" for f in self.labels for suffix in ("Sealed", "Hash")}
        return {k: v for k, v in doc.items() if k not in hidden}

    def open(self, doc: dict[str, Any], field: str) -> str | None:
        return self.keyring.open(doc.get(f"{field}Sealed"), self.labels[field])

    @staticmethod
    def plaintext_query(field: str) -> dict[str, Any]:
        """Rows that still hold `field` in plaintext (written before the field was sealed)."""
        return {field: {"$type": "string"}, f"{field}Sealed": {"$exists": False}}

    def sealing_changes(self, field: str, value: str) -> dict[str, Any]:
        """What sealing a plaintext `value` of `field` sets (a stored mask seals to nothing)."""
        if _MASKED.match(value.strip()):
            return {f"{field}Sealed": None, f"{field}Hash": None}
        return self.seal({field: value})
