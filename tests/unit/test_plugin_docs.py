"""The plugin author's guide documents every hook, every public SDK object and every field type,
each in its own section with a Python example that parses and imports only what the SDK offers.
Adding a hook or an SDK object without documenting it fails here."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import community_plus_sdk
from community_plus_sdk import hookspecs
from community_plus_sdk import fields

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugin-guide.md"
HEADING = re.compile(r"^(#{2,5}) (.+)$", re.M)
PYTHON = re.compile(r"^```python[^\n]*\n(.*?)^```", re.M | re.S)
FIELD_TYPES = sorted(name for name, obj in vars(fields).items()
                     if isinstance(obj, type) and issubclass(obj, fields.Field) and obj.__module__ == fields.__name__)


def reference_sections() -> dict[str, str]:
    """Heading text → the section's body, for the Reference part of the guide."""
    text = GUIDE.read_text(encoding="utf-8")
    text = text[text.index("\n## 3. Reference"):text.index("\n## 4. Tools")]
    heads = list(HEADING.finditer(text))
    return {h.group(2).strip(): text[h.end():heads[i + 1].start() if i + 1 < len(heads) else len(text)]
            for i, h in enumerate(heads)}


def section(title: str) -> str:
    sections = reference_sections()
    assert f"`{title}`" in sections, f"docs/plugin-guide.md has no reference section '#### `{title}`'"
    return sections[f"`{title}`"]


def examples(body: str) -> list[str]:
    return PYTHON.findall(body)


def test_hook_list_matches_the_specifications():
    specs = {name for name, fn in vars(hookspecs).items()
             if inspect.isfunction(fn) and hasattr(fn, f"{hookspecs.PROJECT}_spec")}
    assert specs == set(hookspecs.ALL_HOOKS)


@pytest.mark.parametrize("hook", hookspecs.ALL_HOOKS)
def test_every_hook_is_documented_with_an_example(hook):
    body = section(hook)
    found = [code for code in examples(body) if re.search(rf"^(async )?def {hook}\(", code, re.M)]
    assert found, f"the section of {hook} needs a Python example implementing it"
    args = list(inspect.signature(getattr(hookspecs, hook)).parameters)
    for code in found:
        impl = next(n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
                    and n.name == hook)
        assert {a.arg for a in impl.args.args} <= set(args), f"{hook}'s example takes arguments the hook lacks"
        assert "@hookimpl" in code
    if args:
        assert all(a in body for a in args), f"the section of {hook} should name its arguments {args}"


@pytest.mark.parametrize("name", sorted(community_plus_sdk.__all__))
def test_every_sdk_object_is_documented_with_an_example(name):
    body = section(name)
    assert any(re.search(rf"\b{name}\b", code) for code in examples(body)), f"{name} needs an example using it"


@pytest.mark.parametrize("name", FIELD_TYPES)
def test_every_field_type_is_documented_with_an_example(name):
    body = section(f"fields.{name}")
    assert any(f"fields.{name}" in code for code in examples(body)), f"fields.{name} needs an example using it"


def test_reference_examples_parse_and_import_what_the_sdk_offers():
    text = GUIDE.read_text(encoding="utf-8")
    codes = examples(text)
    assert len(codes) >= len(hookspecs.ALL_HOOKS) + len(community_plus_sdk.__all__) + len(FIELD_TYPES)
    for code in codes:
        tree = ast.parse(code)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "community_plus_sdk":
                missing = [a.name for a in node.names if not hasattr(community_plus_sdk, a.name)]
                assert not missing, f"an example imports {missing}, which community_plus_sdk does not offer"
            if isinstance(node, ast.ImportFrom | ast.Import):
                modules = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert not any(m and m.split(".")[0] == "community_plus" for m in modules), \
                    "examples import community_plus_sdk only"


def test_self_contained_reference_examples_run():
    """Examples that need no server (manifests, fields, errors…) are executed."""
    ran = 0
    for title, body in reference_sections().items():
        for code in examples(body):
            if "await" in code or "strawberry" in code or "def " in code and "@hookimpl" in code:
                continue
            exec(compile(code, f"guide: {title}", "exec"), {})
            ran += 1
    assert ran >= 15
