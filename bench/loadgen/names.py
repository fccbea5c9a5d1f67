"""Believable Chinese names for generated parties and products (deterministic per rng)."""

from __future__ import annotations

import random

_NICK_HEAD = ["小", "阿", "大", "甜", "酷", "萌", "老", "", "", ""]
_NICK_BODY = [
    "鹿", "杰", "美", "悦", "星", "月", "橙", "柚", "糖", "森", "夏", "言", "宁", "乐",
    "桃", "禾", "苏", "北", "南", "安", "可", "晴", "川", "溪",
]  # fmt: skip
_NICK_TAIL = [
    "爱分享", "直播间", "好物", "日记", "严选", "的小店", "测评", "生活家", "种草机", "优选",
    "穿搭", "美食记", "", "",
]  # fmt: skip
_SHOP_HEAD = [
    "山野", "小满", "拾光", "青禾", "木子", "云间", "初见", "半岛", "暖阳", "知味",
    "栖溪", "晨曦", "南山", "北屿", "繁花", "素问",
]  # fmt: skip
_SHOP_TAIL = ["旗舰店", "生活馆", "优品店", "工作室", "专营店", "家居馆", "食品店", "美妆店"]
_AGENCY_TAIL = ["传媒", "文化", "互娱", "网络科技", "直播基地"]
_PRODUCT_ADJ = ["经典", "新款", "加厚", "轻薄", "便携", "大容量", "有机", "手工", "进口", "限定"]
_PRODUCT_NOUN = [
    "保温杯", "四件套", "面霜", "连衣裙", "蓝牙耳机", "坚果礼盒", "跑步鞋", "收纳箱",
    "洗发水", "双肩包", "咖啡豆", "电煮锅", "瑜伽垫", "口红", "猫粮", "台灯",
]  # fmt: skip


def creator_nickname(rng: random.Random, i: int) -> str:
    return f"{rng.choice(_NICK_HEAD)}{rng.choice(_NICK_BODY)}{rng.choice(_NICK_TAIL)}{i}"


def shop_name(rng: random.Random, i: int) -> str:
    return f"{rng.choice(_SHOP_HEAD)}{rng.choice(_SHOP_TAIL)}{i}"


def agency_name(rng: random.Random, i: int) -> str:
    return f"{rng.choice(_SHOP_HEAD)}{rng.choice(_AGENCY_TAIL)} MCN {i}"


def product_title(rng: random.Random, i: int) -> str:
    return f"{rng.choice(_SHOP_HEAD)}{rng.choice(_PRODUCT_ADJ)}{rng.choice(_PRODUCT_NOUN)} {i}"
