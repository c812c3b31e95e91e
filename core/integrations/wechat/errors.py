"""Typed exceptions for WeChat `errcode`s. Code branches on `errcode` only, never on `errmsg`
(it carries request ids such as `rid: 6f1e-…`)."""

from __future__ import annotations

from typing import Any


class WeChatError(Exception):
    """WeChat answered with a non-zero `errcode` (or could not be reached)."""

    errcodes: tuple[int, ...] = ()

    def __init__(self, errcode: int, errmsg: str = "") -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        super().__init__(f"WeChat errcode {errcode}: {errmsg}")


class WeChatConfigError(WeChatError):
    """Our appid/secret/grant type was refused (40002, 40013, 40125): an operator problem."""

    errcodes = (40002, 40013, 40125)


class InvalidCode(WeChatError):
    """A login or phone code is unknown or expired (40029)."""

    errcodes = (40029,)


class CodeUsed(WeChatError):
    """A login code was already exchanged (40163)."""

    errcodes = (40163,)


class RiskyUser(WeChatError):
    """WeChat blocked a high-risk user (40226)."""

    errcodes = (40226,)


class WeChatRateLimited(WeChatError):
    """Too many calls (45009 daily quota, 45011 per-minute limit)."""

    errcodes = (45009, 45011)


class WeChatBusy(WeChatError):
    """WeChat is busy (-1): retry with back-off."""

    errcodes = (-1,)


class WeChatUnavailable(WeChatBusy):
    """No usable answer (network error, timeout, HTTP 5xx, not JSON). Not retried in-client:
    the call may have taken effect (a code consumed, a message sent)."""


class InvalidToken(WeChatError):
    """The access token is invalid, not the latest, or expired (40001, 40014, 42001)."""

    errcodes = (40001, 40014, 42001)


class InvalidOpenid(WeChatError):
    errcodes = (40003,)


class InvalidTemplate(WeChatError):
    errcodes = (40037,)


class InvalidPage(WeChatError):
    errcodes = (41030,)


class NotSubscribed(WeChatError):
    """The user has no subscription grant left for this template (43101)."""

    errcodes = (43101,)


class InvalidRequestFormat(WeChatError):
    """The body was not JSON where WeChat requires it (47001)."""

    errcodes = (47001,)


class InvalidArguments(WeChatError):
    """Invalid template data or arguments (47003, 40097)."""

    errcodes = (47003, 40097)


class InvalidScene(WeChatError):
    errcodes = (40129,)


class UserInactive(WeChatError):
    """msg_sec_check: the user has not opened the mini-program in the last 2 hours (61010)."""

    errcodes = (61010,)


class WeChatDataError(ValueError):
    """Legacy encrypted data cannot be decrypted or belongs to another appid."""


_BY_CODE: dict[int, type[WeChatError]] = {
    code: cls for cls in (WeChatConfigError, InvalidCode, CodeUsed, RiskyUser, WeChatRateLimited, WeChatBusy,
                          InvalidToken, InvalidOpenid, InvalidTemplate, InvalidPage, NotSubscribed,
                          InvalidRequestFormat, InvalidArguments, InvalidScene, UserInactive)
    for code in cls.errcodes
}


def errcode_of(payload: dict[str, Any]) -> int:
    """The reply's `errcode`; a missing one means success (0)."""
    code = payload.get("errcode", 0)
    try:
        return int(code)
    except (TypeError, ValueError):
        return -1


def raise_for(payload: dict[str, Any]) -> None:
    """Raise the typed exception for a non-zero `errcode`; return silently on success."""
    code = errcode_of(payload)
    if code != 0:
        raise _BY_CODE.get(code, WeChatError)(code, str(payload.get("errmsg", "")))
