"""What a submission files, checked before anything is written: the resident it is for, the
service item (or a problem report), the point and grid, the attachments, and the new order.

A problem report with a location is filed under the grid of the resident's community that
contains the point. A point inside none of that community's grids (a wrong pin, or a problem
in another community) is refused with BAD_USER_INPUT on `input.longitude`/`input.latitude`
rather than filed somewhere it does not belong: the resident moves the pin, or reports it
without a location, or where it is.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from community_plus.platform.access import Principal
from community_plus.platform.context import RequestContext
from community_plus.platform.errors import BadUserInput, FieldErrors, Forbidden, NotFound
from community_plus.domains.catalogue import forms
from community_plus.domains.catalogue.service import eligibility_problems
from community_plus.domains.family.repository import GuardianshipRepository
from community_plus.domains.work_orders.attachments import unique_files
from community_plus.domains.work_orders.transitions import timeline_event

REPORT_SLA_HOURS = 48
# how an order came in (WorkOrderChannel); orders stored before channels existed are mini_program
CHANNELS = ("mini_program", "hotline", "counter", "grid_report", "escalation")
CHANNEL_OF_ROLE = {"resident": "mini_program", "hotline_operator": "hotline", "community_admin": "counter",
                   "grid_worker": "grid_report"}
MAX_DESCRIPTION = 2000


def request_hash(data: dict[str, Any]) -> str:
    """The fingerprint an idempotency key is bound to (a retry must send the same input)."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Filing:
    """A checked submission: the published item (None for a problem report), the point, the
    grid the order is filed under and the files with the input paths they came from."""

    item: dict[str, Any] | None
    location: dict[str, Any] | None
    grid_id: str | None
    files: list[tuple[str, str]]


async def subject_of(ctx: RequestContext, resident_id: str | None) -> dict[str, Any]:
    """The resident the order is for: yourself, a ward, or (staff) a resident in scope."""
    p, scope = ctx.platform, ctx.scope
    pr = scope.require()
    if pr.role == "resident":
        if not pr.resident_id:
            raise Forbidden("请先绑定居民身份 (bind your resident record before submitting)")
        target = resident_id or pr.resident_id
        if target != pr.resident_id:
            # family's repository itself: identity's holder of it would close an import circle
            # (identity → staff → linkage → work_orders)
            if await GuardianshipRepository(p.db).link(pr.resident_id, target) is None:
                raise Forbidden("只能为本人或被监护的家人提交 (only for yourself or family you are guardian of)")
        doc = await p.residents.get(target)
    elif pr.role in ("community_admin", "grid_worker", "hotline_operator"):
        if not resident_id:
            raise BadUserInput({"input.residentId": "代居民提交时必填 (required when staff submit for a resident)"})
        doc = await p.residents.get(resident_id, scope.resident_filter())
    else:
        raise Forbidden("请切换到社区后代居民提交 (submit as a resident, community admin or grid worker)")
    if doc is None:
        raise NotFound("resident")
    return doc


async def _service_item(ctx: RequestContext, data: dict[str, Any], resident: dict[str, Any]) -> dict[str, Any]:
    """The published item of the resident's community (or a region above it) they may apply for."""
    item = await ctx.platform.service_items.get(data["item_id"])
    community = await ctx.loaders.by_id("regions").load(resident["communityId"])
    if item is None or item["state"] != "published" or not (
            item["communityId"] == resident["communityId"] or item["regionId"] in community["path"]):
        raise BadUserInput({"input.itemId": "服务事项不存在或未发布 (no such published item for this community)"})
    if problems := eligibility_problems(item, resident):
        raise Forbidden("不符合申请条件: " + "；".join(problems), reasons=problems)
    forms.validate_answers(item["form"], data.get("answers") or {})
    return item


def _location(data: dict[str, Any], errors: FieldErrors) -> dict[str, Any] | None:
    """A GeoJSON point from `longitude`/`latitude`, both or neither, within range."""
    if data.get("longitude") is None and data.get("latitude") is None:
        return None
    lon, lat = data.get("longitude"), data.get("latitude")
    if lon is None or lat is None:
        errors.add("input.longitude" if lon is None else "input.latitude",
                   "经度和纬度需同时提供 (give both longitude and latitude)")
        return None
    if not -180 <= lon <= 180:
        errors.add("input.longitude", "经度应在 -180 到 180 之间 (longitude must be within -180..180)")
    if not -90 <= lat <= 90:
        errors.add("input.latitude", "纬度应在 -90 到 90 之间 (latitude must be within -90..90)")
    return {"type": "Point", "coordinates": [lon, lat]}


async def check_submission(ctx: RequestContext, data: dict[str, Any], resident: dict[str, Any]) -> Filing:
    """Every rule of a new order; BAD_USER_INPUT names each offending `input.…` path."""
    errors = FieldErrors()
    item = None
    if data.get("item_id"):
        item = await _service_item(ctx, data, resident)
    else:
        if not (data.get("description") or "").strip():
            errors.add("input.description", "请描述问题 (describe the problem, or choose a service item)")
        if data.get("answers"):
            errors.add("input.answers", "问题上报没有表单，请不要填写 answers (a report has no form: omit answers)")
    if len(data.get("description") or "") > MAX_DESCRIPTION:
        errors.add("input.description", f"最多{MAX_DESCRIPTION}字 (at most {MAX_DESCRIPTION} characters)")
    location = _location(data, errors)
    errors.raise_if_any()
    grid_id = resident.get("gridId")
    if location is not None:
        grid = await ctx.platform.grids.at_point(location["coordinates"][0], location["coordinates"][1],
                                                 {"communityId": resident["communityId"]})
        if grid is None:
            where = "该位置不在本社区的网格内，请确认定位，或不带位置上报 (the location is outside every grid of the " \
                    "resident's community: check the pin, or report without a location)"
            raise BadUserInput({"input.longitude": where, "input.latitude": where})
        grid_id = grid["_id"]
    files = unique_files([(fid, f"input.attachments.{i}") for i, fid in enumerate(data.get("attachments") or [])]
                         + (forms.file_ids_in(item["form"], data.get("answers") or {}) if item else []))
    return Filing(item, location, grid_id, files)


def new_order(order_id: str, principal: Principal, data: dict[str, Any], resident: dict[str, Any], filing: Filing,
              notify: list[str], now: datetime) -> dict[str, Any]:
    """The order's document as first stored (state `submitted`, version 1, due by the item's SLA)."""
    item, pr = filing.item, principal
    sla = item["slaHours"] if item else REPORT_SLA_HOURS
    return {
        "_id": order_id, "communityId": resident["communityId"], "regionPath": resident["regionPath"],
        "gridId": filing.grid_id, "kind": "service" if item else "report",
        "itemId": item["_id"] if item else None, "title": item["title"] if item else "问题上报",
        "formVersion": item["formVersion"] if item else None, "answers": data.get("answers") or {},
        "description": (data.get("description") or "").strip(), "location": filing.location,
        "attachments": [fid for fid, _ in filing.files],
        "residentId": resident["_id"], "residentTags": resident.get("tags", []),
        "submittedBy": pr.user_id, "submittedByRole": pr.role, "state": "submitted", "version": 1,
        "channel": CHANNEL_OF_ROLE.get(pr.role, "mini_program"), "notifyUserIds": notify,
        "assigneeId": None, "dueAt": now + timedelta(hours=sla), "createdAt": now, "updatedAt": now,
        "timeline": [timeline_event(pr, "submit", None, "submitted", now)],
    }
