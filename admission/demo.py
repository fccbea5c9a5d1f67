"""Demo data for parties (used by ``seed_demo``). Idempotent: safe to run again."""

from __future__ import annotations

import random
import zlib
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from admission import starter_content
from admission.models import (
    Activity,
    Agency,
    AgreementSignature,
    Assessment,
    AssessmentStatus,
    Category,
    Creator,
    DesignationStatus,
    MarketingCompliance,
    Merchant,
    OperatingAccountRequest,
    PermissionStatus,
    ProductPermission,
    Provider,
    RestrictedProduct,
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


# How long ago the demo users joined (days); everyone else: spread over 45–420 days by
# name, so the world's join dates read like months of sign-ups, not one afternoon.
JOINED_DAYS_AGO = {
    "demo_merchant": 236,
    "demo_tmall": 301,
    "demo_tmall_ops": 298,
    "demo_creator": 187,
    "demo_streamer": 342,
    "demo_agency": 405,
    "demo_newbie": 6,
    "demo_operator": 520,
}


def _joined(username: str) -> datetime:
    crc = zlib.crc32(username.encode())
    days = JOINED_DAYS_AGO.get(username, 45 + crc % 376)
    return timezone.now() - timedelta(days=days, hours=crc % 11, minutes=crc % 59)


def _user(username: str, role: str, *, staff: bool = False, first_name: str = "") -> User:
    user, _ = User.objects.get_or_create(
        username=username,
        defaults={
            "role": role,
            "is_staff": staff,
            "first_name": first_name,
            "password": _demo_password_hash(),
            # A mailbox for 忘记密码 (`make demo` prints the email on the console).
            "email": f"{username}@example.com",
            "date_joined": _joined(username),
        },
    )
    if not user.email:
        user.email = f"{username}@example.com"
        user.save(update_fields=["email"])
    return user


def _creator(user: User, **fields) -> Creator:
    categories = fields.pop("categories", [])
    creator, _ = Creator.objects.update_or_create(user=user, defaults=fields)
    if categories:
        creator.categories.set(Category.objects.filter(code__in=categories))
    return creator


def ensure_reference_data() -> None:
    """Categories and the first agreement version, as the data migrations create them.

    A flushed database (transactional tests) loses migration data; demo seeding
    puts it back so demo users can still sign and be admitted.
    """
    from django.apps import apps as django_apps

    starter_content.ensure_reference_data(django_apps)


def _sign(user: User) -> None:
    """The demo party signed the agreement version in force (once; signing is idempotent)."""
    from admission.rules import current_agreement

    agreement = current_agreement()
    if agreement is not None:
        AgreementSignature.objects.get_or_create(
            user=user, agreement=agreement, defaults={"signed_at": timezone.now()}
        )


@transaction.atomic
def seed_users() -> dict[str, User]:
    """The seven SPEC §6 users with their admission data (no cooperation data)."""
    ensure_reference_data()
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
    _sign(u)
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
    _sign(ops)
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
    _sign(u)
    u = users["demo_agency"] = _user("demo_agency", Role.AGENCY)
    Agency.objects.update_or_create(
        user=u,
        defaults={"name": "星河传媒 MCN", "registered_verified": True, "licence_verified": True},
    )
    _sign(u)
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
    _sign(u)
    u = users["demo_newbie"] = _user("demo_newbie", Role.CREATOR)
    _creator(
        u,
        nickname="新人小白",
        bio="刚开始做直播的美妆爱好者。",
        fans=820,
        avg_viewers=35,
        quote=Decimal("200.00"),
        # V1 already: what stands between the newbie and admission is the agreement
        # (it can sign itself) and Alipay real-name (awaiting an operator).
        level=1,
        alipay_verified=False,
        guangguang_eligible=False,
        categories=["beauty"],
    )
    u = users["demo_operator"] = _user(
        "demo_operator", Role.OPERATOR, staff=True, first_name="运营小王"
    )
    # Staff, not superuser: the workbench seed puts it in the 运营 group, whose
    # per-model permissions are what it may do in admin (issue #8, item 13).
    if u.is_superuser:
        u.is_superuser = False
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


def _unique_nickname(first: str, second: str, taken: set[str]) -> str:
    """first + second, or the next unused ending: no numbered "阿宝测评26" look-alikes."""
    start = NICK_B.index(second)
    for k in range(len(NICK_B)):
        nickname = first + NICK_B[(start + k) % len(NICK_B)]
        if nickname not in taken:
            break
    else:  # every ending taken for this first part (only past 300 creators)
        nickname = f"{first}{second}{len(taken)}"
    taken.add(nickname)
    return nickname


@transaction.atomic
def seed_world(*, creators: int = 60, seed: int = 20261127) -> None:
    """A believable world: creators, merchants, agencies, providers in every admission state.

    Admitted by each route, and missing each condition: unsigned, Alipay pending,
    V0, shop 受限/关闭, Tmall without (or with an unconfirmed) operating account,
    agency not registered, provider with assessment pending / rejected / approved.
    """
    rnd = random.Random(seed)
    signing = random.Random(seed + 1)  # separate stream: keeps the creators' data stable
    agencies = []
    for i, (name, registered, signed) in enumerate(
        [("星河传媒 MCN", True, True), ("晨光文化", True, True), ("新芽机构", False, True)],
        start=1,
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
        if signed:
            _sign(u)
        agencies.append(a)
    taken: set[str] = set()
    for i in range(1, creators + 1):
        u = _user(f"creator{i:03d}", Role.CREATOR)
        level = rnd.choices(range(7), weights=[8, 20, 22, 18, 14, 10, 8])[0]
        fans = int(rnd.paretovariate(1.2) * 8_000)
        _creator(
            u,
            nickname=_unique_nickname(rnd.choice(NICK_A), rnd.choice(NICK_B), taken),
            fans=fans,
            avg_viewers=max(10, int(fans * rnd.uniform(0.01, 0.06))),
            quote=Decimal(rnd.choice([300, 500, 800, 1200, 2000, 3000, 5000, 8000, 15000])),
            level=level,
            alipay_verified=rnd.random() < 0.9,
            guangguang_eligible=rnd.random() < 0.25,
            categories=rnd.sample(CATS, k=rnd.choice([1, 1, 2, 3])),
        )
        if signing.random() < 0.9:
            _sign(u)
    shops = [
        # username, shop, type, status, Alipay verified, signed
        ("merchant01", "花间美妆店", SellerType.TAOBAO, ShopStatus.NORMAL, True, True),
        ("merchant02", "阿里山茶叶铺", SellerType.TAOBAO, ShopStatus.NORMAL, True, True),
        ("merchant03", "潮玩数码旗舰店", SellerType.TMALL, ShopStatus.NORMAL, True, False),
        ("merchant03_ops", "潮玩数码运营账户", SellerType.TAOBAO, ShopStatus.NORMAL, True, True),
        ("merchant04", "小城童装", SellerType.TAOBAO, ShopStatus.RESTRICTED, True, True),
        ("merchant05", "未认证小店", SellerType.TAOBAO, ShopStatus.NORMAL, False, True),
        ("merchant06", "已关闭的店", SellerType.TAOBAO, ShopStatus.CLOSED, True, True),
        ("merchant07", "云朵家纺天猫店", SellerType.TMALL, ShopStatus.NORMAL, True, False),
        ("merchant07_ops", "云朵家纺运营账户", SellerType.TAOBAO, ShopStatus.NORMAL, True, True),
        ("merchant08", "未签协议的杂货铺", SellerType.TAOBAO, ShopStatus.NORMAL, True, False),
    ]
    merchants = {}
    for username, shop, kind, status, verified, signed in shops:
        u = _user(username, Role.MERCHANT)
        merchants[username], _ = Merchant.objects.update_or_create(
            user=u,
            defaults={
                "shop_name": shop,
                "seller_type": kind,
                "shop_status": status,
                "alipay_verified": verified,
            },
        )
        if signed:
            _sign(u)
    # merchant03 (Tmall) is admitted through its operating account; merchant07 has
    # asked its account and waits for it to confirm.
    m3 = merchants["merchant03"]
    if m3.operating_account_id is None:
        m3.operating_account = merchants["merchant03_ops"].user
        m3.save(update_fields=["operating_account"])
    OperatingAccountRequest.objects.get_or_create(
        shop=merchants["merchant07"],
        account=merchants["merchant07_ops"].user,
        defaults={
            "username": merchants["merchant07_ops"].user.username,
            "status": DesignationStatus.PENDING,
            "created_at": timezone.now(),
        },
    )
    now = timezone.now()
    providers = [
        # username, company, licence verified, linked agency, assessment
        ("provider01", "优选代运营有限公司", True, agencies[0], AssessmentStatus.APPROVED),
        ("provider02", "待审核服务商", False, None, AssessmentStatus.PENDING),
        ("provider03", "启明电商服务有限公司", True, agencies[1], AssessmentStatus.REJECTED),
        ("provider04", "新注册服务商", True, agencies[1], None),
    ]
    for username, company, verified, linked, assessment in providers:
        u = _user(username, Role.PROVIDER)
        Provider.objects.update_or_create(
            user=u,
            defaults={
                "company_name": company,
                "licence_verified": verified,
                "linked_agency": linked,
                "linked_company": company,
            },
        )
        _sign(u)
        if assessment is not None and not Assessment.objects.filter(user=u).exists():
            Assessment.objects.create(
                user=u,
                status=assessment,
                note=f"{company}申请 TP 服务商准入考核，关联机构：{linked or '无'}。",
                requested_at=now - timedelta(days=3),
                decided_at=None if assessment == AssessmentStatus.PENDING else now,
                decision_note={
                    AssessmentStatus.APPROVED: "资料齐全，考核通过。",
                    AssessmentStatus.REJECTED: "服务案例不足，请补充近三个月的代运营案例。",
                }.get(assessment, ""),
            )
    _seed_activities(now)
    _seed_restricted_products(merchants)


# The platform's yearly 官方活动 on their real dates (Asia/Shanghai): (name, first day,
# last day, marketing compliance required, description).
YEARLY_ACTIVITIES = (
    ("年货节直播季", (1, 5), (1, 25), True, "年货主题直播，限营销规范合规方参加。"),
    ("38 女王节", (3, 1), (3, 8), True, "美妆与服饰专场，参与方须营销规范合规。"),
    (
        "618 年中好物节",
        (5, 20),
        (6, 18),
        True,
        "年中大促，参与商家与达人须在活动期间营销规范合规。",
    ),
    ("99 划算节", (9, 1), (9, 9), False, "秋季划算专场，面向所有已准入的商家与达人。"),
    ("双11 直播狂欢节", (10, 20), (11, 11), True, "双11官方直播活动，参与方须营销规范合规。"),
    (
        "双12 年终好物节",
        (12, 1),
        (12, 12),
        True,
        "年终好物专场，参与商家与达人须在活动期间营销规范合规。",
    ),
)


def activity_periods(today: date) -> list[tuple[str, datetime, datetime, bool, str]]:
    """The yearly activities around ``today``: the last one that ended, any running, the
    next two; each from 00:00 of its first day to 00:00 after its last (Asia/Shanghai)."""
    zone = timezone.get_current_timezone()
    dated = []
    for year in (today.year - 1, today.year, today.year + 1):
        for name, (m1, d1), (m2, d2), required, text in YEARLY_ACTIVITIES:
            start = datetime(year, m1, d1, tzinfo=zone)
            end = datetime(year, m2, d2, tzinfo=zone) + timedelta(days=1)
            dated.append((name, start, end, required, text))
    dated.sort(key=lambda a: a[1])
    now = datetime(today.year, today.month, today.day, 12, tzinfo=zone)
    ended = [a for a in dated if a[2] <= now][-1:]
    running = [a for a in dated if a[1] <= now < a[2]]
    upcoming = [a for a in dated if a[1] > now][:2]
    return [*ended, *running, *upcoming]


def _seed_activities(now) -> None:
    """The yearly 官方活动 around today (one ended, any running, two upcoming), a weekly
    新人达人扶持周 that is always on, and compliance covering some parties."""
    day = timedelta(days=1)
    week_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    week_start -= timedelta(days=week_start.weekday())
    periods = [
        *activity_periods(timezone.localdate(now)),
        (
            "新人达人扶持周",
            week_start,
            week_start + 7 * day,
            False,
            "每周一开始的新入驻达人扶持活动，为期一周。",
        ),
    ]
    for name, start, end, required, text in periods:
        Activity.objects.get_or_create(
            name=name,
            defaults={
                "starts_at": start,
                "ends_at": end,
                "requires_marketing_compliance": required,
                "description": text,
            },
        )
    covered = ["demo_merchant", "demo_creator", "demo_streamer", "demo_agency", "merchant01"]
    for username in covered:
        MarketingCompliance.objects.get_or_create(
            user=User.objects.get(username=username),
            note="年度营销规范审核通过",
            defaults={"valid_from": now - 60 * day, "valid_until": now + 120 * day},
        )
    # demo_tmall's compliance lapses before 双12 ends: it cannot join that activity.
    MarketingCompliance.objects.get_or_create(
        user=User.objects.get(username="demo_tmall"),
        note="季度营销规范审核通过",
        defaults={"valid_from": now - 60 * day, "valid_until": now + 5 * day},
    )


def _seed_restricted_products(merchants: dict) -> None:
    """Restricted products in each permission state (keyed by merchant + SKU)."""
    demo = Merchant.objects.get(user__username="demo_merchant")
    rows = [
        (demo, "SKU-R-HEALTH-01", "保健食品，需提供保健食品批准文号", PermissionStatus.GRANTED),
        (demo, "SKU-R-COSM-02", "特殊用途化妆品，需提供备案凭证", PermissionStatus.REQUESTED),
        (demo, "SKU-R-MED-03", "医疗器械类商品，暂不开放推广", None),
        (
            merchants["merchant01"],
            "SKU-R-BEAUTY-9",
            "宣称功效需提供检测报告",
            PermissionStatus.REFUSED,
        ),
    ]
    now = timezone.now()
    for merchant, sku, reason, status in rows:
        RestrictedProduct.objects.get_or_create(
            merchant=merchant, sku=sku, defaults={"reason": reason}
        )
        if status is not None:
            ProductPermission.objects.get_or_create(
                merchant=merchant,
                sku=sku,
                defaults={
                    "status": status,
                    "request_note": "已上传相关资质文件，申请开通推广权限。",
                    "requested_at": now - timedelta(days=2),
                    "decided_at": None if status == PermissionStatus.REQUESTED else now,
                    "decision_note": "资质审核通过" if status == PermissionStatus.GRANTED else "",
                },
            )


DEMO_REAL_NAMES = {
    "demo_creator": "林小鹿",
    "demo_streamer": "陈杰",
    "demo_agency": "杭州星河文化传媒有限公司",
}
SURNAMES = "王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 胡 朱 高 林 何 郭 马 罗".split()
GIVEN = "子涵 欣怡 浩然 雨桐 梓萱 宇轩 诗涵 俊杰 佳怡 博文 思远 晓彤 一鸣 若溪 嘉豪".split()


@transaction.atomic
def seed_real_names() -> None:
    """The real-name records operators would have entered (收款账户 names must match them):
    creators whose Alipay real name is verified or who are admitted, agencies whose
    licence is verified or who are admitted (demo_newbie has none yet)."""
    from django.db.models import Q

    from admission.selectors import admitted_q

    creators = Creator.objects.filter(Q(alipay_verified=True) | admitted_q(Role.CREATOR))
    for creator in creators.filter(real_name="").select_related("user"):
        name = DEMO_REAL_NAMES.get(creator.user.username) or (
            SURNAMES[creator.pk % len(SURNAMES)] + GIVEN[creator.pk // len(SURNAMES) % len(GIVEN)]
        )
        Creator.objects.filter(pk=creator.pk).update(real_name=name)
    agencies = Agency.objects.filter(Q(licence_verified=True) | admitted_q(Role.AGENCY))
    for agency in agencies.filter(real_name="").select_related("user"):
        name = (
            DEMO_REAL_NAMES.get(agency.user.username)
            or f"{agency.name.removesuffix(' MCN')}有限公司"
        )
        Agency.objects.filter(pk=agency.pk).update(real_name=name)


def seed(*, users_only: bool, context: dict) -> None:
    """seed_demo step for admission: the demo users, and without --users-only the world."""
    context["users"] = seed_users()
    if not users_only:
        seed_world()
    seed_real_names()


def summary(*, users_only: bool) -> list[str]:
    """seed_demo's report: who can log in."""
    from admission.models import Creator, Merchant

    demo = User.objects.filter(username__startswith="demo_").order_by("pk")
    lines = [f"log in as {', '.join(u.username for u in demo)} (password hotwave-demo)"]
    if not users_only:
        lines.append(f"{Merchant.objects.count()} shops, {Creator.objects.count()} creators")
    return lines
