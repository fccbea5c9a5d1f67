"""Demo data for cooperation (used by ``seed_demo``): products, carts, and tasks.

Idempotent: products are keyed by (merchant, SKU) and cart items by (creator,
product), so running it again creates nothing new. With ``users_only`` nothing
is created (SPEC §6: no products, tasks, orders or bindings).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from admission.models import Category, Creator, Merchant
from cooperation.models import CartItem, Product, ProductStatus

# (sku, title, category, price, service-fee rate). settlement's demo orders
# name exactly DM-001..DM-010 (demo_merchant) and TM-001..TM-010 (demo_tmall).
CATALOGUE: dict[str, list[tuple[str, str, str, str, str]]] = {
    "demo_merchant": [
        ("DM-001", "北欧风陶瓷餐具 16 件套", "home", "199.00", "0.20"),
        ("DM-002", "日式实木收纳盒 3 只装", "home", "89.90", "0.15"),
        ("DM-003", "手冲咖啡入门套装", "food", "258.00", "0.18"),
        ("DM-004", "云南小粒咖啡豆 500g", "food", "79.00", "0.25"),
        ("DM-005", "加厚珊瑚绒四件套", "home", "329.00", "0.12"),
        ("DM-006", "低糖全麦吐司 12 袋装", "food", "39.90", "0.30"),
        ("DM-007", "香薰蜡烛礼盒", "home", "128.00", "0.22"),
        ("DM-008", "冻干草莓脆 100g×3", "food", "59.00", "0.28"),
        ("DM-009", "真空保温杯 500ml", "home", "99.00", "0.16"),
        ("DM-010", "有机燕麦片 1kg", "food", "45.80", "0.20"),
        # Restricted by admission's demo (限制推广商品): one granted, one requested, one not.
        ("SKU-R-HEALTH-01", "复合维生素片 60 粒", "food", "128.00", "0.25"),
        ("SKU-R-COSM-02", "美白淡斑精华 30ml", "beauty", "268.00", "0.30"),
        ("SKU-R-MED-03", "家用电子血压计", "home", "199.00", "0.15"),
    ],
    "demo_tmall": [
        ("TM-001", "轻量防泼水冲锋衣", "sports", "599.00", "0.15"),
        ("TM-002", "户外折叠露营椅", "sports", "169.00", "0.18"),
        ("TM-003", "速干运动 T 恤 2 件装", "sports", "119.00", "0.20"),
        ("TM-004", "登山徒步鞋", "sports", "459.00", "0.12"),
        ("TM-005", "蓝牙运动耳机", "digital", "299.00", "0.10"),
        ("TM-006", "便携卡式炉套装", "sports", "239.00", "0.16"),
        ("TM-007", "山野有机红茶 250g", "food", "88.00", "0.25"),
        ("TM-008", "防晒冰袖 3 双装", "sports", "39.00", "0.30"),
        ("TM-009", "户外双肩背包 30L", "sports", "329.00", "0.14"),
        ("TM-010", "智能运动手环", "digital", "199.00", "0.10"),
    ],
    "merchant01": [
        ("HJ-101", "玻尿酸补水面膜 20 片", "beauty", "129.00", "0.30"),
        ("HJ-102", "氨基酸洁面乳", "beauty", "69.00", "0.25"),
        ("HJ-103", "丝绒雾面口红", "beauty", "149.00", "0.28"),
        ("HJ-104", "烟酰胺精华 30ml", "beauty", "219.00", "0.22"),
        ("HJ-105", "清透防晒乳 SPF50", "beauty", "99.00", "0.26"),
        ("HJ-106", "卸妆油 200ml", "beauty", "89.00", "0.24"),
        ("SKU-R-BEAUTY-9", "抗皱紧致面霜", "beauty", "329.00", "0.30"),
    ],
    "merchant02": [
        ("AL-201", "阿里山高山乌龙 150g", "food", "168.00", "0.20"),
        ("AL-202", "冻顶乌龙礼盒", "food", "298.00", "0.18"),
        ("AL-203", "蜜香红茶 100g", "food", "98.00", "0.22"),
        ("AL-204", "便携旅行茶具", "home", "139.00", "0.15"),
        ("AL-205", "桂花乌龙冷泡茶包", "food", "49.00", "0.30"),
        ("AL-206", "陈年老茶饼（已停售）", "food", "499.00", "0.10"),
    ],
    "merchant03": [
        ("CW-301", "磁吸无线充电宝 10000mAh", "digital", "159.00", "0.12"),
        ("CW-302", "机械键盘 87 键", "digital", "349.00", "0.10"),
        ("CW-303", "降噪头戴耳机", "digital", "899.00", "0.08"),
        ("CW-304", "手机云台稳定器", "digital", "429.00", "0.12"),
        ("CW-305", "桌面补光灯", "digital", "129.00", "0.18"),
        ("CW-306", "Type-C 扩展坞", "digital", "199.00", "0.15"),
        ("CW-307", "潮玩盲盒整盒", "digital", "468.00", "0.20"),
        ("CW-308", "迷你投影仪", "digital", "1299.00", "0.08"),
    ],
}
ARCHIVED = {("merchant02", "AL-206")}
CARTS = {
    "demo_creator": [
        ("demo_merchant", "DM-001"),
        ("demo_merchant", "DM-003"),
        ("demo_tmall", "TM-002"),
        ("merchant02", "AL-205"),
    ],
    "demo_streamer": [("demo_tmall", "TM-005"), ("merchant03", "CW-304")],
}


@transaction.atomic
def seed_products(context: dict) -> dict[tuple[str, str], Product]:
    """44 products over five merchants (4 restricted SKUs), carts for demo_creator and demo_streamer."""
    categories = {c.code: c for c in Category.objects.all()}
    merchants = {
        m.user.username: m
        for m in Merchant.objects.select_related("user").filter(user__username__in=CATALOGUE)
    }
    products: dict[tuple[str, str], Product] = {}
    for username, rows in CATALOGUE.items():
        merchant = merchants.get(username)
        if merchant is None:
            continue  # that shop was not seeded
        for sku, title, cat, price, rate in rows:
            product, _ = Product.objects.get_or_create(
                merchant=merchant,
                sku=sku,
                defaults={
                    "title": title,
                    "category": categories[cat],
                    "price": Decimal(price),
                    "service_fee_rate": Decimal(rate),
                    "status": (
                        ProductStatus.ARCHIVED
                        if (username, sku) in ARCHIVED
                        else ProductStatus.ACTIVE
                    ),
                },
            )
            products[(username, sku)] = product
    creators = {
        c.user.username: c
        for c in Creator.objects.select_related("user").filter(user__username__in=CARTS)
    }
    for username, picks in CARTS.items():
        creator = creators.get(username)
        if creator is None:
            continue
        for key in picks:
            if key in products:
                CartItem.objects.get_or_create(creator=creator, product=products[key])
    context["products"] = products
    return products


def seed(*, users_only: bool, context: dict) -> None:
    """seed_demo step for cooperation: products, carts, plans, tasks, then sample requests
    (which make tasks of their own); nothing with users_only."""
    if users_only:
        return
    products = seed_products(context)
    from cooperation.demo_images import seed_images

    seed_images(products)  # drawn with Pillow into the media storage, once per product
    seed_plans(context)
    seed_tasks = globals().get("seed_tasks")
    if seed_tasks is not None:
        seed_tasks(context)
    seed_samples(context)


# --- promotion plans (推广计划) ---------------------------------------------------------

# (merchant, sku, kind, rate, min level, min fans, exclusive creator, note)
PLANS = [
    ("demo_merchant", "DM-001", "open", "0.22", 0, 0, None, "双十二公开推广"),
    ("demo_merchant", "DM-003", "targeted", "0.28", 2, 100_000, None, "咖啡垂类达人专享"),
    ("demo_merchant", "DM-004", "targeted", "0.32", 3, 1_000_000, None, "百万粉丝头部达人"),
    ("demo_merchant", "DM-007", "open", "0.24", 0, 0, None, ""),
    ("demo_tmall", "TM-005", "exclusive", "0.25", 0, 0, "demo_streamer", "数码测评独家"),
    ("demo_tmall", "TM-002", "targeted", "0.24", 1, 50_000, None, "户外露营季"),
    ("merchant01", "HJ-101", "open", "0.32", 0, 0, None, ""),
    ("merchant02", "AL-205", "targeted", "0.34", 2, 200_000, None, "夏日冷泡茶"),
]
# 最低履约率 on some targeted plans and sample quotas (merchant, sku) → fraction.
PLAN_MIN_FULFILMENT = {("demo_merchant", "DM-004"): "0.90", ("merchant02", "AL-205"): "0.85"}
QUOTA_MIN_FULFILMENT = {("merchant01", "HJ-101"): "0.90"}
# (merchant, sku, creator, status, reason)
APPLICATIONS = [
    ("demo_merchant", "DM-003", "demo_creator", "approved", ""),
    ("demo_merchant", "DM-003", "demo_streamer", "pending", ""),
    ("demo_tmall", "TM-002", "demo_creator", "declined", "本期名额已满，下期优先邀请"),
    ("demo_tmall", "TM-002", "demo_streamer", "pending", ""),
    ("merchant02", "AL-205", "demo_creator", "approved", ""),
]
# Announced cuts still in their notice period: (merchant, sku, new rate).
CUTS = [("demo_merchant", "DM-001", "0.18")]


@transaction.atomic
def seed_plans(context: dict) -> None:
    """Plans of every kind on demo products, applications in every state, one cut in notice.

    Idempotent: a product that has a plan already is left alone.
    """
    from datetime import timedelta

    from django.utils import timezone

    from cooperation.models import PlanApplication, PlanRate, PromotionPlan

    products = context.get("products", {})
    now = timezone.now().replace(microsecond=0)
    start = now - timedelta(days=2)
    creators = {
        c.user.username: c
        for c in Creator.objects.select_related("user").filter(
            user__username__in={"demo_creator", "demo_streamer"}
        )
    }
    plans = {}
    for merchant, sku, kind, rate, level, fans, exclusive, note in PLANS:
        product = products.get((merchant, sku))
        if product is None or (exclusive and exclusive not in creators):
            continue
        if PromotionPlan.objects.filter(product=product).exists():
            plans[(merchant, sku)] = PromotionPlan.objects.filter(product=product).first()
            continue
        plan = PromotionPlan.objects.create(
            product=product,
            kind=kind,
            creator=creators.get(exclusive) if exclusive else None,
            min_level=level,
            min_fans=fans,
            min_fulfilment=Decimal(PLAN_MIN_FULFILMENT.get((merchant, sku), "0")),
            note=note,
            created_at=start,
        )
        PlanRate.objects.create(
            plan=plan, rate=Decimal(rate), announced_at=start, effective_from=start
        )
        plans[(merchant, sku)] = plan
        for m, s, new_rate in CUTS:
            if (m, s) == (merchant, sku):
                announced = now - timedelta(hours=3)
                PlanRate.objects.create(
                    plan=plan,
                    rate=Decimal(new_rate),
                    announced_at=announced,
                    effective_from=announced + timedelta(hours=24),
                )
    for merchant, sku, username, status, reason in APPLICATIONS:
        plan, creator = plans.get((merchant, sku)), creators.get(username)
        if plan is None or creator is None:
            continue
        applied = start + timedelta(hours=4)
        PlanApplication.objects.get_or_create(
            plan=plan,
            creator=creator,
            defaults={
                "status": status,
                "applied_at": applied,
                "decided_at": None if status == "pending" else applied + timedelta(hours=5),
                "reason": reason,
                "message": "近 30 天同类目直播 8 场，场均成交过万" if status != "declined" else "",
            },
        )


# --- free samples (申样) -----------------------------------------------------------------

# (merchant, sku, quota, min level, min fans)
QUOTAS = [
    ("demo_merchant", "DM-003", 5, 2, 10_000),
    ("demo_merchant", "DM-009", 3, 0, 0),
    ("demo_tmall", "TM-002", 2, 1, 50_000),
    ("merchant01", "HJ-101", 1, 3, 500_000),
]
# (merchant, sku, creator, days until the planned live date, answer)
SAMPLE_REQUESTS = [
    ("demo_merchant", "DM-003", "demo_streamer", 6, "pending"),
    ("demo_merchant", "DM-009", "demo_creator", 4, "approve"),
    # demo_tmall's invitation to demo_streamer waits on its counter-offer (议价): the
    # request waits too (an approval would be a second open invitation between them).
    ("demo_tmall", "TM-002", "demo_streamer", 8, "pending"),
    ("demo_tmall", "TM-002", "demo_creator", 5, "档期已排满，下月再约"),
]


def seed_samples(context: dict) -> None:
    """Sample quotas on four products; requests waiting, approved (a 纯佣 task), declined.

    Through the services, so an approval is a real task in 待寄样. Idempotent: a
    creator with any request for the product is left alone.
    """
    from datetime import timedelta

    from django.utils import timezone

    from cooperation.models import SampleQuota, SampleRequest
    from cooperation.services.samples import sample_decide, sample_request_create
    from hotwave.exceptions import DomainError

    products = context.get("products", {})
    for merchant, sku, quota, level, fans in QUOTAS:
        product = products.get((merchant, sku))
        if product is not None:
            SampleQuota.objects.get_or_create(
                product=product,
                defaults={
                    "quota": quota,
                    "min_level": level,
                    "min_fans": fans,
                    "min_fulfilment": Decimal(QUOTA_MIN_FULFILMENT.get((merchant, sku), "0")),
                },
            )
    creators = {
        c.user.username: c
        for c in Creator.objects.select_related("user").filter(
            user__username__in={"demo_creator", "demo_streamer"}
        )
    }
    for merchant, sku, username, days, answer in SAMPLE_REQUESTS:
        product, creator = products.get((merchant, sku)), creators.get(username)
        if product is None or creator is None:
            continue
        if SampleRequest.objects.filter(product=product, creator=creator).exists():
            continue
        try:
            with transaction.atomic():
                request = sample_request_create(
                    creator=creator,
                    product=product,
                    planned_live_date=timezone.localdate() + timedelta(days=days),
                    note="近 30 天同类目直播 6 场",
                )
                if answer == "approve":
                    sample_decide(request=request, approve=True)
                elif answer != "pending":
                    sample_decide(request=request, approve=False, reason=answer)
        except DomainError:
            continue  # e.g. an invitation already open between the two: left out of the demo


# --- tasks (合作任务) ----------------------------------------------------------------


def seed_tasks(context: dict) -> None:
    """Demo tasks in every state for demo_merchant/demo_tmall × demo_creator/demo_streamer."""
    from cooperation.demo_records import seed_records
    from cooperation.demo_tasks import seed_tasks as seed_demo_tasks

    seed_demo_tasks(context)
    # Plaza creators' track records, then every scorecard (the nightly recompute's work).
    seed_records(context)


def summary(*, users_only: bool) -> list[str]:
    """seed_demo's report: products and tasks."""
    if users_only:
        return []
    from cooperation.models import PlanApplication, ProductImage, PromotionPlan, SampleRequest, Task

    return [
        f"{Product.objects.count()} products ({ProductImage.objects.count()} images, "
        f"{PromotionPlan.objects.count()} promotion plans, "
        f"{PlanApplication.objects.count()} applications, "
        f"{SampleRequest.objects.count()} sample requests), "
        f"{Task.objects.count()} cooperation tasks",
    ]
