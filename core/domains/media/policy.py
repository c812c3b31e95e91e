"""Upload purposes: what each kind of upload may contain and how large it may be.

Types are decided from the content (see `inspection.sniff`), never from the file name or
the client's Content-Type. Limits are deliberately per purpose: a work-order photo has no
business being 200 MB, a video of a broken lift might be.
"""

from __future__ import annotations

from dataclasses import dataclass

from community_plus.platform.errors import BadUserInput

MiB = 1024 * 1024

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


@dataclass(frozen=True, slots=True)
class Purpose:
    """One kind of upload: allowed content types and the size limit in bytes."""

    name: str
    label: str  # shown to residents
    types: frozenset[str]
    max_bytes: int


PURPOSES: dict[str, Purpose] = {p.name: p for p in (
    Purpose("photo", "照片", IMAGE_TYPES, 20 * MiB),
    Purpose("document", "文档", frozenset({"application/pdf", *IMAGE_TYPES}), 100 * MiB),
    Purpose("video", "视频", frozenset({"video/mp4"}), 200 * MiB),
)}

MAX_UPLOAD_BYTES = max(p.max_bytes for p in PURPOSES.values())


def purpose_of(name: str | None, field: str = "purpose") -> Purpose:
    """The purpose called `name`; BAD_USER_INPUT naming `field` when unknown."""
    found = PURPOSES.get((name or "").strip())
    if found is None and not (name or "").strip():
        raise BadUserInput({field: f"缺少用途，请填写 {'、'.join(PURPOSES)} 之一 (purpose is required: one of "
                                   f"{', '.join(PURPOSES)})"})
    if found is None:
        raise BadUserInput({field: f"未知用途 {name!r} (unknown purpose; use one of {', '.join(PURPOSES)})"})
    return found


def size_problem(purpose: Purpose, size: int) -> str | None:
    if size <= 0:
        return "文件为空 (the file is empty)"
    if size > purpose.max_bytes:
        return (f"{purpose.label}不能超过 {purpose.max_bytes // MiB} MB "
                f"(too large: {purpose.name} files are limited to {purpose.max_bytes // MiB} MB)")
    return None


def type_problem(purpose: Purpose, content_type: str | None) -> str | None:
    allowed = ", ".join(sorted(purpose.types))
    if content_type is None:
        return f"无法识别的文件内容 (unrecognised file content; {purpose.name} accepts {allowed})"
    if content_type not in purpose.types:
        return (f"{purpose.label}不支持此类文件 ({content_type} is not accepted for {purpose.name}; "
                f"use {allowed})")
    return None
