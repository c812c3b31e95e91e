"""Staff accounts: creation with role/scope validation (CLI and admin API)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TYPE_CHECKING

from pymongo.errors import DuplicateKeyError

from community_plus.platform.errors import BadUserInput, Conflict, FieldErrors
from community_plus.platform.repository import new_id
from community_plus.platform.security.passwords import hash_password
from community_plus.domains.linkage.repository import DepartmentRepository

if TYPE_CHECKING:
    from community_plus.domains.platform import Platform

MIN_PASSWORD = 8


async def create_staff_user(platform: Platform, *, username: str, password: str, role: str, display_name: str,
                            region_id: str | None = None, community_id: str | None = None,
                            grid_ids: list[str] | None = None, phone: str | None = None,
                            department_id: str | None = None) -> dict[str, Any]:
    errors = FieldErrors()
    if not username or not username.strip():
        errors.add("username", "必填 (required)")
    elif len(username.strip()) > 64:
        errors.add("username", "最多64个字符 (at most 64 characters)")
    if len(password or "") < MIN_PASSWORD:
        errors.add("password", f"密码至少{MIN_PASSWORD}位 (at least {MIN_PASSWORD} characters)")
    elif len(password) > 256:
        errors.add("password", "最多256个字符 (at most 256 characters)")
    grid_ids = grid_ids or []
    if role == "department_staff":
        department = await DepartmentRepository(platform.db).get(department_id) if department_id else None
        if department is None:
            errors.add("department", "需要一个职能部门 id (give an existing department id)")
        else:
            region_id = department["regionId"]
    elif role in ("region_admin", "hotline_operator"):
        region = await platform.regions.get(region_id) if region_id else None
        if region is None or region["level"] == "community":
            errors.add("region", "需要一个省/市/区/街道的区域 id (give a province, city, district or street id)")
    elif role in ("community_admin", "grid_worker"):
        community = await platform.regions.get(community_id) if community_id else None
        if community is None or community["level"] != "community":
            errors.add("community", "需要一个社区 id (give an existing community id)")
        if role == "grid_worker":
            if not grid_ids:
                errors.add("grid", "网格员至少负责一个网格 (a grid worker needs at least one grid)")
            found = await platform.grids.get_many(grid_ids)
            if any(g not in found or found[g]["communityId"] != community_id for g in grid_ids):
                errors.add("grid", "网格不属于该社区 (every grid must belong to the community)")
    elif role != "platform_admin":
        raise BadUserInput({"role": "未知角色 (unknown role)"})
    errors.raise_if_any()
    doc = {"_id": new_id(), "username": username.strip(), "passwordHash": hash_password(password), "role": role,
           "displayName": display_name, "createdAt": datetime.now(UTC)}
    if region_id and role in ("region_admin", "hotline_operator", "department_staff"):
        doc["regionId"] = region_id
    if role == "department_staff":
        doc["departmentId"] = department_id
    if community_id and role in ("community_admin", "grid_worker"):
        doc["communityId"] = community_id
    if role == "grid_worker":
        doc["gridIds"] = grid_ids
        for g in grid_ids:
            await platform.grids.add_worker(g, doc["_id"])
    if phone:
        doc["phone"] = phone
    try:
        await platform.users.insert(doc)
    except DuplicateKeyError as exc:
        raise Conflict(f"用户名 {username!r} 已被使用 (the username is taken: choose another)") from exc
    return doc
