"""Demo accounts of the hotline and linkage command (idempotent, part of `seed`): a hotline
operator and admins of the first street and district, and a department with one staff member."""

from __future__ import annotations

from typing import Any


async def seed_governance(platform: Any, communities: list[dict[str, Any]], upsert_user) -> None:
    departments = platform.parts.get("linkage.departments")
    if not communities or departments is None:
        return
    district, street = communities[0]["path"][-2], communities[0]["path"][-1]
    await upsert_user(platform, "hotline001", "hotline_operator", "12349热线话务员", regionId=street)
    await upsert_user(platform, "street001", "region_admin", "街道管理员", regionId=street)
    await upsert_user(platform, "district001", "region_admin", "区县管理员", regionId=district)
    dept = await departments.ensure(await platform.regions.get(street), "城管办", "城市管理、市容环境、道路设施")
    await upsert_user(platform, "dept001", "department_staff", "城管办工作人员", regionId=street,
                      departmentId=dept["_id"])
