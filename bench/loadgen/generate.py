"""A realistic, reproducible world at scale, for benchmarks (``manage.py generate_load``).

What it makes, all from one seed (the same arguments give the same world):

* parties (admission): merchants (Taobao sellers, some Tmall shops with their
  operating account), agencies (one per ~40 creators) and creators, with
  signatures of the current agreement so most of them are admitted. Creator
  popularity is Zipf-like: creator #0 is the biggest streamer, fans and
  viewers fall off with rank;
* products (cooperation): Zipf-distributed over merchants (a few big shops
  hold many products), realistic prices and service-fee rates;
* bindings (settlement): ~30% of creators have a history with agencies, some
  with a share change (a new agreement) or an ending; a few pending invitations;
* orders (settlement): paid day by day over ``days`` days before ``until``
  (more recently more, evening peak), creators and products drawn Zipf-like,
  each frozen with the rule of the binding in force at ``paid_at`` (as the
  import does); receipt confirmed 1–10 days later unless still in transit;
  ~3% refunded in full before confirmation, ~4% partly before, ~3% partly
  after. With ``events`` each order also gets its ``OrderEvent`` rows (the
  same keys ``import_events`` would compute), so the world looks imported.

Orders are streamed in batches (``batch_size``): memory does not grow with
the number of orders. With ``jsonl`` the orders are written as SPEC §6
``import_events`` lines instead of rows (parties are still inserted so the
import can resolve them).

Parties are created once: running again with the same party sizes reuses
them (e.g. to add a second set of orders under another ``order_prefix``).
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import IO
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from admission.models import (
    Agency,
    Agreement,
    AgreementSignature,
    Category,
    Creator,
    Merchant,
    Role,
    SellerType,
    ShopStatus,
    User,
)
from bench.loadgen import names
from bench.loadgen.sink import Sink
from conversations.models import Message, Thread, ThreadKind, ThreadRead
from cooperation.models import (
    CartItem,
    Product,
    ProductImage,
    ProductStatus,
    Task,
    TaskProduct,
    TaskState,
    TaskTransition,
)
from cooperation.models.tasks import task_reference
from hotwave.money import format_cny
from notifications.kinds import Delivery, Kind
from notifications.models import Notification
from settlement.models import Binding, BindingSource, BindingStatus, Order, OrderEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "hotwave-load"  # noqa: S105 - documented password of generated accounts
MERCHANT_PREFIX = "lg_m"
OPS_PREFIX = "lg_o"
CREATOR_PREFIX = "lg_c"
AGENCY_PREFIX = "lg_a"
SKU_PREFIX = "LG-"
CREATORS_PER_AGENCY = 40
PARTY_BATCH = 5_000

# Live-commerce orders peak in the evening (Asia/Shanghai hour → weight).
HOUR_WEIGHTS = [2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 7, 6, 6, 6, 7, 8, 10, 14, 18, 20, 16, 8]
RATES = ["0.05", "0.08", "0.10", "0.12", "0.15", "0.20", "0.25", "0.30", "0.40"]
RATE_WEIGHTS = [6, 8, 14, 10, 14, 12, 8, 5, 3]


class LoadError(Exception):
    """The database already holds a different generated world, or lacks reference data."""


@dataclass(frozen=True)
class Sizes:
    creators: int
    merchants: int
    products: int
    orders: int
    tasks: int | None = None  # default: one per two creators

    @property
    def agencies(self) -> int:
        return max(1, self.creators // CREATORS_PER_AGENCY)

    @property
    def task_count(self) -> int:
        return self.creators // 2 if self.tasks is None else self.tasks


@dataclass
class Stats:
    users: int = 0
    merchants: int = 0
    creators: int = 0
    agencies: int = 0
    products: int = 0
    images: int = 0
    cart_items: int = 0
    bindings: int = 0
    tasks: int = 0
    notifications: int = 0
    threads: int = 0
    messages: int = 0
    orders: int = 0
    confirmed: int = 0
    refunded: int = 0
    agency_rule: int = 0
    events: int = 0
    jsonl_lines: int = 0
    parties_reused: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def zipf_cum_weights(n: int, s: float) -> list[float]:
    """Cumulative Zipf weights for ranks 0..n-1 (rank 0 the most popular)."""
    return list(accumulate(1.0 / (i + 1) ** s for i in range(n)))


def split_by_weights(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to ``weights`` summing exactly to ``total`` (largest remainder)."""
    w = sum(weights)
    raw = [total * x / w for x in weights]
    counts = [int(x) for x in raw]
    rest = total - sum(counts)
    order = sorted(range(len(raw)), key=lambda i: (raw[i] - counts[i], -i), reverse=True)
    for i in order[:rest]:
        counts[i] += 1
    return counts


def yuan(fen: int) -> Decimal:
    """Whole fen → a two-place Decimal (exact, no float)."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return Decimal(f"{sign}{fen // 100}.{fen % 100:02d}")


def _rate_text(rate: Decimal) -> str:
    """0.1500 → "0.15", 0.1250 → "0.125" (at least two places, as in SPEC §6)."""
    text = f"{rate:.4f}".rstrip("0")
    return text + "0" * max(0, 2 - len(text.partition(".")[2]))


def _whole(at: datetime) -> datetime:
    return at.replace(microsecond=0)


def _iso(at: datetime) -> str:
    return at.astimezone(SHANGHAI).isoformat(timespec="seconds")


ProgressFn = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


class LoadGenerator:
    """Generate the world; ``run()`` does it all and returns :class:`Stats`."""

    def __init__(
        self,
        sizes: Sizes,
        *,
        seed: int = 1,
        until: date | None = None,
        days: int = 90,
        order_prefix: str = "LG",
        batch_size: int = 10_000,
        events: bool = True,
        progress: ProgressFn | None = None,
        sink: Sink | None = None,
    ):
        if min(sizes.creators, sizes.merchants, sizes.products) < 1 or sizes.orders < 0:
            raise ValueError("creators, merchants and products must be ≥ 1, orders ≥ 0")
        self.sizes = sizes
        self.seed = seed
        self.until = until or timezone.now().astimezone(SHANGHAI).date()
        self.until_dt = datetime.combine(self.until, datetime.min.time(), tzinfo=SHANGHAI)
        self.days = max(1, days)
        self.order_prefix = order_prefix
        self.batch_size = max(100, batch_size)
        self.events = events
        self.progress = progress or _no_progress
        self.sink = sink or Sink()
        self.stats = Stats()
        self._keys_checked: set[str] = set()
        self._parse_all = False

    # ================================================================== parties

    def _existing(self) -> dict[str, int]:
        users = User.objects.filter(username__startswith="lg_")
        return {
            "merchants": users.filter(username__startswith=MERCHANT_PREFIX).count(),
            "creators": users.filter(username__startswith=CREATOR_PREFIX).count(),
            "agencies": users.filter(username__startswith=AGENCY_PREFIX).count(),
            "products": Product.objects.filter(sku__startswith=SKU_PREFIX).count(),
        }

    def ensure_parties(self) -> None:
        existing = self._existing()
        wanted = {
            "merchants": self.sizes.merchants,
            "creators": self.sizes.creators,
            "agencies": self.sizes.agencies,
            "products": self.sizes.products,
        }
        if not any(existing.values()):
            started = time.monotonic()
            self._write_parties()
            self.stats.seconds["parties"] = round(time.monotonic() - started, 2)
        elif existing == wanted:
            self.stats.parties_reused = True
        else:
            raise LoadError(
                f"this database already holds a generated world of a different size "
                f"({existing}, asked for {wanted}): use a fresh database or the same sizes"
            )

    def _write_parties(self) -> None:
        rng = random.Random(f"hotwave-load:{self.seed}:parties")
        categories = list(Category.objects.values_list("code", flat=True))
        if not categories:
            raise LoadError("no categories: run migrations first (admission seeds them)")
        now = timezone.now()
        agreement = (
            Agreement.objects.filter(published_at__lte=now).order_by("-published_at", "-pk").first()
        )
        password = make_password(PASSWORD)
        self._write_merchants(rng, now, password, agreement)
        agency_ids = self._write_agencies(rng, now, password, agreement)
        self._write_creators(rng, now, password, agreement, categories)
        self._write_bindings(rng, agency_ids)
        self._write_products(rng, now, categories)
        self._write_plans(rng, now)
        self._write_shelf(rng, now)
        self._write_tasks(rng)
        self._write_conversations(rng)
        self.sink.analyze(
            User, Merchant, Creator, Agency, Binding, Product, ProductImage, CartItem,
            AgreementSignature, Task, TaskProduct, TaskTransition, Thread, Message, ThreadRead,
            Notification,
        )  # fmt: skip

    def _user_rows(self, ids, usernames, role, password, rng):
        return [
            (uid, password, name, role, self.until_dt - timedelta(days=rng.uniform(30, 720)), True)
            for uid, name in zip(ids, usernames, strict=True)
        ]

    _USER_FIELDS = ("id", "password", "username", "role", "date_joined", "is_active")
    _SIG_FIELDS = ("user_id", "agreement_id", "signed_at")

    def _signatures(self, agreement, ids, rng, keep: float = 1.0):
        if agreement is None:
            return
        rows = [
            (uid, agreement.pk, agreement.published_at + timedelta(days=rng.uniform(0, 30)))
            for uid in ids
            if rng.random() < keep
        ]
        self.sink.write(AgreementSignature, self._SIG_FIELDS, rows)

    def _write_merchants(self, rng, now, password, agreement) -> None:
        n = self.sizes.merchants
        self.progress("merchants", 0, n)
        for start in range(0, n, PARTY_BATCH):
            idx = range(start, min(n, start + PARTY_BATCH))
            tmall = [i for i in idx if rng.random() < 0.10]
            with transaction.atomic():
                ids = self.sink.reserve_ids(User, len(idx))
                ops_ids = self.sink.reserve_ids(User, len(tmall))
                self.sink.write(
                    User,
                    self._USER_FIELDS,
                    self._user_rows(ids, [f"{MERCHANT_PREFIX}{i:06d}" for i in idx], Role.MERCHANT, password, rng)
                    + self._user_rows(ops_ids, [f"{OPS_PREFIX}{i:06d}" for i in tmall], Role.MERCHANT, password, rng),
                )  # fmt: skip
                ops_of = dict(zip(tmall, ops_ids, strict=True))
                rows = []
                for i, uid in zip(idx, ids, strict=True):
                    r = rng.random()
                    status = (
                        ShopStatus.CLOSED
                        if r < 0.01
                        else ShopStatus.RESTRICTED
                        if r < 0.03
                        else ShopStatus.NORMAL
                    )
                    is_tmall = i in ops_of
                    rows.append(
                        (
                            uid,
                            names.shop_name(rng, i),
                            SellerType.TMALL if is_tmall else SellerType.TAOBAO,
                            status,
                            rng.random() < 0.95,
                            ops_of.get(i),
                        )
                    )
                for i, uid in ops_of.items():
                    rows.append(
                        (uid, f"{names.shop_name(rng, i)}运营账户", SellerType.TAOBAO,
                         ShopStatus.NORMAL, True, None)
                    )  # fmt: skip
                self.sink.write(
                    Merchant,
                    ("user_id", "shop_name", "seller_type", "shop_status", "alipay_verified",
                     "operating_account_id"),
                    rows,
                )  # fmt: skip
                self._signatures(agreement, ids, rng, keep=0.97)
                self._signatures(agreement, ops_ids, rng)
            self.stats.users += len(ids) + len(ops_ids)
            self.stats.merchants += len(ids)
            self.progress("merchants", idx.stop, n)

    def _write_agencies(self, rng, now, password, agreement) -> list[int]:
        n = self.sizes.agencies
        self.progress("agencies", 0, n)
        all_ids: list[int] = []
        for start in range(0, n, PARTY_BATCH):
            idx = range(start, min(n, start + PARTY_BATCH))
            with transaction.atomic():
                ids = self.sink.reserve_ids(User, len(idx))
                self.sink.write(
                    User,
                    self._USER_FIELDS,
                    self._user_rows(ids, [f"{AGENCY_PREFIX}{i:06d}" for i in idx], Role.AGENCY, password, rng),
                )  # fmt: skip
                rows = [
                    (uid, names.agency_name(rng, i), rng.random() < 0.95, rng.random() < 0.9)
                    for i, uid in zip(idx, ids, strict=True)
                ]
                self.sink.write(
                    Agency, ("user_id", "name", "registered_verified", "licence_verified"), rows
                )
                self._signatures(agreement, ids, rng)
            all_ids.extend(ids)
            self.stats.users += len(ids)
            self.stats.agencies += len(ids)
            self.progress("agencies", idx.stop, n)
        return all_ids

    def _write_creators(self, rng, now, password, agreement, categories) -> None:
        n = self.sizes.creators
        self.progress("creators", 0, n)
        through = Creator.categories.through
        for start in range(0, n, PARTY_BATCH):
            idx = range(start, min(n, start + PARTY_BATCH))
            with transaction.atomic():
                ids = self.sink.reserve_ids(User, len(idx))
                self.sink.write(
                    User,
                    self._USER_FIELDS,
                    self._user_rows(ids, [f"{CREATOR_PREFIX}{i:07d}" for i in idx], Role.CREATOR, password, rng),
                )  # fmt: skip
                rows, cats = [], []
                for i, uid in zip(idx, ids, strict=True):
                    # Fans fall off with popularity rank, with a log-normal spread.
                    fans = max(100, int(3_000_000 / (i + 1) ** 0.6 * rng.lognormvariate(0, 0.5)))
                    viewers = max(10, int(fans * rng.uniform(0.01, 0.08)))
                    quote = max(200, int(fans * rng.uniform(0.002, 0.01)) // 100 * 100)
                    level = min(6, max(0, int(fans**0.25 / 4.5 + rng.uniform(-0.8, 0.8))))
                    newbie = rng.random() < 0.05  # not admitted yet
                    rows.append(
                        (
                            uid,
                            names.creator_nickname(rng, i),
                            "",
                            fans,
                            viewers,
                            Decimal(quote),
                            0 if newbie else max(1, level),
                            (not newbie) and rng.random() < 0.95,
                            (not newbie) and rng.random() < 0.2,
                            0,  # 合作任务数 is kept by cooperation: no tasks here
                        )
                    )
                    for code in rng.sample(categories, k=min(len(categories), rng.randint(1, 3))):
                        cats.append((uid, code))
                self.sink.write(
                    Creator,
                    ("user_id", "nickname", "bio", "fans", "avg_viewers", "quote", "level",
                     "alipay_verified", "guangguang_eligible", "completed_tasks"),
                    rows,
                )  # fmt: skip
                self.sink.write(through, ("creator_id", "category_id"), cats)
                self._signatures(agreement, ids, rng, keep=0.97)
            self.stats.users += len(ids)
            self.stats.creators += len(ids)
            self.progress("creators", idx.stop, n)

    _BINDING_FIELDS = (
        "id", "creator_id", "agency_id", "agency_share", "status", "source", "invited_at",
        "invited_by_id", "responded_at", "consented_at", "valid_from", "valid_to", "ended_by_id",
    )  # fmt: skip

    def _write_bindings(self, rng, agency_ids: list[int]) -> None:
        """Histories of agency agreements: share changes, endings, a few open invitations."""
        creator_ids = list(
            User.objects.filter(username__startswith=CREATOR_PREFIX)
            .order_by("username")
            .values_list("id", flat=True)
        )
        agency_cw = zipf_cum_weights(len(agency_ids), 0.8)
        shares = [Decimal(s) for s in ("0.2000", "0.2500", "0.3000", "0.3300", "0.4000", "0.5000")]
        rows: list[tuple] = []

        def flush():
            with transaction.atomic():
                ids = self.sink.reserve_ids(Binding, len(rows))
                self.sink.write(
                    Binding, self._BINDING_FIELDS, [(i, *r) for i, r in zip(ids, rows, strict=True)]
                )
            self.stats.bindings += len(rows)
            rows.clear()

        for n, cid in enumerate(creator_ids):
            r = rng.random()
            if r < 0.30:
                agency = agency_ids[rng.choices(range(len(agency_ids)), cum_weights=agency_cw)[0]]
                start = self.until_dt - timedelta(days=rng.uniform(20, 400))
                segments = 1 + (rng.random() < 0.35) + (rng.random() < 0.1)
                for k in range(segments):
                    last = k == segments - 1
                    end = None
                    if not last:
                        end = start + timedelta(days=rng.uniform(5, 60))
                    elif rng.random() < 0.2:
                        end = start + timedelta(days=rng.uniform(5, 90))
                    if end is not None and end >= self.until_dt:
                        end = None
                    invited = start - timedelta(hours=rng.uniform(2, 72))
                    rows.append(
                        (
                            cid, agency, rng.choice(shares),
                            BindingStatus.ENDED if end else BindingStatus.ACTIVE,
                            BindingSource.INVITATION, invited, agency, start, start, start, end,
                            (agency if rng.random() < 0.5 else cid) if end else None,
                        )
                    )  # fmt: skip
                    if end is None:
                        break
                    start = end  # the next agreement starts where this one ended
                    if rng.random() < 0.3:  # moved to another agency
                        agency = rng.choice(agency_ids)
            elif r < 0.33:  # an invitation waiting for the creator's consent
                agency = rng.choice(agency_ids)
                invited = self.until_dt - timedelta(hours=rng.uniform(1, 240))
                rows.append(
                    (cid, agency, rng.choice(shares), BindingStatus.INVITED,
                     BindingSource.INVITATION, invited, agency, None, None, None, None, None)
                )  # fmt: skip
            if len(rows) >= PARTY_BATCH:
                flush()
            if n % PARTY_BATCH == 0:
                self.progress("bindings", n, len(creator_ids))
        if rows:
            flush()
        self.progress("bindings", len(creator_ids), len(creator_ids))

    def _write_products(self, rng, now, categories) -> None:
        merchant_ids = list(
            User.objects.filter(username__startswith=MERCHANT_PREFIX)
            .order_by("username")
            .values_list("id", flat=True)
        )
        merchant_cw = zipf_cum_weights(len(merchant_ids), 1.0)
        n = self.sizes.products
        self.progress("products", 0, n)
        for start in range(0, n, PARTY_BATCH):
            idx = range(start, min(n, start + PARTY_BATCH))
            owners = rng.choices(merchant_ids, cum_weights=merchant_cw, k=len(idx))
            rows = []
            for i, merchant_id in zip(idx, owners, strict=True):
                price = max(990, int(rng.lognormvariate(4.4, 0.8) * 100) // 10 * 10 + 90)
                rows.append(
                    (
                        merchant_id,
                        f"{SKU_PREFIX}{i:07d}",
                        names.product_title(rng, i),
                        rng.choice(categories),
                        yuan(price),
                        Decimal(rng.choices(RATES, weights=RATE_WEIGHTS)[0]),
                        ProductStatus.ARCHIVED if rng.random() < 0.03 else ProductStatus.ACTIVE,
                        now - timedelta(days=rng.uniform(0, 365)),
                    )
                )
            with transaction.atomic():
                self.sink.write(
                    Product,
                    ("merchant_id", "sku", "title", "category_id", "price", "service_fee_rate",
                     "status", "created_at"),
                    rows,
                )  # fmt: skip
            self.stats.products += len(rows)
            self.progress("products", idx.stop, n)

    def _write_plans(self, rng, now) -> None:
        """推广计划 on a share of the products: open (15%), targeted with approved
        applications (8%), exclusive (2%), each with one rate in force; a few cuts announced."""
        from cooperation.models import ApplicationStatus, PlanApplication, PlanRate, PromotionPlan

        creator_ids = list(
            Creator.objects.filter(user__username__startswith=CREATOR_PREFIX).values_list(
                "user_id", flat=True
            )
        )
        products = list(
            Product.objects.filter(sku__startswith=SKU_PREFIX, status=ProductStatus.ACTIVE)
            .order_by("pk")
            .values_list("pk", "service_fee_rate")
        )
        for start in range(0, len(products), PARTY_BATCH):
            plans, rates = [], []
            for pk, base in products[start : start + PARTY_BATCH]:
                draw = rng.random()
                if draw >= 0.25 or not creator_ids:
                    continue
                kind = "open" if draw < 0.15 else "targeted" if draw < 0.23 else "exclusive"
                created = now - timedelta(days=rng.uniform(1, 60))
                plans.append(
                    PromotionPlan(
                        product_id=pk,
                        kind=kind,
                        creator_id=rng.choice(creator_ids) if kind == "exclusive" else None,
                        min_level=rng.randint(1, 3) if kind == "targeted" else 0,
                        min_fans=rng.choice([0, 5_000, 10_000, 50_000])
                        if kind == "targeted"
                        else 0,
                        created_at=created,
                    )
                )
                bump = Decimal(rng.choice(["0.02", "0.05", "0.08", "0.10"]))
                rates.append((created, min(base + bump, Decimal("0.8000"))))
            with transaction.atomic():
                PromotionPlan.objects.bulk_create(plans)
                rows, applications = [], []
                for plan, (created, rate) in zip(plans, rates, strict=True):
                    rows.append(
                        PlanRate(plan=plan, rate=rate, announced_at=created, effective_from=created)
                    )
                    if rng.random() < 0.05:  # a cut in its notice period
                        rows.append(
                            PlanRate(
                                plan=plan,
                                rate=max(rate - Decimal("0.05"), Decimal("0.0100")),
                                announced_at=now - timedelta(hours=2),
                                effective_from=now + timedelta(hours=22),
                            )
                        )
                    if plan.kind == "targeted":
                        for creator_id in set(rng.sample(creator_ids, min(20, len(creator_ids)))):
                            applications.append(
                                PlanApplication(
                                    plan=plan,
                                    creator_id=creator_id,
                                    status=ApplicationStatus.APPROVED,
                                    applied_at=created,
                                    decided_at=created + timedelta(hours=3),
                                )
                            )
                PlanRate.objects.bulk_create(rows)
                PlanApplication.objects.bulk_create(applications)

    def _write_shelf(self, rng, now) -> None:
        """What the product pages show besides the product: a cover (and often a second)
        image on 4 in 5 active products — rows naming files, as an upload leaves them;
        the bench measures pages, not image bytes — and a 带货车 of 5–15 products for
        1 in 10 creators, the best sellers most often."""
        products = list(
            Product.objects.filter(sku__startswith=SKU_PREFIX, status=ProductStatus.ACTIVE)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not products:
            return
        images = []
        for pk in products:
            if rng.random() >= 0.8:
                continue
            for position in range(1 if rng.random() < 0.5 else 2):
                name = f"products/{pk}/{position}"
                images.append((pk, position, f"{name}.webp", f"{name}_thumb.webp", 800, 800, now))
        creators = list(
            Creator.objects.filter(user__username__startswith=CREATOR_PREFIX)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )
        weights = zipf_cum_weights(len(products), 1.0)
        carts = []
        for creator_id in creators[::10]:
            picked = set(rng.choices(products, cum_weights=weights, k=rng.randint(5, 15)))
            carts.extend(
                (creator_id, pk, now - timedelta(days=rng.uniform(0, 30))) for pk in picked
            )
        with transaction.atomic():
            for start in range(0, len(images), PARTY_BATCH):
                self.sink.write(
                    ProductImage,
                    ("product_id", "position", "image", "thumb", "width", "height", "created_at"),
                    images[start : start + PARTY_BATCH],
                )
            for start in range(0, len(carts), PARTY_BATCH):
                self.sink.write(
                    CartItem,
                    ("creator_id", "product_id", "added_at"),
                    carts[start : start + PARTY_BATCH],
                )
        self.stats.images += len(images)
        self.stats.cart_items += len(carts)

    _TASK_FIELDS = (
        "id", "merchant_id", "creator_id", "state", "slot_fee", "planned_live_date", "note",
        "created_at", "declined_at", "cancelled_at", "expired_at",
    )  # fmt: skip

    def _write_tasks(self, rng) -> None:
        """Cooperation tasks that move no money: open invitations and closed ones.

        States: 待达人确认 (invited, recent), 已拒绝, 已取消 (while invited) and
        已过期, each with its transitions. Accepted and later states hold a slot
        fee in escrow (ledger postings), so they are made by the real services only.
        """
        n = self.sizes.task_count
        if n <= 0:
            return
        products = list(
            Product.objects.filter(sku__startswith=SKU_PREFIX, status=ProductStatus.ACTIVE)
            .order_by("sku")
            .values_list("id", "merchant_id", "sku", "title", "price", "service_fee_rate")
        )
        creators = list(
            Creator.objects.filter(user__username__startswith=CREATOR_PREFIX)
            .order_by("user__username")
            .values_list("user_id", "quote")
        )
        if not products or not creators:
            return
        by_merchant: dict[int, list[tuple]] = {}
        for row in products:
            by_merchant.setdefault(row[1], []).append(row)
        product_cw = zipf_cum_weights(len(products), 1.05)
        creator_cw = zipf_cum_weights(len(creators), 0.95)
        invited_pairs: set[tuple[int, int]] = set()
        self.progress("tasks", 0, n)
        for start in range(0, n, PARTY_BATCH):
            k = min(PARTY_BATCH, n - start)
            picks = rng.choices(products, cum_weights=product_cw, k=k)
            who = rng.choices(creators, cum_weights=creator_cw, k=k)
            tasks, items, moves = [], [], []
            with transaction.atomic():
                ids = self.sink.reserve_ids(Task, k)
                for tid, product, (creator_id, quote) in zip(ids, picks, who, strict=True):
                    merchant_id = product[1]
                    r = rng.random()
                    if r < 0.25 and (merchant_id, creator_id) not in invited_pairs:
                        state = TaskState.INVITED
                        invited_pairs.add((merchant_id, creator_id))
                        created = self.until_dt - timedelta(hours=rng.uniform(1, 48))
                    else:
                        state = (
                            TaskState.DECLINED
                            if r < 0.45
                            else TaskState.CANCELLED
                            if r < 0.60
                            else TaskState.EXPIRED
                        )
                        created = self.until_dt - timedelta(days=rng.uniform(4, 120))
                    created = _whole(created)
                    closed = {
                        TaskState.DECLINED: created + timedelta(hours=rng.uniform(1, 60)),
                        TaskState.CANCELLED: created + timedelta(hours=rng.uniform(1, 60)),
                        TaskState.EXPIRED: created + timedelta(hours=72),
                    }.get(state)
                    tasks.append(
                        (
                            tid, merchant_id, creator_id, state, quote,
                            (created + timedelta(days=rng.randint(3, 20))).astimezone(SHANGHAI).date(),
                            "", created,
                            closed if state == TaskState.DECLINED else None,
                            closed if state == TaskState.CANCELLED else None,
                            closed if state == TaskState.EXPIRED else None,
                        )
                    )  # fmt: skip
                    own = by_merchant[merchant_id]
                    chosen = {product[0]: product}
                    for extra in rng.sample(own, k=min(len(own), rng.randint(0, 2))):
                        chosen.setdefault(extra[0], extra)
                    for pid, _mid, sku, title, price, rate in chosen.values():
                        items.append((tid, pid, sku, title, price, rate))
                    moves.append(
                        (tid, "create", merchant_id, created, "", TaskState.INVITED)
                    )  # fmt: skip
                    if state == TaskState.DECLINED:
                        moves.append((tid, "decline", creator_id, closed, TaskState.INVITED, state))
                    elif state == TaskState.CANCELLED:
                        moves.append((tid, "cancel", merchant_id, closed, TaskState.INVITED, state))
                    elif state == TaskState.EXPIRED:
                        moves.append((tid, "expire", None, closed, TaskState.INVITED, state))
                self.sink.write(Task, self._TASK_FIELDS, tasks)
                self.sink.write(
                    TaskProduct,
                    ("task_id", "product_id", "sku", "title", "price", "service_fee_rate"),
                    items,
                )
                self.sink.write(
                    TaskTransition,
                    ("task_id", "action", "actor_id", "at", "from_state", "to_state"),
                    moves,
                )
            self.stats.tasks += k
            self.progress("tasks", start + k, n)

    # The events each generated task raised (cooperation.notices, SPEC §7): who is told.
    _TASK_NOTICES = {
        TaskState.INVITED: [("creator", Kind.INVITATION_RECEIVED, "invited")],
        TaskState.DECLINED: [
            ("creator", Kind.INVITATION_RECEIVED, "invited"),
            ("merchant", Kind.INVITATION_DECLINED, Kind.INVITATION_DECLINED),
        ],
        TaskState.CANCELLED: [("creator", Kind.INVITATION_RECEIVED, "invited")],
        TaskState.EXPIRED: [
            ("creator", Kind.INVITATION_RECEIVED, "invited"),
            ("merchant", Kind.INVITATION_EXPIRED, "expired"),
            ("creator", Kind.INVITATION_EXPIRED, "expired"),
        ],
    }

    def _write_conversations(self, rng) -> None:
        """The 通知 the generated tasks raised and a task thread (消息) for about half of them.

        Notifications carry the same kinds, keys, links and context the task services
        give (cooperation.notices); older ones are read. A thread has 1–12 messages
        taking turns, and each party has read up to where it last wrote or further.
        """
        tasks = list(
            Task.objects.filter(merchant__user__username__startswith=MERCHANT_PREFIX)
            .order_by("id")
            .values_list(
                "id", "merchant_id", "creator_id", "state", "slot_fee", "created_at",
                "merchant__shop_name", "creator__nickname",
            )
        )  # fmt: skip
        if not tasks:
            return
        lines = [
            "你好，这款的样品什么时候能寄出？",
            "明天上午发顺丰，单号稍后发你。",
            "直播时间定在周五晚上八点可以吗？",
            "可以，坑位在第三个，讲解五分钟。",
            "佣金率按计划里的比例结算，对吧？",
            "对的，确认收货后 T+7 结算。",
            "好的，我这边准备脚本。",
            "收到，有问题随时沟通。",
        ]
        talked: set[int] = set()
        for start in range(0, len(tasks), PARTY_BATCH):
            part = tasks[start : start + PARTY_BATCH]
            notes, threads, messages, reads = [], [], [], []
            with transaction.atomic():
                thread_ids = iter(self.sink.reserve_ids(Thread, len(part)))
                for tid, merchant_id, creator_id, state, fee, created, shop, nick in part:
                    url = f"/tasks/{tid}/"
                    ref = task_reference(tid)
                    for k, (party, kind, event) in enumerate(self._TASK_NOTICES.get(state, ())):
                        at = created + timedelta(hours=k * 24 + rng.uniform(0, 2))
                        context = {"task": ref}
                        if kind == Kind.INVITATION_RECEIVED:
                            context.update(merchant=shop, fee=format_cny(fee))
                        elif kind == Kind.INVITATION_DECLINED:
                            context["creator"] = nick
                        read = None if at > self.until_dt - timedelta(days=3) else at
                        notes.append(
                            (merchant_id if party == "merchant" else creator_id, kind,
                             f"task:{tid}:{event}", url, context, Delivery.IN_APP, at, read)
                        )  # fmt: skip
                    # Half the tasks have a thread, and every creator's first task does.
                    if rng.random() >= 0.5 and creator_id in talked:
                        continue
                    talked.add(creator_id)
                    thread_id = next(thread_ids)
                    n = rng.randint(1, 12)
                    ids = self.sink.reserve_ids(Message, n)
                    at = created
                    last_by = {}
                    for i, mid in enumerate(ids):
                        at = at + timedelta(minutes=rng.uniform(3, 600))
                        sender = merchant_id if i % 2 == 0 else creator_id
                        last_by[sender] = mid
                        messages.append((mid, thread_id, sender, lines[i % len(lines)], at))
                    threads.append(
                        (thread_id, ThreadKind.TASK, tid, merchant_id, creator_id, created, at,
                         False)
                    )  # fmt: skip
                    for user_id in (merchant_id, creator_id):
                        upto = ids[-1] if rng.random() < 0.7 else last_by.get(user_id, 0)
                        if upto:
                            reads.append((thread_id, user_id, upto, at))
                self.sink.write(
                    Notification,
                    ("recipient_id", "kind", "key", "url", "context", "delivery", "created_at",
                     "read_at"),
                    notes,
                )  # fmt: skip
                self.sink.write(
                    Thread,
                    ("id", "kind", "task_id", "merchant_id", "creator_id", "created_at",
                     "last_message_at", "outreach"),
                    threads,
                )  # fmt: skip
                self.sink.write(
                    Message, ("id", "thread_id", "sender_id", "body", "created_at"), messages
                )
                self.sink.write(
                    ThreadRead, ("thread_id", "user_id", "last_read_id", "read_at"), reads
                )
            self.stats.notifications += len(notes)
            self.stats.threads += len(threads)
            self.stats.messages += len(messages)
            self.progress("conversations", start + len(part), len(tasks))

    # =================================================================== orders

    def _load_world(self):
        """What orders need, read back from the database (the same for fresh and reused parties)."""
        merchants = {
            uid: name
            for uid, name in User.objects.filter(username__startswith=MERCHANT_PREFIX).values_list(
                "id", "username"
            )
        }
        creators = list(
            User.objects.filter(username__startswith=CREATOR_PREFIX)
            .order_by("username")
            .values_list("id", "username")
        )
        products = list(
            Product.objects.filter(sku__startswith=SKU_PREFIX)
            .order_by("sku")
            .values_list("sku", "merchant_id", "price", "service_fee_rate")
        )
        bindings: dict[int, list[tuple]] = {}
        for row in (
            Binding.objects.filter(
                creator__user__username__startswith=CREATOR_PREFIX, valid_from__isnull=False
            )
            .order_by("creator_id", "valid_from")
            .values_list("creator_id", "valid_from", "valid_to", "id", "agency_id", "agency_share")
        ):
            bindings.setdefault(row[0], []).append(row[1:])
        agencies = dict(
            User.objects.filter(username__startswith=AGENCY_PREFIX).values_list("id", "username")
        )
        return merchants, creators, products, bindings, agencies

    def _days(self) -> list[date]:
        return [self.until - timedelta(days=self.days - d) for d in range(self.days)]

    def _day_counts(self, days: list[date]) -> list[int]:
        # Growth over the window and busier weekends.
        weights = [
            (1 + 1.5 * i / max(1, len(days) - 1)) * (1.25 if d.weekday() >= 5 else 1.0)
            for i, d in enumerate(days)
        ]
        return split_by_weights(self.sizes.orders, weights)

    def generate_orders(self, jsonl: IO[str] | None = None) -> None:
        started = time.monotonic()
        merchants, creators, products, bindings, agencies = self._load_world()
        if not creators or not products:
            raise LoadError("no generated creators or products to place orders with")
        rng = random.Random(f"hotwave-load:{self.seed}:orders:{self.order_prefix}")
        creator_cw = zipf_cum_weights(len(creators), 0.95)
        product_cw = zipf_cum_weights(len(products), 1.05)
        # Prices in fen, rates as strings: cheap to compute with and to print.
        products_fen = [
            (sku, mid, int(price * 100), _rate_text(rate), rate)
            for sku, mid, price, rate in products
        ]
        del products
        parse_event = None
        if self.events and jsonl is None:
            from settlement.services.events import parse_event
        days = self._days()
        counts = self._day_counts(days)
        total = self.sizes.orders
        self.progress("orders", 0, total)
        batch: list[tuple] = []
        n = 0
        until_dt = self.until_dt
        for day, k in zip(days, counts, strict=True):
            if not k:
                continue
            day_start = datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI)
            seconds = sorted(
                h * 3600 + rng.random() * 3600
                for h in rng.choices(range(24), weights=HOUR_WEIGHTS, k=k)
            )
            cidx = rng.choices(range(len(creators)), cum_weights=creator_cw, k=k)
            pidx = rng.choices(range(len(products_fen)), cum_weights=product_cw, k=k)
            for sec, ci, pi in zip(seconds, cidx, pidx, strict=True):
                paid_at = (day_start + timedelta(seconds=int(sec))).astimezone(UTC)
                batch.append(self._order(rng, n, paid_at, creators[ci], products_fen[pi], until_dt))
                n += 1
                if len(batch) >= self.batch_size:
                    self._flush(batch, merchants, bindings, agencies, jsonl, parse_event)
                    batch.clear()
                    self.progress("orders", n, total)
        if batch:
            self._flush(batch, merchants, bindings, agencies, jsonl, parse_event)
            batch.clear()
        self.progress("orders", n, total)
        if jsonl is None:
            self.sink.analyze(Order, OrderEvent)
        self.stats.seconds["orders"] = round(time.monotonic() - started, 2)

    def _order(self, rng, n, paid_at, creator, product, until_dt):
        """One order's facts: (n, paid_at, creator, product, amount fen, events)."""
        sku, merchant_id, price_fen, rate_str, rate = product
        qty = rng.choices((1, 2, 3), weights=(80, 15, 5))[0]
        amount = price_fen * qty
        if rng.random() < 0.3:  # a coupon
            amount = max(1, int(amount * rng.uniform(0.8, 0.95)))
        # Whole seconds everywhere: event times round-trip through ISO 8601 unchanged.
        delay = timedelta(
            seconds=int((rng.choice((1, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 10)) + rng.random()) * 86400)
        )
        confirmed_at = paid_at + delay
        refunds: list[tuple[datetime, int]] = []
        r = rng.random()
        if r < 0.03:  # refunded in full before receipt: never confirmed
            refunds.append((_whole(paid_at + delay * rng.uniform(0.05, 0.6)), amount))
            confirmed_at = None
        elif r < 0.07 and amount > 1:
            part = max(1, min(amount - 1, int(amount * rng.uniform(0.1, 0.5))))
            refunds.append((_whole(paid_at + delay * rng.uniform(0.05, 0.9)), part))
        elif r < 0.10 and amount > 1:
            part = max(1, min(amount - 1, int(amount * rng.uniform(0.1, 0.5))))
            refunds.append(
                (confirmed_at + timedelta(seconds=int(rng.uniform(0.5, 7) * 86400)), part)
            )
        if confirmed_at is not None and confirmed_at >= until_dt:
            confirmed_at = None  # still in transit
        refunds = [
            (at, part)
            for at, part in refunds
            if at < until_dt and (confirmed_at is not None or at < paid_at + delay)
        ]
        return (
            n,
            paid_at,
            confirmed_at,
            creator,
            sku,
            merchant_id,
            amount,
            rate_str,
            rate,
            refunds,
        )

    @staticmethod
    def _binding_at(history, at):
        for valid_from, valid_to, bid, agency_id, share in history or ():
            if valid_from <= at and (valid_to is None or at < valid_to):
                return bid, agency_id, share
        return None

    _ORDER_FIELDS = (
        "id", "order_id", "merchant_id", "creator_id", "product_sku", "amount", "refunded",
        "service_fee_rate", "paid_at", "confirmed_at", "status", "rule", "binding_id", "agency_id",
        "agency_share",
    )  # fmt: skip
    _EVENT_FIELDS = ("key", "type", "order_id", "amount", "occurred_at", "payload", "source")

    def _flush(self, batch, merchants, bindings, agencies, jsonl, parse_event) -> None:
        prefix = self.order_prefix
        if jsonl is not None:
            out = []
            for n, paid_at, confirmed_at, creator, sku, mid, amount, rate_str, _r, refunds in batch:
                order_id = f"{prefix}{n:09d}"
                for obj in self._event_objs(
                    order_id, paid_at, confirmed_at, creator[1], sku, merchants[mid], amount,
                    rate_str, refunds,
                ):  # fmt: skip
                    out.append(json.dumps(obj, ensure_ascii=False))
                self._count(confirmed_at, refunds, bindings.get(creator[0]), paid_at)
            jsonl.write("\n".join(out) + "\n")
            self.stats.jsonl_lines += len(out)
            self.stats.orders += len(batch)
            return
        with transaction.atomic():
            ids = self.sink.reserve_ids(Order, len(batch))
            rows, events = [], []
            for oid, (n, paid_at, confirmed_at, creator, sku, mid, amount, rate_str, rate, refunds) in zip(
                ids, batch, strict=True
            ):  # fmt: skip
                order_id = f"{prefix}{n:09d}"
                frozen = self._count(confirmed_at, refunds, bindings.get(creator[0]), paid_at)
                refunded = sum(part for _at, part in refunds)
                rows.append(
                    (
                        oid, order_id, mid, creator[0], sku, yuan(amount), yuan(refunded), rate,
                        paid_at, confirmed_at, "confirmed" if confirmed_at else "paid",
                        "agency" if frozen else "individual",
                        frozen[0] if frozen else None, frozen[1] if frozen else None,
                        frozen[2] if frozen else None,
                    )
                )  # fmt: skip
                if parse_event is not None:
                    for obj, at, part in self._event_facts(
                        order_id, paid_at, confirmed_at, creator[1], sku, merchants[mid], amount,
                        rate_str, rate, refunds,
                    ):  # fmt: skip
                        key = self._event_key(obj, at, rate, parse_event)
                        events.append((key, obj["type"], oid, part, at, obj, "file"))
            self.sink.write(Order, self._ORDER_FIELDS, rows)
            if events:
                self.sink.write(OrderEvent, self._EVENT_FIELDS, events)
                self.stats.events += len(events)
        self.stats.orders += len(batch)

    def _count(self, confirmed_at, refunds, history, paid_at):
        frozen = self._binding_at(history, paid_at)
        self.stats.confirmed += confirmed_at is not None
        self.stats.refunded += bool(refunds)
        self.stats.agency_rule += frozen is not None
        return frozen

    def _event_facts(
        self,
        order_id,
        paid_at,
        confirmed_at,
        creator,
        sku,
        merchant,
        amount,
        rate_str,
        rate,
        refunds,
    ):
        """(event object, time, amount as Decimal or None) for each event of one order."""
        refund_iter = iter(refunds)
        for obj in self._event_objs(
            order_id, paid_at, confirmed_at, creator, sku, merchant, amount, rate_str, refunds
        ):
            kind = obj["type"]
            if kind == "order.paid":
                yield obj, paid_at, yuan(amount)
            elif kind == "order.confirmed":
                yield obj, confirmed_at, None
            else:
                at, part = next(refund_iter)
                yield obj, at, yuan(part)

    def _event_key(self, obj: dict, at: datetime, rate: Decimal, parse_event) -> str:
        """The idempotency key ``import_events`` gives this event.

        Computed here (parsing every event costs ~0.3 ms); the first events of each
        type are checked against the real parser, which is used for all events
        if the scheme ever differs.
        """
        kind = obj["type"]
        if self._parse_all:
            return parse_event(0, obj).key
        iso = at.astimezone(UTC).isoformat()
        if kind == "order.paid":
            parts = (kind, obj["order_id"], obj["merchant"], obj["creator"], obj["product"],
                     obj["amount"], f"{rate:.4f}", iso)  # fmt: skip
        elif kind == "order.refunded":
            parts = (kind, obj["order_id"], obj["amount"], iso)
        else:
            parts = (kind, obj["order_id"], iso)
        canonical = json.dumps(list(parts), ensure_ascii=False, separators=(",", ":"))
        key = hashlib.sha256(canonical.encode()).hexdigest()
        if kind not in self._keys_checked:
            self._keys_checked.add(kind)
            if parse_event(0, obj).key != key:
                self._parse_all = True
                return parse_event(0, obj).key
        return key

    @staticmethod
    def _event_objs(
        order_id, paid_at, confirmed_at, creator, sku, merchant, amount, rate_str, refunds
    ):
        """The SPEC §6 events of one order, in time order."""
        yield {
            "type": "order.paid",
            "order_id": order_id,
            "merchant": merchant,
            "creator": creator,
            "product": sku,
            "amount": str(yuan(amount)),
            "service_fee_rate": rate_str,
            "at": _iso(paid_at),
        }
        later = [(at, "order.refunded", part) for at, part in refunds]
        if confirmed_at is not None:
            later.append((confirmed_at, "order.confirmed", None))
        for at, kind, part in sorted(later, key=lambda e: e[0]):
            obj = {"type": kind, "order_id": order_id}
            if part is not None:
                obj["amount"] = str(yuan(part))
            obj["at"] = _iso(at)
            yield obj

    # ====================================================================== run

    def run(self, jsonl: IO[str] | None = None) -> Stats:
        started = time.monotonic()
        self.ensure_parties()
        if self.sizes.orders:
            self.generate_orders(jsonl)
        self.stats.seconds["total"] = round(time.monotonic() - started, 2)
        return self.stats


def generated_users(prefix: str = "lg_") -> Q:
    """A filter for the accounts the generator made (e.g. to pick benchmark personas)."""
    return Q(username__startswith=prefix)
