"""Relations of a page's rows resolved without one awaitable per row.

A connection resolver that knows its rows primes the request's DataLoaders for the relations
the query selects (`prime(info, loaders, page, {("item",): ("service_items", "itemId")})`):
one batched query per relation, as the DataLoader would issue, but before the rows are
completed. The relation resolvers then answer from the loader's cache synchronously
(`cached_or_load`), so graphql-core completes the list without a task per row. A relation the
query does not select is not loaded; anything not primed (fragments, other paths) falls back
to the ordinary DataLoader `load`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode
from strawberry.dataloader import DataLoader


def _children(selection_set: SelectionSetNode | None, fragments: dict[str, Any]) -> Iterator[FieldNode]:
    for sel in selection_set.selections if selection_set else ():
        if isinstance(sel, FieldNode):
            yield sel
        elif isinstance(sel, InlineFragmentNode):
            yield from _children(sel.selection_set, fragments)
        elif isinstance(sel, FragmentSpreadNode) and sel.name.value in fragments:
            yield from _children(fragments[sel.name.value].selection_set, fragments)


def selects(info: Any, path: Iterable[str]) -> bool:
    """Whether the current field's selection reaches `path` (e.g. `edges`, `node`, `item`)."""
    raw = info._raw_info
    nodes: list[FieldNode] = list(raw.field_nodes)
    for name in path:
        nodes = [c for n in nodes for c in _children(n.selection_set, raw.fragments) if c.name.value == name]
        if not nodes:
            return False
    return True


async def prime(info: Any, docs: list[dict[str, Any]], relations: dict[tuple[str, ...], tuple[str, str]],
                prefix: tuple[str, ...] = ("edges", "node")) -> None:
    """Load, batched, each selected relation of `docs`: `{field path: (repository, key field)}`.
    Each relation's keys the loader does not hold yet go to its batch function at once (the
    query the DataLoader's batch would send), one relation after the other, and the results
    are primed into the loader: no futures per key, no batch task, no task per relation (the
    GraphQL layer's CPU per request is measured against a raw handler: bench/README.md)."""
    loaders = info.context.loaders
    for path, (repo, key) in relations.items():
        ids = list(dict.fromkeys(d[key] for d in docs if d.get(key)))
        if ids and selects(info, (*prefix, *path)):
            loader = loaders.by_id(repo)
            missing = [i for i in ids if loader.cache_map.get(i) is None]
            if missing:
                loader.prime_many(dict(zip(missing, await loader.load_fn(missing), strict=True)))


def cached_or_load(loader: DataLoader, key: Any, make: Callable[[Any], Any]) -> Any:
    """`make(value)` at once when the loader already holds `key`, else an awaitable of it.
    The object made is kept for the request (the loader lives as long): twenty orders of the
    same service item build one `ServiceItem`."""
    future = loader.cache_map.get(key)
    if future is not None and future.done() and not future.cancelled() and future.exception() is None:
        made = loader.__dict__.setdefault("_made", {})
        found = made.get((make, key))
        if found is None or found[0] is not future:  # not made yet, or the loader's entry was replaced
            value = future.result()
            found = made[(make, key)] = (future, make(value) if value is not None else None)
        return found[1]

    async def later() -> Any:
        value = await loader.load(key)
        return make(value) if value is not None else None

    return later()
