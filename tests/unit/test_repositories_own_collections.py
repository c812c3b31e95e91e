"""The house rule "repositories are the only code touching collections", checked on the source.

A repository is a module named `repository.py`, `*_repository.py` or `repositories.py`, or a
class deriving from `Repository` (`platform/repository.py`) — the realtime event log and the
presence table are such classes in their own modules. Everywhere else in `core/` the code
may not reach a collection:

- no `<anything>.coll` (a repository's collection handle),
- no `db[...]` / `<anything>.db[...]` and no method called on a database handle
  (`platform.db.list_collection_names()`…; passing `platform.db` to a repository is fine),
- no call of a method only a PyMongo collection has (`COLLECTION_ONLY`). Names that the
  module datastore (the SDK's `ScopedCollection`) or a repository also defines — `find`,
  `find_one`, `insert`, `insert_many`, `update_many`… — are their named methods: those calls
  are allowed, the raw collection they would need is not.

Resolvers call services, never repositories: a resolver module (each domain's GraphQL face in
`graphql/domains/`, `graphql/api.py`, realtime's `api.py`) names none of the platform's
repositories (`platform.audit`, `platform.outbox`… as `Platform.__init__` assigns them,
`platform.files`, `platform.parts`) and no `.coll`. DataLoaders' batch functions
(`graphql/domains/types.py`, `platform/context.py`) do read repositories: they are the batched
form of a service's `get`.

Exceptions, by folder (`EXEMPT`): `platform/` is the floor repositories stand on (the
repository base, `stamps`, `db.ensure_indexes`, the embedded database's process; its
idempotency claims and rate-limit counters are repositories of the platform itself);
`devtools/` holds tools run beside the server (the sandbox worker sets up the module it
serves). Demo seeding has its own repository (`demo/repository.py`).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core"
EXEMPT = ("platform", "devtools")
COLLECTION_ONLY = frozenset({
    "find_one_and_update", "find_one_and_replace", "find_one_and_delete", "insert_one", "replace_one",
    "update_one", "delete_one", "delete_many", "count_documents", "estimated_document_count", "bulk_write",
    "aggregate", "aggregate_raw_batches", "find_raw_batches", "distinct", "create_index", "create_indexes",
    "drop_index", "drop_indexes", "list_indexes", "index_information", "create_search_index",
    "list_collection_names", "list_collections", "create_collection", "drop_collection", "get_collection",
    "validate_collection", "dereference"})


def is_repository_module(path: Path) -> bool:
    return path.name in ("repository.py", "repositories.py") or path.name.endswith("_repository.py")


def _is_repository_class(node: ast.ClassDef) -> bool:
    def name(base: ast.expr) -> str:
        return base.attr if isinstance(base, ast.Attribute) else base.id if isinstance(base, ast.Name) else ""
    return any(name(b).endswith("Repository") for b in node.bases)


def _is_db(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "db") or (isinstance(node, ast.Attribute) and node.attr == "db")


class _Finder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: list[str] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if not _is_repository_class(node):
            self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr == "coll":
            self.found.append(f"{node.lineno}: .coll")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if _is_db(node.value):
            self.found.append(f"{node.lineno}: db[...]")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            if _is_db(func.value):
                self.found.append(f"{node.lineno}: db.{func.attr}()")
            elif func.attr in COLLECTION_ONLY:
                self.found.append(f"{node.lineno}: .{func.attr}()")
        self.generic_visit(node)


def collection_access(source: str) -> list[str]:
    """Where `source` (a module outside the repositories) touches a collection: `line: what`."""
    finder = _Finder()
    finder.visit(ast.parse(source))
    return sorted(finder.found, key=lambda s: int(s.split(":")[0]))


def _checked_modules() -> list[Path]:
    return sorted(p for p in CORE.rglob("*.py")
                  if p.relative_to(CORE).parts[0] not in EXEMPT and not is_repository_module(p))


def test_only_repositories_touch_collections():
    offenders = {}
    for path in _checked_modules():
        rel = str(path.relative_to(ROOT))
        if found := collection_access(path.read_text("utf-8")):
            offenders[rel] = found
    assert offenders == {}, "move these into the domain's repository (see CONTRIBUTING.md, House rules)"


def test_the_check_sees_each_way_to_a_collection():
    source = '''
async def resolver(info, platform, db):
    await info.context.platform.regions.coll.find({"$or": []}).to_list()
    coll = platform.db["guardianships"]
    await db["x"].insert_many([])
    await platform.db.list_collection_names()
    await something.count_documents({})
    await other.aggregate([])
    "text".find("x")
    await ctx.collection("notes").find({"a": 1})
    await platform.outbox.insert_many([])
    repo = Repo(platform.db)

class EventLog(Repository):
    async def tail(self):
        return await self.coll.find_one({})
'''
    assert collection_access(source) == ["3: .coll", "4: db[...]", "5: db[...]", "6: db.list_collection_names()",
                                         "7: .count_documents()", "8: .aggregate()"]
    assert is_repository_module(Path("core/domains/audit/repository.py"))
    assert is_repository_module(Path("core/domains/identity/sessions_repository.py"))
    assert not is_repository_module(Path("core/domains/audit/service.py"))


def _platform_repositories() -> set[str]:
    """The attributes `Platform.__init__` sets to a repository (`self.audit = r.AuditRepository(db)`)."""
    tree = ast.parse((CORE / "domains" / "platform.py").read_text("utf-8"))
    init = next(n for c in tree.body if isinstance(c, ast.ClassDef) and c.name == "Platform"
                for n in c.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    names = {"files", "parts"}  # media's FileRepository, the domain parts (repositories by part name)
    for node in ast.walk(init):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called.endswith("Repository"):
                names |= {t.attr for t in node.targets if isinstance(t, ast.Attribute)}
    return names


def repository_uses(source: str, repositories: set[str]) -> list[str]:
    """Where a resolver module reaches a repository of the platform: `line: platform.<name>`."""
    return [f"{n.lineno}: platform.{n.attr}" for n in ast.walk(ast.parse(source))
            if isinstance(n, ast.Attribute) and n.attr in repositories and isinstance(n.value, ast.Attribute)
            and n.value.attr == "platform"]


def _resolver_modules() -> list[Path]:
    faces = (p for p in (CORE / "graphql" / "domains").glob("*.py") if p.name not in ("__init__.py", "types.py"))
    return sorted({*CORE.rglob("api.py"), *CORE.rglob("*_api.py"), *faces})


def test_resolvers_call_services_not_repositories():
    repositories = _platform_repositories()
    assert {"audit", "outbox", "residents", "regions", "work_orders"} <= repositories
    offenders = {str(p.relative_to(ROOT)): found for p in _resolver_modules()
                 if (found := repository_uses(p.read_text("utf-8"), repositories))}
    assert offenders == {}, "call the domain's service (see CONTRIBUTING.md, House rules)"
    assert len(_resolver_modules()) >= 15
    source = "async def r(info):\n    return await info.context.platform.outbox.page({}, 10, None)\n" \
             "x = ctx.platform.settings.debug\n"
    assert repository_uses(source, repositories) == ["2: platform.outbox"]
