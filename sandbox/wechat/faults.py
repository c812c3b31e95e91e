"""WeChat's error answers as the fake gives them: `{"errcode": …, "errmsg": …}` with the
errmsg texts WeChat sends (docs/wechat.md lists which endpoint answers which)."""

from __future__ import annotations

ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40029: "invalid code",
    40037: "invalid template_id",
    40097: "invalid args",
    40125: "invalid appsecret",
    40129: "invalid scene",
    40163: "code been used",
    40226: "high risk user, login blocked",
    41001: "access_token missing",
    41030: "invalid page",
    42001: "access_token expired",
    43101: "user refuse to accept the msg",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit, mustslower, retry next minute",
    47001: "data format error",
    47003: "argument invalid!",
    61010: "user access expired",
}


class WeChatFault(Exception):
    """Raised inside the fake to answer with `{"errcode": ..., "errmsg": ...}`."""

    def __init__(self, errcode: int, detail: str = "") -> None:
        self.errcode = errcode
        base = ERRMSG.get(errcode, "error")
        self.errmsg = f"{base} {detail}".strip()
        super().__init__(self.errmsg)
