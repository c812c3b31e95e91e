"""Who the caller is to this module: the elders they may act for (themselves, their wards,
or elders of their grids), the care-worker records bound to their account, and the
providers they dispatch for. All order visibility and workflow permissions derive from it."""

from __future__ import annotations

from typing import Any

from community_plus_sdk import Caller, ModuleContext, NotFoundError

from .manifest import DISPATCH, MANAGE_ELDERS, PLACE_FOR, READ_ALL


class Actor:
    """The caller of one request (lookups are cached for the request)."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.caller: Caller = ctx.require_caller()
        self._workers: list[dict[str, Any]] | None = None
        self._elders: list[dict[str, Any]] | None = None

    # -- facts ----------------------------------------------------------------------------
    @property
    def sees_everything(self) -> bool:
        return self.ctx.has_permission(READ_ALL)

    def grid_limited(self) -> bool:
        """Grid workers act only within their own grids."""
        return self.caller.role == "grid_worker"

    def in_my_grids(self, grid_id: str | None) -> bool:
        return bool(grid_id) and grid_id in self.caller.grid_ids

    async def worker_records(self) -> list[dict[str, Any]]:
        """Active care-worker records bound to the caller's account."""
        if self._workers is None:
            self._workers = await self.ctx.collection("care_workers").find(
                {"userId": self.caller.user_id, "active": True}, limit=50)
        return self._workers

    async def dispatch_provider_ids(self) -> set[str]:
        return {w["providerId"] for w in await self.worker_records() if w.get("canDispatch")}

    async def family_elders(self) -> list[dict[str, Any]]:
        """Elder profiles of the calling resident: their own and those they are guardian of."""
        if self._elders is None:
            rid = self.caller.resident_id
            self._elders = [] if not rid else await self.ctx.collection("elders").find(
                {"$or": [{"_id": rid}, {"guardianResidentIds": rid}]}, limit=50)
        return self._elders

    # -- elders ---------------------------------------------------------------------------
    async def is_family(self, elder: dict[str, Any]) -> bool:
        rid = self.caller.resident_id
        return bool(rid) and (elder["_id"] == rid or rid in elder.get("guardianResidentIds", []))

    def is_staff_for(self, elder: dict[str, Any], permission: str) -> bool:
        if not self.ctx.has_permission(permission):
            return False
        return not self.grid_limited() or self.in_my_grids(elder.get("gridId"))

    async def can_act_for(self, elder: dict[str, Any]) -> bool:
        """Place, cancel and confirm orders for this elder."""
        return await self.is_family(elder) or self.is_staff_for(elder, PLACE_FOR)

    async def can_view_elder(self, elder: dict[str, Any]) -> bool:
        return (await self.is_family(elder) or self.sees_everything or self.is_staff_for(elder, MANAGE_ELDERS)
                or self.is_staff_for(elder, PLACE_FOR))

    # -- orders ---------------------------------------------------------------------------
    async def can_dispatch(self, provider_id: str) -> bool:
        return self.ctx.has_permission(DISPATCH) or provider_id in await self.dispatch_provider_ids()

    async def is_assigned_worker(self, order: dict[str, Any]) -> bool:
        return any(w["_id"] == order.get("workerId") for w in await self.worker_records())

    async def order_filter(self) -> dict[str, Any] | None:
        """A filter of the orders the caller may see; None when they may see none."""
        if self.sees_everything:
            return {}
        clauses: list[dict[str, Any]] = []
        elders = [e["_id"] for e in await self.family_elders()]
        if elders:
            clauses.append({"elderId": {"$in": elders}})
        if self.grid_limited() and self.caller.grid_ids:
            clauses.append({"gridId": {"$in": list(self.caller.grid_ids)}})
        workers = [w["_id"] for w in await self.worker_records()]
        if workers:
            clauses.append({"workerId": {"$in": workers}})
        providers = sorted(await self.dispatch_provider_ids())
        if providers:
            clauses.append({"providerId": {"$in": providers}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$or": clauses}

    async def can_see_order(self, order: dict[str, Any]) -> bool:
        if self.sees_everything:
            return True
        if self.grid_limited() and self.in_my_grids(order.get("gridId")):
            return True
        if any(e["_id"] == order["elderId"] for e in await self.family_elders()):
            return True
        return await self.is_assigned_worker(order) or order["providerId"] in await self.dispatch_provider_ids()

    async def visible_order(self, order_id: str) -> dict[str, Any]:
        """An order the caller may see, else NOT_FOUND (existence never leaks)."""
        order = await self.ctx.collection("orders").find_one({"_id": order_id})
        if order is None or not await self.can_see_order(order):
            raise NotFoundError("护理订单不存在 (no such care order)")
        return order
