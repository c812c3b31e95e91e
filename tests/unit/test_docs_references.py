"""Documents that the code, the CLI help and other documents point at exist (docs/wechat.md
was once referenced everywhere and missing), and docs/wechat.md covers the fake it describes."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["core", "sdk", "sandbox", "plugins", "bench", "scripts", "README.md", "CONTRIBUTING.md", "docs"]
SUFFIXES = {".py", ".md", ".html", ".js", ".toml", ""}


def _files():
    for name in SOURCES:
        path = ROOT / name
        found = [path] if path.is_file() else path.rglob("*")
        for f in found:
            if f.is_file() and f.suffix in SUFFIXES and not any(p.startswith(".") or p.endswith(".egg-info")
                                                                 for p in f.relative_to(ROOT).parts):
                yield f


def test_every_referenced_document_exists():
    missing = set()
    for f in _files():
        for ref in re.findall(r"\bdocs/[\w.-]+\.md\b", f.read_text(encoding="utf-8", errors="replace")):
            if not (ROOT / ref).is_file():
                missing.add(f"{f.relative_to(ROOT)} → {ref}")
    assert not missing, sorted(missing)


def test_wechat_doc_covers_the_fake():
    from community_plus_sandbox.wechat import create_fake_wechat
    from community_plus_sandbox.wechat.state import RESERVED_CODES

    doc = (ROOT / "docs" / "wechat.md").read_text(encoding="utf-8")
    routes = {r.resource.canonical for r in create_fake_wechat("wx0000000000000000", "s").router.routes()}
    assert routes and not {r for r in routes if r not in doc}, "document every route of the fake"
    assert all(code in doc for code in RESERVED_CODES)
