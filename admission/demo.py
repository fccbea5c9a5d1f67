"""Demo data for parties (used by ``seed_demo``). Idempotent: safe to run again."""

from __future__ import annotations

import random
from decimal import Decimal
from functools import cache

from django.contrib.auth.hashers import make_password
from django.db import transaction

from admission.models import (
    Agency,
    Category,
    Creator,
    Merchant,
    Provider,
    Role,
    SellerType,
    ShopStatus,
    User,
)

DEMO_PASSWORD = "hotwave-demo"  # noqa: S105 - documented demo password (SPEC §6)


@cache
def _demo_password_hash() -> str:
    # Hash once: PBKDF2 per user would make seeding ~1 s per account.
    return make_password(DEMO_PASSWORD)


def _user(username: str, role: str, *, staff: bool = False, first_name: str = "") -> User:
    user, _ = User.objects.get_or_create(
        username=username,
        defaults={
            "role": role,
            "is_staff": staff,
            "first_name": first_name,
            "password": _demo_password_hash(),
        },
    )
    return user


def _creator(user: User, **fields) -> Creator:
    categories = fields.pop("categories", [])
    creator, _ = Creator.objects.update_or_create(user=user, defaults=fields)
    if categories:
        creator.categories.set(Category.objects.filter(code__in=categories))
    return creator


@transaction.atomic
def seed_users() -> dict[str, User]:
    """The seven SPEC §6 users with their admission data (no cooperation data)."""
    users: dict[str, User] = {}
    u = users["demo_merchant"] = _user("demo_merchant", Role.MERCHANT)
    Merchant.objects.update_or_create(
        user=u,
        defaults={
            "shop_name": "小满生活馆",
            "seller_type": SellerType.TAOBAO,
            "shop_status": ShopStatus.NORMAL,
            "alipay_verified": True,
        },
    )
    ops = users["demo_tmall_ops"] = _user("demo_tmall_ops", Role.MERCHANT)
    Merchant.objects.update_or_create(
        user=ops,
        defaults={
            "shop_name": "山野旗舰店运营账户",
            "seller_type": SellerType.TAOBAO,
            "shop_status": ShopStatus.NORMAL,
            "alipay_verified": True,
        },
    )
    u = users["demo_tmall"] = _user("demo_tmall", Role.MERCHANT)
    Merchant.objects.update_or_create(
        user=u,
        defaults={
            "shop_name": "山野旗舰店",
            "seller_type": SellerType.TMALL,
            "shop_status": ShopStatus.NORMAL,
            "alipay_verified": True,
            "operating_account": ops,
        },
    )
    u = users["demo_creator"] = _user("demo_creator", Role.CREATOR)
    _creator(
        u,
        nickname="小鹿爱分享",
        bio="家居好物与美食测评，每周三、周六晚八点直播。",
        fans=386_000,
        avg_viewers=12_400,
        quote=Decimal("3000.00"),
        level=3,
        alipay_verified=True,
        categories=["home", "food"],
    )
    u = users["demo_agency"] = _user("demo_agency", Role.AGENCY)
    Agency.objects.update_or_create(
        user=u,
        defaults={"name": "星河传媒 MCN", "registered_verified": True, "licence_verified": True},
    )
    u = users["demo_streamer"] = _user("demo_streamer", Role.CREATOR)
    _creator(
        u,
        nickname="阿杰直播间",
        bio="数码与运动装备主播，星河传媒签约达人。",
        fans=1_250_000,
        avg_viewers=48_000,
        quote=Decimal("12000.00"),
        level=4,
        alipay_verified=True,
        categories=["digital", "sports"],
    )
    u = users["demo_newbie"] = _user("demo_newbie", Role.CREATOR)
    _creator(
        u,
        nickname="新人小白",
        bio="刚开始做直播的美妆爱好者。",
        fans=820,
        avg_viewers=35,
        quote=Decimal("200.00"),
        level=0,
        alipay_verified=False,
        categories=["beauty"],
    )
    u = users["demo_operator"] = _user(
        "demo_operator", Role.OPERATOR, staff=True, first_name="运营小王"
    )
    if not u.is_superuser:
        u.is_superuser = True
        u.save(update_fields=["is_superuser"])
    return users


NICK_A = "小甜 阿珂 大鹏 一只 认真 会笑的 元气 柚子 小橘 周周 安安 糖糖 木木 七七 麦兜 暖暖 阿宝 皮皮 乐乐 豆豆".split()
NICK_B = "的好物 测评 直播间 说美妆 爱穿搭 吃货 数码控 宝妈 运动派 种草机 家居志 养宠记 读书会 小厨房 旅行家".split()
CATS = [
    "beauty",
    "fashion",
    "food",
    "mother",
    "digital",
    "home",
    "sports",
    "jewelry",
    "books",
    "pets",
]


@transaction.atomic
def seed_world(*, creators: int = 60, seed: int = 20261127) -> None:
    """A believable world: creators, merchants, agencies, providers in every state."""
    rnd = random.Random(seed)
    agencies = []
    for i, (name, registered) in enumerate(
        [("星河传媒 MCN", True), ("晨光文化", True), ("新芽机构", False)], start=1
    ):
        u = _user(f"agency{i:02d}", Role.AGENCY)
        a, _ = Agency.objects.update_or_create(
            user=u,
            defaults={
                "name": name,
                "registered_verified": registered,
                "licence_verified": registered,
            },
        )
        agencies.append(a)
    for i in range(1, creators + 1):
        u = _user(f"creator{i:03d}", Role.CREATOR)
        level = rnd.choices(range(7), weights=[8, 20, 22, 18, 14, 10, 8])[0]
        fans = int(rnd.paretovariate(1.2) * 8_000)
        _creator(
            u,
            nickname=f"{rnd.choice(NICK_A)}{rnd.choice(NICK_B)}{i}",
            fans=fans,
            avg_viewers=max(10, int(fans * rnd.uniform(0.01, 0.06))),
            quote=Decimal(rnd.choice([300, 500, 800, 1200, 2000, 3000, 5000, 8000, 15000])),
            level=level,
            alipay_verified=rnd.random() < 0.9,
            guangguang_eligible=rnd.random() < 0.25,
            categories=rnd.sample(CATS, k=rnd.choice([1, 1, 2, 3])),
        )
    shops = [
        ("merchant01", "花间美妆店", SellerType.TAOBAO, ShopStatus.NORMAL, True),
        ("merchant02", "阿里山茶叶铺", SellerType.TAOBAO, ShopStatus.NORMAL, True),
        ("merchant03", "潮玩数码旗舰店", SellerType.TMALL, ShopStatus.NORMAL, True),
        ("merchant04", "小城童装", SellerType.TAOBAO, ShopStatus.RESTRICTED, True),
        ("merchant05", "未认证小店", SellerType.TAOBAO, ShopStatus.NORMAL, False),
        ("merchant06", "已关闭的店", SellerType.TAOBAO, ShopStatus.CLOSED, True),
    ]
    for username, shop, kind, status, verified in shops:
        u = _user(username, Role.MERCHANT)
        Merchant.objects.update_or_create(
            user=u,
            defaults={
                "shop_name": shop,
                "seller_type": kind,
                "shop_status": status,
                "alipay_verified": verified,
            },
        )
    for i, (company, verified) in enumerate(
        [("优选代运营有限公司", True), ("待审核服务商", False)], start=1
    ):
        u = _user(f"provider{i:02d}", Role.PROVIDER)
        Provider.objects.update_or_create(
            user=u,
            defaults={
                "company_name": company,
                "licence_verified": verified,
                "linked_agency": agencies[0] if verified else None,
                "linked_company": company,
            },
        )


def seed(*, users_only: bool, context: dict) -> None:
    """seed_demo step for admission: the demo users, and without --users-only the world."""
    context["users"] = seed_users()
    if not users_only:
        seed_world()
