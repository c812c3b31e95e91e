"""Plausible Chinese demo data: region tree, names, ID numbers, phones, grid geometry."""

from __future__ import annotations

import random
from datetime import date, timedelta

from community_plus.platform.validation import id_check_digit

PROVINCE = ("320000", "江苏省")
CITY = ("320100", "南京市")
DISTRICTS = [("320102", "玄武区"), ("320104", "秦淮区"), ("320105", "建邺区"), ("320106", "鼓楼区")]
STREETS = ["梅园新村街道", "新街口街道", "玄武门街道", "锁金村街道", "夫子庙街道", "朝天宫街道", "双塘街道",
           "中华门街道", "南湖街道", "莫愁湖街道", "沙洲街道", "兴隆街道", "宁海路街道", "湖南路街道"]
COMMUNITY_WORDS = ["长江", "东方", "和平", "友谊", "幸福", "光明", "振兴", "新华", "红旗", "锦绣", "丹凤", "兰园",
                   "百子亭", "碑亭巷", "太平", "梅园", "龙蟠", "武定门", "雨花", "钟山", "清凉", "石城", "秦淮", "凤凰"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN_M = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁龙浩宇俊峰建国志文海林东亮成庆彬"
GIVEN_F = "芳娜敏静丽艳娟霞秀玲燕红梅琳雪婷慧颖倩洁兰萍玉凤英华琴云莉"
BASE_LON, BASE_LAT = 118.78, 32.04


def community_name(i: int) -> str:
    return f"{COMMUNITY_WORDS[i % len(COMMUNITY_WORDS)]}社区" if i < len(COMMUNITY_WORDS) else \
        f"{COMMUNITY_WORDS[i % len(COMMUNITY_WORDS)]}{i // len(COMMUNITY_WORDS) + 1}社区"


def person_name(rng: random.Random, gender: str) -> str:
    pool = GIVEN_M if gender == "male" else GIVEN_F
    given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def id_number(area: str, birth: date, seq: int, gender: str) -> str:
    """A checksum-valid ID number; the 17th digit is odd for men, even for women."""
    seq3 = seq * 2 + (1 if gender == "male" else 0)  # seq < 500
    first17 = f"{area}{birth:%Y%m%d}{seq3:03d}"
    return first17 + id_check_digit(first17)


def phone(rng: random.Random) -> str:
    return rng.choice(["138", "139", "150", "151", "186", "187", "135", "177", "199"]) + f"{rng.randrange(10**8):08d}"


def birth_date(rng: random.Random, today: date, min_age: int, max_age: int) -> date:
    return today - timedelta(days=rng.randint(min_age * 365, max_age * 365 + 364))


def square(lon: float, lat: float, w: float, h: float) -> dict:
    ring = [[lon, lat], [lon + w, lat], [lon + w, lat + h], [lon, lat + h], [lon, lat]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def community_origin(index: int) -> tuple[float, float]:
    """Communities tile a map 0.012° wide, 0.008° tall, 6 per row."""
    return BASE_LON + (index % 6) * 0.012, BASE_LAT + (index // 6) * 0.008


def grid_boundaries(index: int, grids: int) -> list[dict]:
    """Split the community's tile into `grids` columns-by-rows rectangles."""
    lon, lat = community_origin(index)
    cols = 3 if grids > 2 else grids
    rows = (grids + cols - 1) // cols
    w, h = 0.012 / cols, 0.008 / rows
    return [square(lon + (g % cols) * w, lat + (g // cols) * h, w, h) for g in range(grids)]
