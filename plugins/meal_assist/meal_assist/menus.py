"""Daily menus: one per canteen, date and meal, with dishes, capacity and an order cut-off."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from community_plus_sdk import ConflictError, FieldErrors, ModuleContext, NotFoundError

from .common import CANTEENS, MENUS, as_utc, conflict, key_id
from .manifest import MANAGE
from .rules import MEAL_LABELS, Rules, day_key

MAX_DISHES = 30
MAX_PRICE_FEN = 100_000


def clean_dishes(dishes: list[Any], path: str, problems: FieldErrors) -> list[dict[str, Any]]:
    """Validated dishes (each input has name, price_fen, nutrition_tags, description)."""
    if not dishes:
        problems.add(path, "至少一道菜 (at least one dish)")
        return []
    if len(dishes) > MAX_DISHES:
        problems.add(path, f"最多{MAX_DISHES}道菜 (at most {MAX_DISHES} dishes)")
        return []
    out, names = [], set()
    for i, d in enumerate(dishes):
        name = problems.text(f"{path}.{i}.name", d.name, max_length=30, required=True)
        if name and name in names:
            problems.add(f"{path}.{i}.name", "菜名重复 (duplicate dish name)")
        names.add(name)
        if not 0 < d.price_fen <= MAX_PRICE_FEN:
            problems.add(f"{path}.{i}.priceFen", f"应在1到{MAX_PRICE_FEN}分之间 (must be 1–{MAX_PRICE_FEN} fen)")
        tags = [t.value for t in d.nutrition_tags or []]
        if len(set(tags)) != len(tags):
            problems.add(f"{path}.{i}.nutritionTags", "标签重复 (duplicate tag)")
        desc = problems.text(f"{path}.{i}.description", d.description, max_length=200)
        out.append({"id": f"d{i + 1}", "name": name, "priceFen": d.price_fen, "nutritionTags": tags,
                    "description": desc})
    return out


def _cutoff(value: datetime | None, meal_date: date, meal: str, rules: Rules, path: str,
            problems: FieldErrors) -> datetime:
    if value is None:
        return rules.default_cutoff(meal_date, meal)
    at = as_utc(value, rules)
    if at > rules.end_of_day(meal_date):
        problems.add(path, "截止时间不能晚于用餐当天 (the cut-off must not be after the meal's day)")
    return at


async def create_menu(ctx: ModuleContext, inp: Any) -> dict[str, Any]:
    ctx.require_permission(MANAGE)
    rules = Rules.of(await ctx.settings())
    problems = FieldErrors()
    meal = inp.meal.value
    canteen = await ctx.collection(CANTEENS).find_one({"_id": inp.canteen_id})
    if canteen is None:
        problems.add("input.canteenId", "食堂不存在 (no such canteen)")
    elif not canteen.get("active", True):
        problems.add("input.canteenId", "食堂已停用 (the canteen is inactive)")
    elif meal not in (canteen.get("meals") or [meal]):
        problems.add("input.meal", f"该食堂不供应{MEAL_LABELS[meal]} (the canteen does not serve {meal})")
    today = rules.today(ctx.now())
    if inp.date < today:
        problems.add("input.date", "不能早于今天 (must not be in the past)")
    elif inp.date > today + timedelta(days=rules.days_ahead):
        problems.add("input.date", f"最多提前{rules.days_ahead}天 (at most {rules.days_ahead} days ahead)")
    dishes = clean_dishes(inp.dishes, "input.dishes", problems)
    limit = canteen["capacity_per_meal"] if canteen else 1000
    capacity = limit if inp.capacity is None else inp.capacity
    if not 1 <= capacity <= limit:
        problems.add("input.capacity", f"应在1到{limit}之间（食堂容量）(must be 1–{limit}, the canteen's capacity)")
    cutoff = _cutoff(inp.cutoff_at, inp.date, meal, rules, "input.cutoffAt", problems)
    note = problems.text("input.note", inp.note, max_length=200)
    problems.raise_if_any()
    doc = {"_id": key_id(ctx.community_id or "", "menu", inp.canteen_id, inp.date.isoformat(), meal),
           "canteenId": inp.canteen_id, "canteenName": canteen["name"], "date": day_key(inp.date), "meal": meal,
           "dishes": dishes, "capacity": capacity, "orderedCount": 0, "cutoffAt": cutoff, "status": "open",
           "note": note, "createdBy": ctx.require_caller().user_id}
    try:
        row = await ctx.collection(MENUS).insert(doc)
    except ConflictError:
        raise conflict("该食堂当天这一餐的菜单已存在 (a menu for this canteen, date and meal exists)",
                       "MENU_EXISTS") from None
    await ctx.audit("create", "MealMenu", row, ["dishes", "capacity", "cutoffAt"])
    return row


async def get_menu(ctx: ModuleContext, menu_id: str) -> dict[str, Any]:
    ctx.require_caller()
    menu = await ctx.collection(MENUS).find_one({"_id": menu_id})
    if menu is None:
        raise NotFoundError("菜单不存在 (menu not found)")
    return menu


async def update_menu(ctx: ModuleContext, menu_id: str, inp: Any, version: int | None) -> dict[str, Any]:
    """Change dishes (only while nobody holds an order), capacity (never below what is
    ordered), cut-off or note; compare-and-set against concurrent orders."""
    ctx.require_permission(MANAGE)
    rules = Rules.of(await ctx.settings())
    menu = await get_menu(ctx, menu_id)
    problems = FieldErrors()
    changes: dict[str, Any] = {}
    expect: dict[str, Any] = {"version": version if version is not None else menu["version"]}
    if inp.dishes is not None:
        changes["dishes"] = clean_dishes(inp.dishes, "input.dishes", problems)
        expect["orderedCount"] = 0
    if inp.capacity is not None:
        canteen = await ctx.collection(CANTEENS).find_one({"_id": menu["canteenId"]})
        limit = canteen["capacity_per_meal"] if canteen else menu["capacity"]
        if not 1 <= inp.capacity <= limit:
            problems.add("input.capacity", f"应在1到{limit}之间（食堂容量）(must be 1–{limit})")
        changes["capacity"] = inp.capacity
        expect.setdefault("orderedCount", {"$lte": inp.capacity})
    if inp.cutoff_at is not None:
        changes["cutoffAt"] = _cutoff(inp.cutoff_at, menu["date"].date(), menu["meal"], rules, "input.cutoffAt",
                                      problems)
    if inp.note is not None:
        changes["note"] = problems.text("input.note", inp.note, max_length=200)
    problems.raise_if_any()
    if not changes:
        return menu
    row = await ctx.collection(MENUS).update({"_id": menu_id}, changes, expect=expect)
    if row is None:
        now = await get_menu(ctx, menu_id)
        if now["version"] != expect["version"]:
            raise conflict("菜单已被修改，请刷新 (the menu changed meanwhile: reload)", "STALE")
        if "dishes" in changes:
            raise conflict("已有人点餐，不能修改菜品 (dishes cannot change once meals are ordered)", "HAS_ORDERS")
        raise conflict(f"已订{now['orderedCount']}份，容量不能更低 (capacity cannot drop below the "
                       f"{now['orderedCount']} meals ordered)", "BELOW_ORDERED")
    await ctx.audit("update", "MealMenu", row, sorted(changes))
    return row


async def set_menu_open(ctx: ModuleContext, menu_id: str, is_open: bool) -> dict[str, Any]:
    ctx.require_permission(MANAGE)
    await get_menu(ctx, menu_id)
    row = await ctx.collection(MENUS).update({"_id": menu_id}, {"status": "open" if is_open else "closed"})
    await ctx.audit("open" if is_open else "close", "MealMenu", row, ["status"])
    return row


async def list_menus(ctx: ModuleContext, on: date, canteen_id: str | None, meal: str | None) -> list[dict[str, Any]]:
    ctx.require_caller()
    query: dict[str, Any] = {"date": day_key(on)}
    if canteen_id:
        query["canteenId"] = canteen_id
    if meal:
        query["meal"] = meal
    rows = await ctx.collection(MENUS).find(query, sort=[("canteenId", 1)], limit=300)
    order = {m: i for i, m in enumerate(("breakfast", "lunch", "dinner"))}
    return sorted(rows, key=lambda r: (r["canteenName"], r["canteenId"], order[r["meal"]]))
