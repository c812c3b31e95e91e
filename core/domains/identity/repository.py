"""WeChat identities: one per openid, pointing at the resident account (`users`) it logs into.

`{_id, appid, openid (unique), unionid?, userId, sessionKeySealed, lastLoginAt,
phoneSealed?, phoneHash?, phoneMasked?, phoneVerifiedAt?, createdAt}`. The session_key is
sealed with the PII keyring and never leaves the server. Deliberately global: an openid
identifies a WeChat user before any community is known.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from community_plus.platform.repository import Repository, new_id


class WeChatIdentityRepository(Repository):
    collection = "wechat_identities"
    indexes = [
        IndexModel([("openid", ASCENDING)], unique=True),
        IndexModel([("unionid", ASCENDING)], sparse=True),
        IndexModel([("userId", ASCENDING)]),
    ]

    async def by_openid(self, openid: str) -> dict[str, Any] | None:
        return await self.coll.find_one({"openid": openid})

    async def by_user(self, user_id: str) -> dict[str, Any] | None:
        return await self.coll.find_one({"userId": user_id})

    async def record_login(self, appid: str, openid: str, unionid: str | None, session_key_sealed: dict,
                           now: datetime, user_id_if_new: str) -> dict[str, Any]:
        """Create or update the identity of `openid`; a new one gets `user_id_if_new`."""
        values: dict[str, Any] = {"sessionKeySealed": session_key_sealed, "lastLoginAt": now}
        if unionid:
            values["unionid"] = unionid
        for attempt in range(2):
            try:
                return await self.coll.find_one_and_update(
                    {"openid": openid},
                    {"$set": values,
                     "$setOnInsert": {"_id": new_id(), "appid": appid, "userId": user_id_if_new, "createdAt": now}},
                    upsert=True, return_document=ReturnDocument.AFTER)
            except DuplicateKeyError:  # a concurrent first login inserted it: update that one
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def set_verified_phone(self, identity_id: str, sealed: dict, phone_hash: str, masked: str | None,
                                 now: datetime) -> None:
        await self.coll.update_one({"_id": identity_id}, {"$set": {
            "phoneSealed": sealed, "phoneHash": phone_hash, "phoneMasked": masked, "phoneVerifiedAt": now}})
