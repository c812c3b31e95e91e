"""The typed settings (`MealSettings`): what a community stored before keeps loading (keys it
lacks take their defaults, nested ones too), refusals are bilingual and name the setting's
path, and the class's cross-field check runs on every update."""

from __future__ import annotations

from meal_assist.manifest import AgeBand, Cutoff, MealSettings
from meal_assist.rules import Rules

UPDATE = """mutation($c: ID!, $s: JSON!) { updateModuleSettings(communityId: $c, module: "meal_assist", settings: $s) {
  settings } }"""


async def test_stored_settings_load_typed_with_defaults(meal):
    # a row written before `cutoffs` had a lunch entry or `deliveryFeeFen` existed, with a key since retired
    await meal.c.platform.db["module_settings"].update_one(
        {"regionId": meal.c.id, "module": "meal_assist"},
        {"$set": {"settings": {"perMealCapFen": 600, "cutoffs": {"dinner": {"daysBefore": 1, "time": "20:00"}},
                               "ageBands": [{"minAge": 65, "subsidyFen": 250}], "retiredOption": True}}}, upsert=True)
    settings = await meal.c.module_context("meal_assist", meal.c.id).settings()
    assert isinstance(settings, MealSettings)
    assert settings.per_meal_cap_fen == 600 and settings.delivery_fee_fen == 200
    assert settings.age_bands == [AgeBand(min_age=65, max_age=None, subsidy_fen=250)]
    assert settings.cutoffs.dinner == Cutoff(days_before=1, time="20:00")
    assert settings.cutoffs.lunch == Cutoff(days_before=0, time="09:00")  # the nested default
    assert Rules.of(settings).cutoffs["breakfast"][0] == 1


async def test_refusals_are_bilingual_and_name_the_path(meal):
    admin = meal.admin
    bad = {"ageBands": [{"minAge": 80, "maxAge": 70, "subsidyFen": 100}]}
    err = await admin.error("BAD_USER_INPUT", UPDATE, {"c": meal.c.id, "s": bad})
    assert err["extensions"]["fields"] == [{"path": "settings.ageBands.0.maxAge",
                                            "message": "最高年龄不能小于最低年龄80 (must be at least minAge 80)"}]
    err = await admin.error("BAD_USER_INPUT", UPDATE, {"c": meal.c.id, "s": {
        "eligibleTags": ["LOW_INCOME", "LOW_INCOME"], "cutoffs": {"lunch": {"daysBefore": 0, "time": "25:00"}},
        "ageBands": [{"subsidyFen": 100}]}})
    assert {f["path"]: f["message"] for f in err["extensions"]["fields"]} == {
        "settings.eligibleTags": "不能有重复项 (items must be unique)",
        "settings.cutoffs.lunch.time": "格式不正确 (must match ^([01][0-9]|2[0-3]):[0-5][0-9]$)",
        "settings.ageBands.0.minAge": "必填 (required)"}
    saved = await meal.configure(cutoffs={"lunch": {"daysBefore": 0, "time": "10:00"}})
    assert saved["cutoffs"] == {"lunch": {"daysBefore": 0, "time": "10:00"}}
    assert (await meal.c.module_context("meal_assist", meal.c.id).settings()).cutoffs.lunch.time == "10:00"
