"""`community-plus wechat …`: run the local fake WeChat server for the sandbox.

Registered in the main CLI with `main.add_command(wechat)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets

import click


def _parse_phones(values: tuple[str, ...]) -> dict[str, str]:
    phones: dict[str, str] = {}
    for value in values:
        name, sep, phone = value.partition("=")
        if not sep or not name or not phone:
            raise click.BadParameter(f"{value!r}: use NAME=PHONE, e.g. alice=13812345678", param_hint="--phone")
        phones[name] = phone
    return phones


@click.group("wechat")
def wechat() -> None:
    """WeChat tools: the local fake WeChat server."""


@wechat.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9080, show_default=True, type=int)
@click.option("--appid", default="wx0000000000000000", show_default=True, envvar="CP_WECHAT_APPID")
@click.option("--secret", default=None, envvar="CP_WECHAT_SECRET", help="Default: a random secret, printed.")
@click.option("--unionid/--no-unionid", default=False, help="Behave like an app bound to an open-platform account.")
@click.option("--phone", "phones", multiple=True, metavar="NAME=PHONE",
              help="Register a test user with a phone number (repeatable).")
def sandbox_wechat(host: str, port: int, appid: str, secret: str | None, unionid: bool,
                   phones: tuple[str, ...]) -> None:
    """Run the fake WeChat server (docs/wechat.md) until Ctrl-C."""
    from community_plus_sandbox.wechat.runner import serve_fake_wechat

    secret = secret or secrets.token_hex(16)
    users = _parse_phones(phones)

    def ready(base: str) -> None:
        click.echo(f"Fake WeChat listening on {base}\n")
        click.echo("Point the server at it:")
        click.echo(f"  export CP_WECHAT_API_BASE={base} CP_WECHAT_APPID={appid} CP_WECHAT_SECRET={secret}\n")
        click.echo("Log in as test user NAME (stable openid per name):")
        click.echo("  use the code  user:NAME:any-nonce  (single use), or mint one that expires in 5 minutes:")
        click.echo(f"  curl -X POST '{base}/_fake/code?user=alice'")
        click.echo("Phone codes (for bindPhone):")
        click.echo(f"  curl -X POST {base}/_fake/users -H 'Content-Type: application/json' "
                   "-d '{\"name\": \"alice\", \"phone\": \"13812345678\"}'")
        click.echo(f"  curl -X POST '{base}/_fake/phone_code?user=alice'   (or the code  phone:alice:any-nonce)")
        click.echo("Reserved login codes: wx-fake-40226 (risky user), wx-fake-45011 (rate limited), wx-fake-busy (-1)")
        click.echo(f"Sent subscription messages: curl {base}/_fake/messages")
        if users:
            click.echo("Test users: " + ", ".join(f"{n} ({p})" for n, p in users.items()))

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_fake_wechat(appid, secret, host, port, unionid=unionid, phones=users, on_ready=ready))
