"""Queries and mutations of the virtual nursing home (thin resolvers over the services)."""

from __future__ import annotations

from datetime import date

import strawberry

from community_plus_sdk.clock import china_date, day_range
from community_plus_sdk.relay import Connection, connection

from ..alerts import AlertService
from ..checks import parse_month
from ..elders import ElderService
from ..ledger import balances
from ..manifest import module
from ..orders import OrderService
from ..statements import StatementService
from ..visits import VisitService
from ..workers import WorkerService
from .inputs import (CareCheckInInput, CareCheckOutInput, CareOrderFilter, CareOrderQuoteInput, ConfirmCareOrderInput,
                     PlaceCareOrderInput, RegisterCareWorkerInput, SaveElderProfileInput, UpdateCareWorkerInput, plain)
from .types import (CareAlert, CareAlertState, CareElderStatement, CareOrder, CareOrderQuote, CareProviderStatement,
                    CareSubsidyBalance, CareSubsidyBudget, CareWorker, ElderProfile)


async def _profiles(ctx, docs: list[dict], month: str | None = None) -> list[ElderProfile]:
    found = await balances(ctx, docs, parse_month(month))
    return [ElderProfile.of(d, found.get(d["_id"])) for d in docs]


@strawberry.type
class ElderCareQuery:
    @strawberry.field(description="Enrolled elders (staff; grid workers see their grids), with this month's subsidy.")
    async def elder_profiles(self, info: strawberry.Info, grid_id: strawberry.ID | None = None,
                             active: bool | None = None, first: int = 20,
                             after: str | None = None) -> Connection[ElderProfile]:
        ctx = module.context(info)
        page = await ElderService(ctx).list(grid_id, active, first, after)
        profiles = {p.id: p for p in await _profiles(ctx, page.docs)}
        return connection(page, lambda d: profiles[d["_id"]])

    @strawberry.field(description="One elder's profile (staff, the elder or their guardians).")
    async def elder_profile(self, info: strawberry.Info, id: strawberry.ID, month: str | None = None) -> ElderProfile:
        ctx = module.context(info)
        return (await _profiles(ctx, [await ElderService(ctx).get(id)], month))[0]

    @strawberry.field(description="The calling resident's own profile and those of the family they look after.")
    async def my_care_elders(self, info: strawberry.Info, month: str | None = None) -> list[ElderProfile]:
        ctx = module.context(info)
        return await _profiles(ctx, await ElderService(ctx).mine(), month)

    @strawberry.field(description="An elder's subsidy entitlement and use in a month (default: this month).")
    async def care_subsidy_balance(self, info: strawberry.Info, elder_id: strawberry.ID,
                                   month: str | None = None) -> CareSubsidyBalance:
        ctx = module.context(info)
        elder = await ElderService(ctx).get(elder_id)
        month = parse_month(month)
        return CareSubsidyBalance.of((await balances(ctx, [elder], month))[elder_id])

    @strawberry.field(description="The community's subsidy budget and spending in a month (community admins).")
    async def care_subsidy_budget(self, info: strawberry.Info, month: str | None = None) -> CareSubsidyBudget:
        return CareSubsidyBudget(**await StatementService(module.context(info)).budget(month))

    @strawberry.field(description="Care workers (community admins: all; provider dispatchers: their provider's).")
    async def care_workers(self, info: strawberry.Info, provider_id: strawberry.ID | None = None,
                           active: bool | None = None, first: int = 20,
                           after: str | None = None) -> Connection[CareWorker]:
        service = WorkerService(module.context(info))
        page = await service.list(provider_id, active, first, after)
        show = service.may_manage()
        return connection(page, lambda d: CareWorker.of(d, show))

    @strawberry.field(description="The care-worker records bound to the calling account.")
    async def my_care_worker_records(self, info: strawberry.Info) -> list[CareWorker]:
        return [CareWorker.of(d) for d in await WorkerService(module.context(info)).mine()]

    @strawberry.field(description="Care orders the caller may see, newest first: their own and their family's "
                                  "(residents), their grids' (grid workers), their visits (care workers), their "
                                  "provider's (dispatchers), or all (community admins).")
    async def care_orders(self, info: strawberry.Info, filter: CareOrderFilter | None = None, first: int = 20,
                          after: str | None = None) -> Connection[CareOrder]:
        filters = plain(filter)
        if "state" in filters:
            filters["state"] = filters["state"].value
        page = await OrderService(module.context(info)).list(filters, first, after)
        return connection(page, CareOrder.of)

    @strawberry.field(description="One care order with its timeline and service record.")
    async def care_order(self, info: strawberry.Info, id: strawberry.ID) -> CareOrder:
        return CareOrder.of(await OrderService(module.context(info)).get(id))

    @strawberry.field(description="The calling care worker's visits of one day (default: today, China time), "
                                  "earliest first.")
    async def my_care_visits(self, info: strawberry.Info, day: date | None = None) -> list[CareOrder]:
        start, end = day_range(day or china_date())
        return [CareOrder.of(d) for d in await VisitService(module.context(info)).my_visits(start, end)]

    @strawberry.field(description="Price an order before placing it: subsidised and paid parts.")
    async def care_order_quote(self, info: strawberry.Info, input: CareOrderQuoteInput) -> CareOrderQuote:
        req, g = await OrderService(module.context(info)).quote(plain(input))
        return CareOrderQuote(elder_id=req.elder["_id"], item_id=req.item["_id"], item_name=req.item["name"],
                              provider_id=req.provider["_id"], provider_name=req.provider["name"],
                              slot_start=req.slot_start, slot_end=req.slot_end,
                              duration_minutes=req.item["duration_minutes"], total_fen=g.total_fen,
                              subsidy_fen=g.subsidy_fen, paid_fen=g.paid_fen, subsidised_minutes=g.minutes,
                              subsidy_rule=g.rule, limited_by=g.limited_by)

    @strawberry.field(description="An elder's monthly statement (the elder, family or staff).")
    async def care_elder_statement(self, info: strawberry.Info, elder_id: strawberry.ID,
                                   month: str | None = None) -> CareElderStatement:
        return CareElderStatement.of(await StatementService(module.context(info)).elder(elder_id, month))

    @strawberry.field(description="A provider's monthly statement (community admins, the provider's dispatchers).")
    async def care_provider_statement(self, info: strawberry.Info, provider_id: strawberry.ID,
                                      month: str | None = None) -> CareProviderStatement:
        return CareProviderStatement.of(await StatementService(module.context(info)).provider(provider_id, month))

    @strawberry.field(description="Safety alerts (grid workers: their grids), newest first.")
    async def care_alerts(self, info: strawberry.Info, state: CareAlertState | None = None, first: int = 20,
                          after: str | None = None) -> Connection[CareAlert]:
        page = await AlertService(module.context(info)).list(state.value if state else None, first, after)
        return connection(page, CareAlert.of)


@strawberry.type
class ElderCareMutation:
    @strawberry.mutation(description="Enrol an elder with their home location and guardians, or update the profile.")
    async def save_elder_profile(self, info: strawberry.Info, input: SaveElderProfileInput) -> ElderProfile:
        ctx = module.context(info)
        return (await _profiles(ctx, [await ElderService(ctx).save(plain(input))]))[0]

    @strawberry.mutation(description="Register a care worker of a provider; returns a one-time binding code.")
    async def register_care_worker(self, info: strawberry.Info, input: RegisterCareWorkerInput) -> CareWorker:
        return CareWorker.of(await WorkerService(module.context(info)).register(plain(input)), True)

    @strawberry.mutation(description="Change a care worker (version: fail with CONFLICT if it changed).")
    async def update_care_worker(self, info: strawberry.Info, id: strawberry.ID, input: UpdateCareWorkerInput,
                                 version: int | None = None) -> CareWorker:
        return CareWorker.of(await WorkerService(module.context(info)).update(id, plain(input), version), True)

    @strawberry.mutation(description="Unbind a care worker's account and issue a new binding code.")
    async def reset_care_worker_binding(self, info: strawberry.Info, id: strawberry.ID) -> CareWorker:
        return CareWorker.of(await WorkerService(module.context(info)).reset_binding(id), True)

    @strawberry.mutation(description="Bind the calling account to a care worker with the code from the community.")
    async def bind_care_worker_account(self, info: strawberry.Info, code: str) -> CareWorker:
        return CareWorker.of(await WorkerService(module.context(info)).bind(code))

    @strawberry.mutation(description="Order a home-care visit for an elder; the subsidy is applied in the same "
                                     "transaction. Send an idempotencyKey so that retries never order twice.")
    async def place_care_order(self, info: strawberry.Info, input: PlaceCareOrderInput) -> CareOrder:
        return CareOrder.of(await OrderService(module.context(info)).place(plain(input)))

    @strawberry.mutation(description="Cancel an order not yet started; its subsidy is restored.")
    async def cancel_care_order(self, info: strawberry.Info, id: strawberry.ID, reason: str | None = None) -> CareOrder:
        return CareOrder.of(await OrderService(module.context(info)).cancel(id, reason))

    @strawberry.mutation(description="Dispatch (or reassign) an order to a care worker of its provider.")
    async def dispatch_care_order(self, info: strawberry.Info, id: strawberry.ID,
                                  worker_id: strawberry.ID) -> CareOrder:
        return CareOrder.of(await VisitService(module.context(info)).dispatch(id, worker_id))

    @strawberry.mutation(description="The dispatched care worker checks in at the elder's home.")
    async def check_in_care_visit(self, info: strawberry.Info, input: CareCheckInInput) -> CareOrder:
        return CareOrder.of(await VisitService(module.context(info)).check_in(input.order_id, input.longitude,
                                                                              input.latitude))

    @strawberry.mutation(description="The care worker checks out and records the service (summary, tasks, photos).")
    async def check_out_care_visit(self, info: strawberry.Info, input: CareCheckOutInput) -> CareOrder:
        return CareOrder.of(await VisitService(module.context(info)).check_out(plain(input)))

    @strawberry.mutation(description="The elder or family confirms a completed visit and rates it.")
    async def confirm_care_order(self, info: strawberry.Info, input: ConfirmCareOrderInput) -> CareOrder:
        return CareOrder.of(await VisitService(module.context(info)).confirm(input.order_id, input.rating,
                                                                             input.comment))

    @strawberry.mutation(description="Mark a safety alert as handled, with a note.")
    async def acknowledge_care_alert(self, info: strawberry.Info, id: strawberry.ID,
                                     note: str | None = None) -> CareAlert:
        return CareAlert.of(await AlertService(module.context(info)).acknowledge(id, note))
