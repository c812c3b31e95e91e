"""Validators for domain values: resident ID numbers (GB 11643), phones, grid boundaries, and
the values every input must satisfy (storable text, representable times)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from shapely.geometry import shape
from shapely.validation import explain_validity

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
# NUL cannot be stored in BSON keys or regular expressions; a lone surrogate is not UTF-8 at all.
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)
MAX_JSON_DEPTH = 32
MAX_TEXT = 20_000  # characters in any one text input (fields with their own, smaller caps keep them)
MAX_ID = 256  # characters in an ID
MAX_JSON_NODES = 20_000  # values in one JSON input
MAX_AGE = 150


def text_problem(value: str, limit: int = MAX_TEXT) -> str | None:
    """Why `value` cannot be stored as text (too long, an unpaired surrogate, NUL), or None."""
    if len(value) > limit:
        return f"内容过长 (at most {limit} characters)"
    found = _BAD_TEXT.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "不能包含空字符 (must not contain the NUL character U+0000)"
    return "含有无效字符 (contains an unpaired UTF-16 surrogate: send valid Unicode text)"


def key_problem(key: str) -> str | None:
    """Why `key` cannot be a key of a stored JSON object (MongoDB operators and paths), or None."""
    if key.startswith("$") or "." in key:
        return "键名不能以 $ 开头或包含 . (keys must not start with $ or contain .)"
    return text_problem(key, 200)


def time_problem(value: date | datetime) -> str | None:
    """Why a date or time is outside the range the server accepts (1900–2999), or None."""
    if isinstance(value, datetime):
        try:
            instant = as_utc(value)
        except OverflowError:
            instant = None
        ok = instant is not None and EARLIEST <= instant <= LATEST
    else:
        ok = EARLIEST.date() <= value <= LATEST.date()
    return None if ok else "日期超出范围 (dates must lie between 1900-01-01 and 2999-12-31)"


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; one without an offset is read as UTC (as MongoDB stores it)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of an ID number."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def id_number_problem(value: str) -> str | None:
    """Why `value` is not a valid 18-digit resident ID number, or None when it is."""
    v = value.strip().upper()
    if not _ID_RE.match(v):
        return "身份证号应为18位 (must be 17 digits plus a digit or X)"
    try:
        born = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return "身份证号中的出生日期无效 (birth date in the ID number is invalid)"
    if not EARLIEST.date() <= born <= date.today():
        return "身份证号中的出生日期超出范围 (birth date in the ID number is before 1900 or in the future)"
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
