"""Event positions and the opaque cursors clients resume from.

A position orders events the way the log delivers them. With a change stream it is the
commit's cluster time plus the event id (events of one transaction share the cluster
time and are appended in id order), a total order that every worker sees alike, so a
client may resume on any worker. With the polling feed it is the event id alone.
Clients see `cursor` strings (URL-safe base64 of `t.i.id`) and pass them back as `after`.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from bson import ObjectId, Timestamp
from bson.errors import InvalidId

from community_plus.platform.errors import BadUserInput


@dataclass(frozen=True, slots=True, order=True)
class Position:
    time: int  # cluster time (seconds); 0 for the polling feed
    inc: int  # cluster time increment
    id: ObjectId

    @property
    def timestamp(self) -> Timestamp | None:
        return Timestamp(self.time, self.inc) if self.time else None

    def cursor(self) -> str:
        return base64.urlsafe_b64encode(f"{self.time}.{self.inc}.{self.id}".encode()).decode().rstrip("=")


def parse_cursor(cursor: str, field: str = "after") -> Position:
    """The position of a cursor a client received; BAD_USER_INPUT when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        t, i, oid = raw.split(".")
        return Position(int(t), int(i), ObjectId(oid))
    except (ValueError, UnicodeDecodeError, binascii.Error, InvalidId) as exc:
        raise BadUserInput({field: "无效的事件游标 (invalid cursor: pass the `cursor` of an event you received)"}) \
            from exc
