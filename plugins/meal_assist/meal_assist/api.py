"""Custom GraphQL queries and mutations of the meal workflow (thin: rules live in the services)."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from community_plus_sdk.relay import Connection, connection

from . import menus, order_access, orders, people, serving, stats
from .manifest import module
from .rules import Rules
from .types import (AddCanteenStaffInput, CanteenStaffMember, CreateMealMenuInput, EnrollMealDinerInput,
                    MealBudgetMonth, MealDaySheet, MealDayStat, MealDelivererKind, MealDeliveryCandidate, MealDiner,
                    MealDishCount, MealDishStat, MealKind, MealMenu, MealOrder, MealOrderStatus, MealOrderType,
                    MealSheetGroup, MealSheetMeal, MealStatistics, MealSubsidyStatus, MealTypeStat, PlaceMealOrderInput,
                    UpdateMealMenuInput)


async def _diners(ctx: Any, rows: list[dict[str, Any]]) -> list[MealDiner]:
    rules = Rules.of(await ctx.settings())
    return [MealDiner(**people.diner_view(r, rules, ctx.now())) for r in rows]


def _sheet(d: dict[str, Any]) -> MealDaySheet:
    return MealDaySheet(
        canteen_id=d["canteen_id"], canteen_name=d["canteen_name"], date=d["date"], total_orders=d["total_orders"],
        meals=[MealSheetMeal(menu=MealMenu.of(m["menu"]),
                             dish_counts=[MealDishCount(**c) for c in m["dish_counts"]],
                             groups=[MealSheetGroup(order_type=MealOrderType(g["order_type"]), count=g["count"],
                                                    done_count=g["done_count"],
                                                    orders=[MealOrder.of(o) for o in g["orders"]])
                                     for g in m["groups"]]) for m in d["meals"]])


def _statistics(d: dict[str, Any]) -> MealStatistics:
    return MealStatistics(
        since=d["since"], until=d["until"], canteen_id=d["canteen_id"], meals_ordered=d["meals_ordered"],
        meals_served=d["meals_served"], meals_cancelled=d["meals_cancelled"], subsidy_spent_fen=d["subsidy_spent_fen"],
        paid_fen=d["paid_fen"], by_type=[MealTypeStat(order_type=MealOrderType(t["order_type"]), count=t["count"])
                                         for t in d["by_type"]],
        days=[MealDayStat(**x) for x in d["days"]], top_dishes=[MealDishStat(**x) for x in d["top_dishes"]],
        budgets=[MealBudgetMonth(**b) for b in d["budgets"]])


@strawberry.type
class MealAssistQuery:
    @strawberry.field(description="某日的菜单（今日菜单页）(menus of a day, optionally one canteen or meal)")
    async def meal_menus(self, info: strawberry.Info, date: date, canteen_id: strawberry.ID | None = None,
                         meal: MealKind | None = None) -> list[MealMenu]:
        rows = await menus.list_menus(module.context(info), date, canteen_id, meal.value if meal else None)
        return [MealMenu.of(r) for r in rows]

    @strawberry.field
    async def meal_menu(self, info: strawberry.Info, id: strawberry.ID) -> MealMenu:
        return MealMenu.of(await menus.get_menu(module.context(info), id))

    @strawberry.field(description="一笔订单（就餐者、下单人、监护人、工作人员、配送人可见）(one order)")
    async def meal_order(self, info: strawberry.Info, id: strawberry.ID) -> MealOrder:
        order, _ = await order_access.get_order(module.context(info), id)
        return MealOrder.of(order)

    @strawberry.field(description="我的订单：我就餐的与我代订的，新的在前 (orders for me or placed by me)")
    async def my_meal_orders(self, info: strawberry.Info, status: MealOrderStatus | None = None, first: int = 20,
                             after: str | None = None) -> Connection[MealOrder]:
        page = await orders.my_orders(module.context(info), status.value if status else None, first, after)
        return connection(page, MealOrder.of)

    @strawberry.field(description="食堂当日订单，按餐次与就餐方式分组 (a canteen's orders of a day; staff)")
    async def meal_day_sheet(self, info: strawberry.Info, canteen_id: strawberry.ID, date: date) -> MealDaySheet:
        return _sheet(await stats.day_sheet(module.context(info), canteen_id, date))

    @strawberry.field(description="指派给我的送餐 (deliveries assigned to me)")
    async def my_meal_deliveries(self, info: strawberry.Info, date: date | None = None) -> list[MealOrder]:
        return [MealOrder.of(r) for r in await serving.my_deliveries(module.context(info), date)]

    @strawberry.field(description="可接手某送餐订单的网格员与志愿者 (who can take a delivery; staff)")
    async def meal_delivery_candidates(self, info: strawberry.Info, order_id: strawberry.ID
                                       ) -> list[MealDeliveryCandidate]:
        rows = await serving.candidates_for(module.context(info), order_id)
        return [MealDeliveryCandidate(kind=MealDelivererKind(c["kind"]), id=c["id"], name=c["name"], phone=c["phone"])
                for c in rows]

    @strawberry.field(description="食堂工作人员 (canteen staff accounts)")
    async def canteen_staff(self, info: strawberry.Info, canteen_id: strawberry.ID | None = None
                            ) -> list[CanteenStaffMember]:
        return [CanteenStaffMember.of(r) for r in await people.list_staff(module.context(info), canteen_id)]

    @strawberry.field(description="登记的助餐对象（工作人员）(enrolled diners; grid workers see their grids)")
    async def meal_diners(self, info: strawberry.Info, grid_id: strawberry.ID | None = None, first: int = 20,
                          after: str | None = None) -> Connection[MealDiner]:
        ctx = module.context(info)
        page = await people.list_diners(ctx, grid_id, first, after)
        rules = Rules.of(await ctx.settings())
        return connection(page, lambda r: MealDiner(**people.diner_view(r, rules, ctx.now())))

    @strawberry.field(description="我本人及我监护的助餐对象 (my own enrolment and my wards')")
    async def my_meal_diners(self, info: strawberry.Info) -> list[MealDiner]:
        ctx = module.context(info)
        return await _diners(ctx, await people.my_diners(ctx))

    @strawberry.field(description="某居民某月补贴额度（缺省本人、本月）(a diner's subsidy this month)")
    async def meal_subsidy_status(self, info: strawberry.Info, resident_id: strawberry.ID | None = None,
                                  month: str | None = None) -> MealSubsidyStatus:
        return MealSubsidyStatus(**await people.subsidy_status(module.context(info), resident_id, month))

    @strawberry.field(description="助餐统计：每日份数、补贴与预算、热门菜品 (meal statistics)")
    async def meal_statistics(self, info: strawberry.Info, since: date, until: date,
                              canteen_id: strawberry.ID | None = None) -> MealStatistics:
        return _statistics(await stats.statistics(module.context(info), since, until, canteen_id))


@strawberry.type
class MealAssistMutation:
    @strawberry.mutation(description="发布某食堂某日某餐的菜单 (publish a menu)")
    async def create_meal_menu(self, info: strawberry.Info, input: CreateMealMenuInput) -> MealMenu:
        return MealMenu.of(await menus.create_menu(module.context(info), input))

    @strawberry.mutation(description="修改菜单（传 version 做并发校验）(change a menu; pass version to guard)")
    async def update_meal_menu(self, info: strawberry.Info, id: strawberry.ID, input: UpdateMealMenuInput,
                               version: int | None = None) -> MealMenu:
        return MealMenu.of(await menus.update_menu(module.context(info), id, input, version))

    @strawberry.mutation(description="开放或停止点餐 (open or close a menu for orders)")
    async def set_meal_menu_open(self, info: strawberry.Info, id: strawberry.ID, open: bool) -> MealMenu:
        return MealMenu.of(await menus.set_menu_open(module.context(info), id, open))

    @strawberry.mutation(description="点餐：补贴在同一事务中扣减；带 idempotencyKey 重试不会重复下单 "
                                     "(order a meal; the subsidy is deducted atomically; retries are safe)")
    async def place_meal_order(self, info: strawberry.Info, input: PlaceMealOrderInput) -> MealOrder:
        return MealOrder.of(await orders.place_order(module.context(info), input))

    @strawberry.mutation(description="截止前取消，退还补贴 (cancel before the cut-off; restores the subsidy)")
    async def cancel_meal_order(self, info: strawberry.Info, id: strawberry.ID, reason: str | None = None
                                ) -> MealOrder:
        return MealOrder.of(await orders.cancel_order(module.context(info), id, reason))

    @strawberry.mutation(description="出餐：堂食/自取为已出餐，送餐为交给配送人 (serve, or hand to the deliverer)")
    async def mark_meal_order_served(self, info: strawberry.Info, id: strawberry.ID) -> MealOrder:
        return MealOrder.of(await serving.mark_served(module.context(info), id))

    @strawberry.mutation(description="指派送餐人（网格员或志愿者）(assign a grid worker or volunteer)")
    async def assign_meal_delivery(self, info: strawberry.Info, id: strawberry.ID, kind: MealDelivererKind,
                                   deliverer_id: strawberry.ID) -> MealOrder:
        return MealOrder.of(await serving.assign_delivery(module.context(info), id, kind.value, deliverer_id))

    @strawberry.mutation(description="确认送达 (confirm a delivery)")
    async def confirm_meal_delivered(self, info: strawberry.Info, id: strawberry.ID) -> MealOrder:
        return MealOrder.of(await serving.confirm_delivered(module.context(info), id))

    @strawberry.mutation(description="登记食堂工作人员（按用户账号）(register a canteen staff account)")
    async def add_canteen_staff(self, info: strawberry.Info, input: AddCanteenStaffInput) -> CanteenStaffMember:
        return CanteenStaffMember.of(await people.add_staff(module.context(info), input))

    @strawberry.mutation
    async def remove_canteen_staff(self, info: strawberry.Info, id: strawberry.ID) -> CanteenStaffMember:
        return CanteenStaffMember.of(await people.remove_staff(module.context(info), id))

    @strawberry.mutation(description="登记助餐对象及可代其点餐的监护人 (enrol a diner and their guardians)")
    async def enroll_meal_diner(self, info: strawberry.Info, input: EnrollMealDinerInput) -> MealDiner:
        ctx = module.context(info)
        return (await _diners(ctx, [await people.enroll_diner(ctx, input)]))[0]

    @strawberry.mutation
    async def withdraw_meal_diner(self, info: strawberry.Info, resident_id: strawberry.ID) -> MealDiner:
        ctx = module.context(info)
        return (await _diners(ctx, [await people.withdraw_diner(ctx, resident_id)]))[0]
