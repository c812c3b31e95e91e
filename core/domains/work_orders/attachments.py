"""Uploaded files attached to a record, refused under the input paths they came from.

Media names a file it refuses `fileIds.<i>` (its own argument); callers that collected file
ids from several inputs (`input.attachments.0`, `input.answers.photo`, a module's
`input.photoIds.2`) pass those paths so that the refusal names the field the user filled in.
A file given twice is attached once.
"""

from __future__ import annotations

from collections.abc import Sequence

from community_plus.platform.context import RequestContext
from community_plus.platform.errors import BadUserInput
from community_plus.domains.media.service import attach_files


def unique_files(files: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """(file id, input path) pairs, each file once (at the first path it was given at)."""
    seen: dict[str, str] = {}
    for fid, path in files:
        seen.setdefault(fid, path)
    return list(seen.items())


def input_paths(fields: dict[str, str], paths: Sequence[str]) -> dict[str, str]:
    """Media's `fileIds.<i>` paths as the input paths the files came from."""
    out: dict[str, str] = {}
    for key, message in fields.items():
        head, _, index = key.partition(".")
        if head == "fileIds" and index.isdigit() and int(index) < len(paths):
            key = paths[int(index)]
        out.setdefault(key, message)
    return out


async def attach(ctx: RequestContext, files: Sequence[tuple[str, str]], entity: str, entity_id: str, *,
                 community_id: str | None = None) -> list[str]:
    """Attach each file once; returns the ids attached. BAD_USER_INPUT names input paths."""
    files = unique_files(files)
    if not files:
        return []
    ids = [fid for fid, _ in files]
    try:
        await attach_files(ctx, ids, entity, entity_id, community_id=community_id)
    except BadUserInput as exc:
        raise BadUserInput(input_paths(exc.fields, [path for _, path in files])) from exc
    return ids
