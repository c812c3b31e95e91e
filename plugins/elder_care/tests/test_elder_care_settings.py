"""The typed settings (`ElderCareSettings`): the schema the console edits is derived from the
class with its Chinese titles, what a community stored keeps loading, and rule names must be
unique (the class's cross-field check, a bilingual refusal at the rule's path)."""

from __future__ import annotations

from elder_care.manifest import ElderCareSettings, module

UPDATE = """mutation($c: ID!, $s: JSON!) { updateModuleSettings(communityId: $c, module: "elder_care", settings: $s) {
  settings } }"""


async def test_settings_are_typed_checked_and_keep_loading(community):
    rules = module.settings_schema["properties"]["subsidyRules"]
    assert rules["title"] == "补贴规则" and rules["items"]["required"] == ["name", "hoursPerMonth"]
    assert rules["items"]["properties"]["hoursPerMonth"]["title"] == "每月补贴时长（小时）"

    admin = community.client("community_admin")
    twice = [{"name": "高龄", "minAge": 80, "hoursPerMonth": 10}, {"name": "高龄", "hoursPerMonth": 2}]
    err = await admin.error("BAD_USER_INPUT", UPDATE, {"c": community.id, "s": {"subsidyRules": twice}})
    assert err["extensions"]["fields"] == [{"path": "settings.subsidyRules.1.name",
                                            "message": "规则名称“高龄”重复 (rule names must be unique)"}]
    err = await admin.error("BAD_USER_INPUT", UPDATE, {"c": community.id, "s": {"maxAdvanceDays": 0}})
    assert err["extensions"]["fields"] == [{"path": "settings.maxAdvanceDays", "message": "不能小于 1 (must be ≥ 1)"}]

    await community.configure("elder_care", {"subsidyRules": [{"name": "高龄", "minAge": 80, "hoursPerMonth": 10}],
                                             "monthlyBudgetYuan": 150})
    settings = await community.module_context("elder_care", community.id).settings()
    assert isinstance(settings, ElderCareSettings) and settings.budget_fen == 15000
    assert settings.subsidy_rules[0].coverage_percent == 100 and settings.subsidy_rules[0].tags == []
    assert settings.max_check_in_distance_meters == 300
