"""The SDK's shared parts (no database): strict opaque cursors and in-memory connections, the
one clock and China-time helpers, ids, the field-error collector and notification fitting.
Collections are paged through `relay.paginate` in every module's own tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from community_plus.platform.errors import BadUserInput, FieldErrors
from community_plus_sdk import UserInputError, fields
from community_plus_sdk import errors as sdk_errors
from community_plus_sdk.clock import age_on, as_utc, china_date, clock, day_range, month_of, month_start, new_id
from community_plus_sdk.notify import PHRASE_MAX, THING_MAX, fit, module_notice_data, notice_state
from community_plus_sdk.relay import decode_cursor, encode_cursor, from_rows, page_size
from community_plus_sdk.settings import load, problem


def test_cursors_are_strict_and_opaque():
    cursor = encode_cursor("65f0c0ffee")
    assert decode_cursor(cursor) == "65f0c0ffee"
    for bad in ("%%%", "", "65f0c0ffee", cursor + "=", encode_cursor("a\nb")):
        with pytest.raises(UserInputError) as caught:
            decode_cursor(bad)
        assert set(caught.value.fields) == {"after"}
    with pytest.raises(UserInputError):
        page_size(-1)
    assert page_size(500) == 100  # capped like the core's lists


def test_connection_over_rows_in_memory():
    rows = [{"_id": f"r{i}"} for i in range(5)]
    first = from_rows(rows, lambda r: r["_id"], 2, None)
    assert [e.node for e in first.edges] == ["r0", "r1"] and first.total_count == 5
    assert first.page_info.has_next_page and not first.page_info.has_previous_page
    rest = from_rows(rows, lambda r: r["_id"], 10, first.page_info.end_cursor)
    assert [e.node for e in rest.edges] == ["r2", "r3", "r4"] and not rest.page_info.has_next_page
    with pytest.raises(UserInputError):
        from_rows(rows, lambda r: r, 2, encode_cursor("gone"))


def test_the_clock_moves_and_china_dates():
    try:
        clock.set(datetime(2030, 3, 14, 23, 30))  # naive: China time
        assert clock.now() == datetime(2030, 3, 14, 15, 30, tzinfo=UTC)
        clock.advance(hours=1)
        assert china_date() == date(2030, 3, 15)
    finally:
        clock.reset()
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 5
    assert day_range(date(2030, 3, 15)) == (datetime(2030, 3, 14, 16, tzinfo=UTC), datetime(2030, 3, 15, 16, tzinfo=UTC))
    assert month_of(datetime(2025, 6, 30, 17, 0, tzinfo=UTC)) == "2025-07" == month_of(date(2025, 7, 3))
    assert month_start("2025-07") == datetime(2025, 6, 30, 16, tzinfo=UTC)
    assert as_utc(None) is None and age_on(date(1940, 3, 2), date(2025, 3, 1)) == 84


def test_ids_sort_by_creation():
    ids = [new_id() for _ in range(1000)]
    assert ids == sorted(ids) and len(set(ids)) == 1000 and all(len(i) == 24 for i in ids)


def test_one_field_error_collector_for_modules_and_core():
    problems = sdk_errors.FieldErrors("input")
    problems.text("title", "  ", max_length=5, required=True)
    problems.text("note", "太长了太长了", max_length=5)
    problems.value("count", fields.Integer(min=1), 0)
    problems.idempotency_key("idempotencyKey", "bad key!")
    problems.add("title", "second problem of a field is dropped")
    with pytest.raises(UserInputError) as caught:
        problems.raise_if_any()
    assert caught.value.fields == {"input.title": "必填 (required)", "input.note": "最多5字 (at most 5 characters)",
                                   "input.count": caught.value.fields["input.count"],
                                   "input.idempotencyKey": caught.value.fields["input.idempotencyKey"]}
    core = FieldErrors()
    core.add("input.name", "必填 (required)")
    with pytest.raises(BadUserInput) as refused:
        core.raise_if_any()
    assert refused.value.extensions["fields"] == [{"path": "input.name", "message": "必填 (required)"}]
    assert BadUserInput.code == UserInputError.code and sdk_errors.status_for("FORBIDDEN") == 403


def test_notifications_fit_wechat_limits_in_china_time():
    long_title = "请于周六上午九点前到社区食堂领取您预订的午餐"
    assert fit(long_title, THING_MAX) == long_title[:19] + "…" and len(fit(long_title, THING_MAX)) == 20
    assert fit("  已 完成 ", PHRASE_MAX) == "已 完成" and fit("已经全部完成了", PHRASE_MAX) == "已经全部…"
    data = module_notice_data("送餐到家", "已送达", datetime(2030, 3, 14, 16, 5, tzinfo=UTC))
    assert data == {"thing1": {"value": "送餐到家"}, "phrase2": {"value": "已送达"},
                    "time3": {"value": "2030-03-15 00:05"}}  # China time: 16:05 UTC is the next day 00:05
    assert module_notice_data(long_title, "已完成", datetime(2030, 3, 14, tzinfo=UTC))["thing1"]["value"] == \
        fit(long_title, THING_MAX)  # a title is cut, never refused
    for state in ("已经全部完成了", "OK", "已完成!", ""):  # a state is never cut: WeChat's phrase is 1-5 Chinese characters
        with pytest.raises(ValueError, match="Chinese characters"):
            notice_state(state)
    with pytest.raises(ValueError, match="title is empty"):
        module_notice_data("   ", "已完成", datetime(2030, 3, 14, tzinfo=UTC))


def test_typed_settings_derive_the_schema_and_load_effective_values():
    from micro_charity.manifest import CharitySettings, module

    props = module.settings_schema["properties"]
    assert props["maxOpenWishesPerResident"] == {"type": "integer", "default": 2, "minimum": 1, "maximum": 20,
                                                 "title": "每位居民同时进行中的心愿上限"}
    assert props["requireWishApproval"]["description"].startswith("关闭后")
    loaded = load(CharitySettings, {**module.default_settings(), "maxWishValueFen": 800, "unknown": 1})
    assert loaded.max_wish_value_fen == 800 and loaded.require_wish_approval is True
    assert problem("maximum", 20, "25 is greater than the maximum of 20") == "不能大于 20 (must be ≤ 20)"
    assert problem("dependentRequired", {}, "x is a dependency") == "设置值无效 (x is a dependency)"


def test_plugin_check_flags_notify_states_wechat_refuses(tmp_path):
    from community_plus.devtools.source_checks import check_notify
    from community_plus.devtools.project import GROUP, PluginProject

    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "cp-notes"\nversion = "0.1.0"\n'
                                             f'[project.entry-points."{GROUP}"]\nnotes = "notes"\n', "utf-8")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "__init__.py").write_text(
        "async def go(ctx, tx, state):\n"
        "    await ctx.notify(['u'], '短标题', '已完成')\n"  # fine
        "    await ctx.notify(['u'], '短标题', state)\n"  # not a literal: checked when called
        "    await tx.notify(['u'], title='短标题', state='Done')\n"
        "    await ctx.notify(['u'], '请于周六上午九点前到社区食堂领取您预订的午餐', '已经全部完成了')\n", "utf-8")
    problems = check_notify(PluginProject.load(tmp_path))
    found = sorted((p.line, p.severity, p.message.split(":")[0]) for p in problems)
    assert found == [(4, "error", "notify state 'Done' is not 1 to 5 Chinese characters"),
                     (5, "error", "notify state '已经全部完成了' is not 1 to 5 Chinese characters"),
                     (5, "warning", "notify title '请于周六上午九点前到社区食堂领取您预订的午餐' has 22 characters")]
    assert all(p.file == "notes/__init__.py" and p.check == "notify" for p in problems)
