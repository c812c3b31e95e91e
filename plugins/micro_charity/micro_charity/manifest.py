"""The module manifest: name, permissions, settings schema and the collections it owns."""

from __future__ import annotations

from dataclasses import dataclass

from community_plus_sdk import CollectionSpec, Module, Permission
from community_plus_sdk.settings import setting

NAME = "micro_charity"

STAFF = ("community_admin", "grid_worker")

# -- permissions --------------------------------------------------------------------------------
WISH_POST_FOR_OTHERS = "micro_charity.wish.post_for_others"
WISH_APPROVE = "micro_charity.wish.approve"
WISH_CLAIM = "micro_charity.wish.claim"
PROJECT_MANAGE = "micro_charity.project.manage"
PROJECT_PLEDGE = "micro_charity.project.pledge"
DONATION_RECORD = "micro_charity.donation.record"
ACTIVITY_MANAGE = "micro_charity.activity.manage"
CATALOGUE_MANAGE = "micro_charity.catalogue.manage"
POINTS_VIEW = "micro_charity.points.view"
POINTS_ADJUST = "micro_charity.points.adjust"
REDEMPTION_HANDLE = "micro_charity.redemption.handle"

PERMISSIONS = [
    Permission(WISH_POST_FOR_OTHERS, "代居民发布微心愿", roles=STAFF),
    Permission(WISH_APPROVE, "审核微心愿（可见心愿人身份）", roles=("community_admin",)),
    Permission(WISH_CLAIM, "认领微心愿", roles=("resident", *STAFF)),
    Permission(PROJECT_MANAGE, "发起与关闭公益项目", roles=("community_admin",)),
    Permission(PROJECT_PLEDGE, "认捐公益项目", roles=("resident", *STAFF)),
    Permission(DONATION_RECORD, "登记捐款与收据", roles=("community_admin",)),
    Permission(ACTIVITY_MANAGE, "发布志愿活动、签到签退", roles=STAFF),
    Permission(CATALOGUE_MANAGE, "管理积分兑换目录", roles=("community_admin",)),
    Permission(POINTS_VIEW, "查看居民积分账户", roles=STAFF),
    Permission(POINTS_ADJUST, "调整居民积分", roles=("community_admin",)),
    Permission(REDEMPTION_HANDLE, "发放兑换物品", roles=STAFF),
]

@dataclass(frozen=True)
class CharitySettings:
    """What a community (or its region) tunes; the console's form is derived from it."""

    require_wish_approval: bool = setting(True, "微心愿需审核后公开", "关闭后，内容检测通过的心愿直接公开；存疑内容始终需审核")
    max_open_wishes_per_resident: int = setting(2, "每位居民同时进行中的心愿上限", minimum=1, maximum=20)
    max_wish_value_fen: int = setting(50000, "单个心愿估值上限（分）", minimum=100, maximum=1000000)
    points_per_volunteer_hour: int = setting(10, "每志愿服务小时积分", minimum=0, maximum=1000)
    points_per_wish_fulfilled: int = setting(5, "居民圆梦一个心愿所得积分", minimum=0, maximum=1000)
    max_hours_per_checkout: float = setting(12, "单次签退最多记录小时数", exclusiveMinimum=0, maximum=24)
    check_in_opens_minutes_before: int = setting(120, "活动开始前多少分钟可签到", minimum=0, maximum=1440)


module = Module(
    name=NAME, title="微公益", version="1.0.0",
    description="微心愿认领、公益项目募捐、志愿服务时长与积分兑换",
    icon="heart", entry_page="/pages/micro_charity/index",
    permissions=PERMISSIONS, settings=CharitySettings,
)

_NON_NEGATIVE_INT = {"bsonType": ["int", "long"], "minimum": 0}

COLLECTIONS = [
    CollectionSpec("wishes", indexes=[
        [("communityId", 1), ("state", 1), ("_id", -1)],
        [("communityId", 1), ("gridId", 1), ("state", 1), ("_id", -1)],
        [("communityId", 1), ("wisherResidentId", 1), ("state", 1)],
        [("communityId", 1), ("postedBy", 1), ("_id", -1)],
        [("communityId", 1), ("claimantUserId", 1), ("_id", -1)],
        [("communityId", 1), ("completedAt", 1)],
        [("communityId", 1), ("state", 1), ("completedAt", 1)],  # statistics: completed in a window
        [("communityId", 1), ("gridId", 1), ("postedBy", 1), ("_id", -1)],  # a grid's wishes as its
        [("communityId", 1), ("gridId", 1), ("wisherResidentId", 1), ("_id", -1)],  # poster or wisher sees them
    ], validator={"required": ["state", "title", "alias"],
                  "properties": {"state": {"enum": ["pending_review", "open", "claimed", "fulfilled", "completed",
                                                    "rejected", "cancelled"]}}}),
    CollectionSpec("projects", indexes=[[("communityId", 1), ("state", 1), ("_id", -1)]],
                   validator={"required": ["goalFen", "raisedFen", "pledgedFen"],
                              "properties": {"goalFen": _NON_NEGATIVE_INT, "raisedFen": _NON_NEGATIVE_INT,
                                             "pledgedFen": _NON_NEGATIVE_INT}}),
    CollectionSpec("pledges", indexes=[[("communityId", 1), ("projectId", 1), ("_id", -1)],
                                       [("communityId", 1), ("pledgerUserId", 1), ("_id", -1)]]),
    CollectionSpec("donations", indexes=[[("communityId", 1), ("projectId", 1), ("_id", -1)],
                                         [("communityId", 1), ("recordedAt", 1)]],
                   validator={"required": ["amountFen", "receiptNo"],
                              "properties": {"amountFen": {"bsonType": ["int", "long"], "minimum": 1}}}),
    # one row per receipt number (`_id` = community + number): a receipt is recorded once
    CollectionSpec("receipts"),
    CollectionSpec("activities", indexes=[[("communityId", 1), ("state", 1), ("_id", -1)],
                                          [("communityId", 1), ("endsAt", 1), ("_id", -1)]],
                   validator={"required": ["capacity", "signedUp"],
                              "properties": {"signedUp": _NON_NEGATIVE_INT, "capacity": _NON_NEGATIVE_INT}}),
    # `_id` = activity + resident: one sign-up per volunteer and activity
    CollectionSpec("signups", indexes=[[("communityId", 1), ("activityId", 1), ("_id", 1)],
                                       [("communityId", 1), ("residentId", 1), ("activityId", 1)],
                                       [("communityId", 1), ("checkedOutAt", 1)]]),
    # `_id` = "acct:" + resident: the points balance, never negative (also enforced by the validator)
    CollectionSpec("accounts", validator={"required": ["balance"],
                                          "properties": {"balance": _NON_NEGATIVE_INT,
                                                         "earned": _NON_NEGATIVE_INT,
                                                         "spent": _NON_NEGATIVE_INT}}),
    CollectionSpec("ledger", indexes=[[("communityId", 1), ("residentId", 1), ("_id", -1)],
                                      [("communityId", 1), ("createdAt", 1)]]),
    CollectionSpec("redemptions", indexes=[[("communityId", 1), ("residentId", 1), ("_id", -1)],
                                           [("communityId", 1), ("state", 1), ("_id", -1)]]),
    # `_id` = community + user + operation + client key: replays return the first result
    CollectionSpec("idempotency_keys"),
]
