"""What the module datastore lets a module ask for: a module reaches only its own collections
(`<module>__<name>`), and its filters and pipelines are checked before they reach the
database (the repositories doing the access are in `datastore_repository.py`).

Aggregation stages come from an allow-list (at every level: inside `$facet` too), and stages
or operators that read other collections or run JavaScript are refused wherever they are
nested."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any




from community_plus.platform.errors import Forbidden

# Stages a module's pipeline may use, at the top level and inside `$facet`: each reads only
# the documents flowing into it, which start as the module's own rows of one community.
ALLOWED_STAGES = frozenset({"$match", "$project", "$addFields", "$set", "$unset", "$group", "$sort", "$limit", "$skip",
                            "$count", "$unwind", "$bucket", "$bucketAuto", "$sortByCount", "$replaceRoot",
                            "$replaceWith", "$sample", "$redact", "$setWindowFields", "$densify", "$fill", "$facet"})
# Refused anywhere in a filter or pipeline, however deeply nested (`$facet`, `$lookup`
# sub-pipelines, `$unionWith`, expressions): they read or write other collections, the
# server's state, or run JavaScript.
FORBIDDEN_STAGES = frozenset({"$out", "$merge", "$unionWith", "$lookup", "$graphLookup", "$documents",
                              "$changeStream", "$changeStreamSplitLargeEvent", "$collStats", "$indexStats",
                              "$currentOp", "$listSessions", "$listLocalSessions", "$planCacheStats",
                              "$listSearchIndexes", "$listSampledQueries", "$querySettings", "$queryStats",
                              "$shardedDataDistribution", "$listClusterCatalog", "$listCatalog", "$search",
                              "$searchMeta", "$vectorSearch", "$geoNear"})
FORBIDDEN_OPERATORS = frozenset({"$where", "$function", "$accumulator"})
_FORBIDDEN = FORBIDDEN_STAGES | FORBIDDEN_OPERATORS


def physical_name(module: str, name: str) -> str:
    return f"{module}__{name}"


def _refuse(name: str) -> Forbidden:
    kind = "operator" if name in FORBIDDEN_OPERATORS else "aggregation stage"
    return Forbidden(f"模块不能使用 {name} (the {kind} {name} is not available to modules: they read only their "
                     "own collections, in one community)")


def check_filter(value: Any) -> None:
    """Refuse a forbidden stage or operator anywhere inside `value` (a filter, a stage, an expression)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):  # dicts, SON, RawBSONDocument
            for key, inner in item.items():
                if key in _FORBIDDEN:
                    raise _refuse(key)
                stack.append(inner)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def check_pipeline(pipeline: Any) -> None:
    """A module's aggregation pipeline: allowed stages only (also inside `$facet`), and no
    forbidden stage or operator at any depth. FORBIDDEN otherwise."""
    check_filter(pipeline)
    pending: list[tuple[Any, bool]] = [(pipeline, True)]
    while pending:
        stages, top = pending.pop()
        if not isinstance(stages, list):
            raise Forbidden("聚合管道应为阶段列表 (an aggregation pipeline is a list of stages)")
        for stage in stages:
            if not isinstance(stage, Mapping) or len(stage) != 1:
                raise Forbidden("每个聚合阶段只能有一个 $ 键 (each aggregation stage is a document with one $stage key)")
            (name, spec), = stage.items()
            if name not in ALLOWED_STAGES or (name == "$facet" and not top):
                raise _refuse(name) if name in _FORBIDDEN else Forbidden(
                    f"模块不能使用 {name} (aggregation stage {name} is not available to modules here; allowed: "
                    f"{', '.join(sorted(ALLOWED_STAGES))}, $facet at the top level only)")
            if name == "$facet":
                if not isinstance(spec, Mapping):
                    raise Forbidden("$facet 的值应为管道的文档 ($facet takes a document of pipelines)")
                pending.extend((sub, False) for sub in spec.values())
