"""Notifications: outbox messages written with the change, delivered by a background worker
with retries and back-off. 43101 (no subscription grant left) is recorded, not retried.

Every notice — a work order's, a linkage alert's, a module's `ctx.notify` — is built by
`notice_messages`: its data fitted to WeChat's keyword rules and its time in China time
(`community_plus_sdk.notify`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import structlog

from community_plus_sdk.notify import module_notice_data

from community_plus.platform.repository import new_id

log = structlog.get_logger("community_plus.outbox")

STATE_TEXT = {"submitted": "已提交", "accepted": "已受理", "assigned": "已派单", "in_progress": "处理中",
              "resolved": "待评价", "closed": "已完成", "rejected": "已驳回", "cancelled": "已取消"}
TEMPLATE = "work_order_status"
MODULE_TEMPLATE = "module_notice"  # what modules send with ctx.notify
WORK_ORDER_PAGE = "/pages/work-orders/detail"  # absolute, as wx.navigateTo takes it
MAX_ATTEMPTS = 8


class PermanentDeliveryError(Exception):
    """Delivery can never succeed (e.g. no subscription grant); `state` is recorded."""

    def __init__(self, state: str, detail: str) -> None:
        super().__init__(detail)
        self.state = state


class Sender(Protocol):
    async def send(self, message: dict[str, Any]) -> None: ...


def notice_messages(user_ids: list[str], *, template: str, title: str, state: str, page: str | None,
                    aggregate_id: str, event: str, shown_at: datetime | None = None) -> list[dict[str, Any]]:
    """One pending outbox message per recipient. The message shows `shown_at` (default: now)
    in China time; it is due at once (real time, whatever a test did to the clock)."""
    now = datetime.now(UTC)
    data = module_notice_data(title, state, shown_at or now)
    return [{"_id": new_id(), "kind": "wechat.subscribe", "recipientUserId": user_id, "template": template,
             "page": page, "data": data, "aggregateId": aggregate_id, "event": event, "state": "pending",
             "attempts": 0, "nextAttemptAt": now, "createdAt": now} for user_id in user_ids]


def work_order_messages(order: dict[str, Any], before: str | None) -> list[dict[str, Any]]:
    """Outbox entries for the submitter (every state change) and a newly assigned worker."""
    recipients = [order["submittedBy"]] if order.get("submittedByRole") == "resident" else []
    recipients += order.get("notifyUserIds") or []  # the resident's accounts when staff filed it for them
    if order["state"] == "assigned" and order.get("assigneeId"):
        recipients.append(order["assigneeId"])
    return notice_messages(recipients, template=TEMPLATE, title=order["title"], state=STATE_TEXT[order["state"]],
                           page=f"{WORK_ORDER_PAGE}?id={order['_id']}", aggregate_id=order["_id"],
                           event=f"{before or 'new'}->{order['state']}")


class LogSender:
    """Used when no WeChat app is configured: delivery is logged, and the message marked so."""

    async def send(self, message: dict[str, Any]) -> None:
        log.info("notification (no WeChat configured)", recipient=message["recipientUserId"], event=message["event"])
        raise PermanentDeliveryError("logged", "no WeChat app configured")


async def deliver_due(platform: Any, sender: Sender, now: datetime | None = None, limit: int = 50) -> int:
    """Deliver up to `limit` due messages; returns how many were handled."""
    handled = 0
    for _ in range(limit):
        now_ = now or datetime.now(UTC)
        msg = await platform.outbox.claim(now_, now_ + timedelta(minutes=2))
        if msg is None:
            break
        handled += 1
        try:
            await sender.send(msg)
            await platform.outbox.finish(msg["_id"], "sent", sentAt=now_)
        except PermanentDeliveryError as exc:
            await platform.outbox.finish(msg["_id"], exc.state, lastError=str(exc))
        except Exception as exc:  # transient: back off exponentially, give up after MAX_ATTEMPTS
            if msg["attempts"] >= MAX_ATTEMPTS:
                await platform.outbox.finish(msg["_id"], "failed", lastError=repr(exc))
            else:
                delay = min(2 ** msg["attempts"], 600)
                await platform.outbox.retry_later(msg["_id"], now_ + timedelta(seconds=delay), repr(exc))
    return handled


def sender_for(platform: Any) -> Sender:
    """The WeChat sender when a WeChat app is configured (`platform.notification_sender`),
    else a logging sender."""
    factory = platform.notification_sender
    return factory() if factory else LogSender()
