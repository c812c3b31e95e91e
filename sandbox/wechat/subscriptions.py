"""The rules of a subscription message's body (`subscribeMessage.send`): the mini-program
state and language it names, and its `data`, one `{"value": …}` per keyword of the template,
each within its kind's limits (`thing` 20 characters, `phrase` 5 Chinese characters…)."""

from __future__ import annotations

import re
from typing import Any

from .faults import WeChatFault

# Subscription template keyword kinds and their value length limits (characters).
VALUE_LIMITS = {"thing": 20, "number": 32, "letter": 32, "symbol": 5, "character_string": 32, "time": 32,
                "date": 32, "amount": 32, "phone_number": 17, "car_number": 8, "name": 10, "phrase": 5}
STATES = ("developer", "trial", "formal")
LANGS = ("zh_CN", "en_US", "zh_HK", "zh_TW")


def check_template_data(keys: list[str], data: Any) -> None:
    """47003 unless `data` has a valid value for every keyword of the template."""
    if not isinstance(data, dict):
        raise WeChatFault(47003, "data must be an object")
    for key in keys:
        entry = data.get(key)
        value = entry.get("value") if isinstance(entry, dict) else None
        if not isinstance(value, str | int | float) or isinstance(value, bool) or str(value) == "":
            raise WeChatFault(47003, f"data.{key}.value is empty")
        kind = re.sub(r"\d+$", "", key)
        limit = VALUE_LIMITS.get(kind)
        if limit is not None and len(str(value)) > limit:
            raise WeChatFault(47003, f"data.{key}.value invalid")
        if kind == "number" and not re.fullmatch(r"\d+(\.\d+)?", str(value)):
            raise WeChatFault(47003, f"data.{key}.value invalid")
        if kind == "phrase" and not re.fullmatch(r"[\u3400-\u4dbf\u4e00-\u9fff]+", str(value)):
            raise WeChatFault(47003, f"data.{key}.value invalid")  # a phrase is Chinese characters only
