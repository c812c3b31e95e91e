"""The sandbox's `/sandbox` page: demo logins and example operations, each a copy-paste block
with a link into GraphiQL with the operation (and the login token) prefilled.

Example operations for the plugin's modules are generated from the schema of the first
community: every root field the module owns, its required arguments with sample values and
a shallow selection of its result.
"""

from __future__ import annotations

import html
import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from graphql import (Undefined, GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLObjectType,
                     GraphQLScalarType)

DEMO_PASSWORD = "community-plus"
SAMPLES = {"String": '"示例"', "Int": "1", "Float": "1.5", "Boolean": "true", "ID": '"PASTE_AN_ID"',
           "Date": '"2026-01-01"', "DateTime": '"2026-01-01T08:00:00+08:00"', "JSON": "{}"}


@dataclass
class Persona:
    key: str
    label: str
    login: str
    note: str


@dataclass
class PageModel:
    """What the page shows; built by the worker from its registry and database."""

    community_id: str | None
    community_name: str | None
    wechat_base: str
    resident_user: str
    modules: list[dict[str, Any]] = field(default_factory=list)  # name, title, state, reason
    operations: list[tuple[str, str]] = field(default_factory=list)  # (title, operation)


def personas(resident_user: str) -> list[Persona]:
    staff = ('mutation { loginWithPassword(username: "%s", password: "' + DEMO_PASSWORD + '") '
             "{ accessToken viewer { name role communityId } } }")
    return [
        Persona("resident", "居民 (demo resident, WeChat login)",
                'mutation { loginWithWechat(code: "user:%s:NONCE") { accessToken viewer { name role residentId '
                'communityId } } }' % resident_user,
                "The fake WeChat accepts any code <code>user:NAME:NONCE</code> once (a real mini-program gets the "
                "code from <code>wx.login()</code>). This resident is bound to a resident record of the first "
                "community."),
        Persona("grid_worker", "网格员 gw0011 (grid worker)", staff % "gw0011", "First grid of the first community."),
        Persona("community_admin", "社区管理员 admin001 (community admin)", staff % "admin001",
                "Administers the first community: switches modules, edits settings."),
        Persona("platform_admin", "平台管理员 admin (platform admin)", staff % "admin",
                "Sees every community; the page adds <code>X-Community-Id</code> for the first one."),
    ]


def _unwrap(t: Any) -> Any:
    while isinstance(t, GraphQLNonNull | GraphQLList):
        t = t.of_type
    return t


def _sample(t: Any, depth: int = 0) -> str:
    if isinstance(t, GraphQLNonNull):
        return _sample(t.of_type, depth)
    if isinstance(t, GraphQLList):
        return "[]"
    if isinstance(t, GraphQLEnumType):
        return next(iter(t.values))
    if isinstance(t, GraphQLInputObjectType):
        if depth > 2:
            return "{}"
        parts = [f"{name}: {_sample(f.type, depth + 1)}" for name, f in t.fields.items()
                 if isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined]
        return "{" + ", ".join(parts) + "}"
    return SAMPLES.get(getattr(t, "name", ""), '""')


def _selection(t: Any, depth: int = 0) -> str:
    t = _unwrap(t)
    if isinstance(t, GraphQLScalarType | GraphQLEnumType) or not isinstance(t, GraphQLObjectType):
        return ""
    if "edges" in t.fields and "totalCount" in t.fields and depth < 2:
        node = _unwrap(_unwrap(t.fields["edges"].type).fields["node"].type)
        return " { totalCount edges { node" + _selection(node, depth + 1) + " } }"
    names = [n for n, f in t.fields.items()
             if isinstance(_unwrap(f.type), GraphQLScalarType | GraphQLEnumType)
             and not any(isinstance(a.type, GraphQLNonNull) for a in f.args.values())]
    return " { " + " ".join(names[:12] or ["__typename"]) + " }"


def example_operation(schema: Any, kind: str, name: str) -> str:
    """`query { field(args) { selection } }` for a root field of a graphql-core schema."""
    root = schema.query_type if kind == "query" else schema.mutation_type
    fld = root.fields[name]
    args = [f"{a}: {_sample(arg.type)}" for a, arg in fld.args.items()
            if isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined]
    if "first" in fld.args and kind == "query":
        args.append("first: 10")
    call = f"{name}({', '.join(args)})" if args else name
    return f"{'mutation' if kind == 'mutation' else 'query'} {{ {call}{_selection(fld.type)} }}"


def graphiql_link(operation: str, headers: dict[str, str] | None = None) -> str:
    query = {"q": operation}
    if headers:
        query["headers"] = json.dumps(headers, indent=2)
    return "/graphql?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)


_STYLE = """body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
pre{background:#f5f5f7;padding:.7em;border-radius:6px;white-space:pre-wrap;word-break:break-all}
section{border:1px solid #ddd;border-radius:8px;padding:.2em 1em 1em;margin:1em 0}
button{font-size:14px;padding:.3em .9em;margin-right:.6em;cursor:pointer}.bad{color:#b00}.ok{color:#070}
code{background:#f0f0f0;padding:0 .2em}"""

_SCRIPT = """
async function openAs(key, login, community, query) {
  if (key === 'resident') login = login.replace('NONCE', Math.random().toString(36).slice(2));
  const r = await fetch('/graphql', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                     body: JSON.stringify({query: login})});
  const body = await r.json();
  if (body.errors) { alert(JSON.stringify(body.errors, null, 2)); return; }
  const headers = {Authorization: 'Bearer ' + Object.values(body.data)[0].accessToken};
  if (key === 'platform_admin' && community) headers['X-Community-Id'] = community;
  location.href = '/graphql?q=' + encodeURIComponent(query) + '&headers=' +
    encodeURIComponent(JSON.stringify(headers, null, 2));
}
"""


def render(page: PageModel) -> str:
    e = html.escape
    out = ["<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>Community+ sandbox</title>",
           f"<style>{_STYLE}</style><script>{_SCRIPT}</script></head><body>",
           "<h1>Community+ sandbox</h1>",
           f"<p>GraphiQL: <a href='/graphql'>/graphql</a> · fake WeChat: <code>{e(page.wechat_base)}</code> "
           f"(sent messages: <code>{e(page.wechat_base)}/_fake/messages</code>) · first community: "
           f"<b>{e(page.community_name or '-')}</b> <code>{e(page.community_id or '-')}</code></p>"]
    out.append("<h2>Plugin under development</h2><ul>")
    for m in page.modules or [{"name": "(none)", "title": "", "state": "no plugin given", "reason": ""}]:
        cls = "ok" if m["state"].startswith("enabled") else "bad"
        out.append(f"<li><b>{e(m['name'])}</b> {e(m['title'])} — <span class='{cls}'>{e(m['state'])}</span> "
                   f"{e(m.get('reason') or '')}</li>")
    out.append("</ul>")
    first_op = page.operations[0][1] if page.operations else "query { me { name role communityId residentId } }"
    out.append(f"<h2>Log in (password <code>{DEMO_PASSWORD}</code>)</h2>")
    for p in personas(page.resident_user):
        args = ", ".join(json.dumps(v) for v in (p.key, p.login, page.community_id or "", first_op))
        out.append(f"<section><h3>{e(p.label)}</h3><p>{p.note}</p><pre>{e(p.login)}</pre>"
                   f"<button onclick='openAs({e(args)})'>Open GraphiQL logged in</button>"
                   f"<a href='{e(graphiql_link(p.login))}'>open the login in GraphiQL</a></section>")
    out.append("<h2>Example operations</h2><p>Run them after logging in: the token stays in GraphiQL's "
               "headers. <code>PASTE_AN_ID</code> stands for an id from a previous answer.</p>")
    for title, op in page.operations + [
            ("who am I", "query { me { name role communityId residentId } }"),
            ("modules of my community", "query { modules { name title enabled settings } }"),
            ("dashboard figures from modules", "query { moduleStatistics { module key label value } }")]:
        out.append(f"<section><h3>{e(title)}</h3><pre>{e(op)}</pre>"
                   f"<a href='{e(graphiql_link(op))}'>open in GraphiQL</a></section>")
    out.append("</body></html>")
    return "\n".join(out)
