"""Validators for domain values: resident ID numbers (GB 11643), phones, grid boundaries."""

from __future__ import annotations

import re
from datetime import date

from shapely.geometry import shape
from shapely.validation import explain_validity

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of an ID number."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def id_number_problem(value: str) -> str | None:
    """Why `value` is not a valid 18-digit resident ID number, or None when it is."""
    v = value.strip().upper()
    if not _ID_RE.match(v):
        return "身份证号应为18位 (must be 17 digits plus a digit or X)"
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return "身份证号中的出生日期无效 (birth date in the ID number is invalid)"
    if id_check_digit(v[:17]) != v[17]:
        return "身份证号校验位错误 (check digit does not match, GB 11643)"
    return None


def birth_date_from_id(value: str) -> date:
    v = value.strip()
    return date(int(v[6:10]), int(v[10:12]), int(v[12:14]))


def gender_from_id(value: str) -> str:
    return "male" if int(value.strip()[16]) % 2 else "female"


def normalize_phone(value: str) -> str:
    """Strip spaces, dashes and a +86 prefix."""
    v = re.sub(r"[\s-]", "", value)
    if v.startswith("+86"):
        v = v[3:]
    return v


def phone_problem(value: str) -> str | None:
    if not _PHONE_RE.match(normalize_phone(value)):
        return "手机号格式错误 (expected an 11-digit mainland mobile number, e.g. 13812345678)"
    return None


def polygon_problem(geometry: dict) -> str | None:
    """Why a GeoJSON polygon is unusable as a grid boundary, or None."""
    if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
        return "边界必须是 GeoJSON Polygon (boundary must be a GeoJSON Polygon)"
    rings = geometry.get("coordinates")
    if not isinstance(rings, list) or not rings:
        return "边界缺少坐标 (polygon has no coordinates)"
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 4:
            return "每个环至少需要4个点 (each ring needs at least 4 positions)"
        if ring[0] != ring[-1]:
            return "环必须闭合 (first and last positions of a ring must be equal)"
        for pos in ring:
            if not (isinstance(pos, list | tuple) and len(pos) == 2 and all(isinstance(c, int | float) for c in pos)):
                return "坐标必须是 [经度, 纬度] (positions must be [longitude, latitude])"
            lon, lat = pos
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                return f"坐标超出范围 (position {pos} is outside longitude/latitude bounds)"
    poly = shape(geometry)
    if not poly.is_valid:
        return f"边界无效 (invalid polygon: {explain_validity(poly)})"
    return None


def mask_phone(phone: str | None) -> str | None:
    """`13812345678` → `138****5678`."""
    if not phone:
        return phone
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "****"


def mask_id_number(value: str | None) -> str | None:
    """`320102199001011234` → `3201**********1234`."""
    if not value:
        return value
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
