"""The import spreadsheet: its Chinese headers, and one row checked into a resident's values.

A row is checked without the database (grids are looked up in a map of the community's grids
by name), so a whole file can be validated in a worker thread; duplicates against the
database are checked per batch by the importer, through the blind index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from community_plus.domains.catalogue.service import TAG_TEXT
from community_plus.domains.residents.service import ADDRESS_LIMITS, MAX_NAME, TAGS
from community_plus.platform.validation import (birth_date_from_id, gender_from_id, id_number_problem,
    normalize_phone, phone_problem, text_problem)


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str  # exactly as in the template (a trailing * marks a required column)
    hint: str
    example: str
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", "必填，最多50字", "张秀英", required=True),
    Column("idNumber", "身份证号", "18位，请设置为文本格式；与出生日期二选一必填", "110101195003071227"),
    Column("phone", "手机号", "11位手机号", "13812345678"),
    Column("gender", "性别", "男/女；有身份证号时可不填", "女"),
    Column("birthDate", "出生日期", "YYYY-MM-DD；有身份证号时可不填", "1950-03-07"),
    Column("grid", "网格", "本社区网格名称", ""),
    Column("building", "楼栋", "最多30字", "3栋"),
    Column("unit", "单元", "最多30字", "1单元"),
    Column("room", "房号", "最多30字", "502"),
    Column("detail", "详细地址", "最多200字", ""),
    Column("registered", "本地户籍", "是/否，默认是", "是"),
    Column("tags", "标签", "用、或逗号分隔：" + "、".join(TAG_TEXT[t] for t in TAGS), "老年人、独居"),
    Column("relation", "与户主关系", "本人/配偶/子女/父母/孙子女/祖父母/兄弟姐妹/其他，默认本人", "本人"),
)
BY_HEADER = {c.header: c for c in COLUMNS}
HEADER = {c.key: c.header for c in COLUMNS}
GENDERS = {"男": "male", "女": "female", "male": "male", "female": "female"}
YES_NO = {"是": True, "否": False, "yes": True, "no": False, "true": True, "false": False, "1": True, "0": False}
TAG_NAMES = {**{v: k for k, v in TAG_TEXT.items()}, **{t.upper(): t for t in TAGS}, "独居老人": "living_alone"}
RELATIONS = {"本人": "self", "户主": "self", "配偶": "spouse", "子女": "child", "父母": "parent", "孙子女": "grandchild",
             "祖父母": "grandparent", "兄弟姐妹": "sibling", "其他": "other"}
MAX_CELL = 500


def header_problems(headers: list[Any]) -> tuple[list[Column | None], list[tuple[str, str]]]:
    """The column of each header cell, and what is wrong with the header row."""
    columns: list[Column | None] = []
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for cell in headers:
        text = str(cell).strip().rstrip("*").strip() if cell is not None else ""
        column = BY_HEADER.get(text)
        if text and column is None:
            problems.append((text, "未知的列，请使用模板的表头 (unknown column: use the template's headers)"))
        elif column is not None and column.key in seen:
            problems.append((text, "列重复 (the column appears twice)"))
            column = None
        if column is not None:
            seen.add(column.key)
        columns.append(column)
    for c in COLUMNS:
        if c.required and c.key not in seen:
            problems.append((c.header, "缺少必填列 (a required column is missing)"))
    return columns, problems


def _text(value: Any) -> str:
    """A cell as text: spreadsheets give numbers and dates for what the template means as text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    return str(value).strip()


def check_row(cells: dict[str, Any], grids_by_name: dict[str, str], today: date) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A row's resident values (plaintext ID/phone, sealed later) and its problems as (header, reason)."""
    out: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []

    def bad(key: str, reason: str) -> None:
        problems.append((HEADER[key], reason))

    text = {k: _text(v) for k, v in cells.items()}
    for key, value in text.items():
        if len(value) > MAX_CELL or text_problem(value, MAX_CELL):
            bad(key, f"内容无效或过长 (invalid text or longer than {MAX_CELL} characters)")
            text[key] = ""
    name = text.get("name", "")
    if not name:
        bad("name", "姓名必填 (name is required)")
    elif len(name) > MAX_NAME:
        bad("name", f"姓名过长 (at most {MAX_NAME} characters)")
    out["name"] = name
    if isinstance(cells.get("idNumber"), float | int):
        bad("idNumber", "身份证号请使用文本格式，数字格式会丢失位数 (store ID numbers as text: numbers lose digits)")
    elif idn := text.get("idNumber", "").upper():
        if problem := id_number_problem(idn):
            bad("idNumber", problem)
        else:
            out.update(idNumber=idn, birthDate=birth_date_from_id(idn), gender=gender_from_id(idn))
    if phone := text.get("phone"):
        if problem := phone_problem(phone):
            bad("phone", problem)
        else:
            out["phone"] = normalize_phone(phone)
    if gender := text.get("gender"):
        if gender.lower() not in GENDERS:
            bad("gender", "应为 男 或 女 (must be 男 or 女)")
        elif "gender" in out and out["gender"] != GENDERS[gender.lower()]:
            bad("gender", "与身份证号不符 (does not match the ID number)")
        else:
            out["gender"] = GENDERS[gender.lower()]
    born = cells.get("birthDate")
    if born not in (None, ""):
        bd = born.date() if isinstance(born, datetime) else born if isinstance(born, date) else None
        if bd is None:
            try:
                bd = date.fromisoformat(text["birthDate"].replace("/", "-"))
            except ValueError:
                bad("birthDate", "日期格式应为 YYYY-MM-DD (use YYYY-MM-DD)")
        if bd is not None:
            if not date(1900, 1, 1) <= bd <= today:
                bad("birthDate", "出生日期超出范围 (before 1900 or in the future)")
            elif "birthDate" in out and out["birthDate"] != bd:
                bad("birthDate", "与身份证号不符 (does not match the ID number)")
            else:
                out["birthDate"] = bd
    if "birthDate" not in out and not any(h in (HEADER["idNumber"], HEADER["birthDate"]) for h, _ in problems):
        bad("birthDate", "出生日期或身份证号必填 (give a birth date or an ID number)")
    if grid := text.get("grid"):
        if grid not in grids_by_name:
            bad("grid", "本社区没有该网格 (no grid of this name in the community)")
        else:
            out["gridId"] = grids_by_name[grid]
    address = {k: text[k] for k in ADDRESS_LIMITS if text.get(k)}
    for k, v in address.items():
        if len(v) > ADDRESS_LIMITS[k]:
            bad(k, f"最多{ADDRESS_LIMITS[k]}字 (at most {ADDRESS_LIMITS[k]} characters)")
    if address:
        out["address"] = address
    if registered := text.get("registered"):
        if registered.lower() not in YES_NO:
            bad("registered", "应为 是 或 否 (must be 是 or 否)")
        else:
            out["registered"] = YES_NO[registered.lower()]
    if tags := text.get("tags"):
        names = [t.strip() for t in tags.replace("，", ",").replace("、", ",").split(",") if t.strip()]
        unknown = [t for t in names if t not in TAG_NAMES and t.upper() not in TAG_NAMES]
        if unknown:
            bad("tags", f"未知标签 {'、'.join(unknown)} (unknown tags; use the template's names)")
        else:
            out["tags"] = sorted({TAG_NAMES.get(t) or TAG_NAMES[t.upper()] for t in names})
    if relation := text.get("relation"):
        if relation not in RELATIONS:
            bad("relation", "未知的关系 (use 本人/配偶/子女/父母/孙子女/祖父母/兄弟姐妹/其他)")
        else:
            out["relation"] = RELATIONS[relation]
    return out, problems
