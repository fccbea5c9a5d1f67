"""Demo data for settlement (``seed_demo``): bindings, 90 days of orders, nightly settlement.

Everything goes through the real services: bindings through the invitation
flow (``binding_invite``/``binding_accept`` with past times) and a
``binding.started``/``binding.ended`` pair through event ingestion; orders as
``order.paid``/``order.confirmed``/``order.refunded`` events through the
ingestion service; then the settlement service runs night by night, so
refunds that arrive after an order was settled become real clawbacks and
every creator and agency gets daily payouts.

Idempotent: bindings are created only when the pair has none; the 90 days of
orders only when demo_creator has no orders yet (a later run merely catches
settlement up to yesterday, which is itself idempotent). With
``users_only`` nothing is created (SPEC §6: no bindings or orders).

Product SKUs match cooperation's demo catalogue: DM-001..DM-010 (demo_merchant),
TM-001..TM-010 (demo_tmall), HJ-1xx / AL-2xx / CW-3xx (merchant01..03).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from admission.models import Agency, Creator
from hotwave.money import quantize
from settlement.models import Binding, BindingStatus, Order, SettlementRun
from settlement.services import bindings, events
from settlement.services.settle import settle_through

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAYS = 90
SEED = 20261127

# (sku, unit price, service-fee rate): the same numbers as cooperation's demo products.
CATALOGUE: dict[str, list[tuple[str, str, str]]] = {
    "demo_merchant": [
        ("DM-001", "199.00", "0.20"),
        ("DM-002", "89.90", "0.15"),
        ("DM-003", "258.00", "0.18"),
        ("DM-004", "79.00", "0.25"),
        ("DM-005", "329.00", "0.12"),
        ("DM-006", "39.90", "0.30"),
        ("DM-007", "128.00", "0.22"),
        ("DM-008", "59.00", "0.28"),
        ("DM-009", "99.00", "0.16"),
        ("DM-010", "45.80", "0.20"),
    ],
    "demo_tmall": [
        ("TM-001", "599.00", "0.15"),
        ("TM-002", "169.00", "0.18"),
        ("TM-003", "119.00", "0.20"),
        ("TM-004", "459.00", "0.12"),
        ("TM-005", "299.00", "0.10"),
        ("TM-006", "239.00", "0.16"),
        ("TM-007", "88.00", "0.25"),
        ("TM-008", "39.00", "0.30"),
        ("TM-009", "329.00", "0.14"),
        ("TM-010", "199.00", "0.10"),
    ],
    "merchant01": [
        ("HJ-101", "129.00", "0.30"),
        ("HJ-102", "69.00", "0.25"),
        ("HJ-103", "149.00", "0.28"),
        ("HJ-105", "99.00", "0.26"),
    ],
    "merchant02": [
        ("AL-201", "168.00", "0.20"),
        ("AL-203", "98.00", "0.22"),
        ("AL-205", "49.00", "0.30"),
    ],
    "merchant03": [
        ("CW-301", "159.00", "0.12"),
        ("CW-304", "429.00", "0.12"),
        ("CW-305", "129.00", "0.18"),
    ],
}

# Who sells what: (creator, [(merchant, weight)], orders per day choices).
SELLERS: list[tuple[str, list[tuple[str, int]], list[int]]] = [
    (
        "demo_creator",
        [("demo_merchant", 6), ("demo_tmall", 2), ("merchant02", 1)],
        [0, 1, 2, 2, 3, 4],
    ),
    (
        "demo_streamer",
        [("demo_tmall", 5), ("demo_merchant", 2), ("merchant03", 2)],
        [2, 3, 4, 5, 6],
    ),
    ("creator003", [("merchant01", 3), ("demo_merchant", 1)], [0, 0, 1, 2]),
    ("creator005", [("merchant02", 2), ("demo_tmall", 1)], [0, 0, 1, 1, 2]),
    ("creator007", [("merchant03", 2), ("demo_merchant", 1)], [0, 0, 1, 2]),
    ("creator011", [("merchant01", 1), ("demo_tmall", 1)], [0, 0, 0, 1]),
    ("creator014", [("demo_merchant", 1), ("merchant02", 1)], [0, 0, 0, 1, 1]),
]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def _iso(dt: datetime) -> str:
    return dt.astimezone(SHANGHAI).isoformat()


def _creator(username: str) -> Creator | None:
    return Creator.objects.select_related("user").filter(user__username=username).first()


def _agency(username: str) -> Agency | None:
    return Agency.objects.select_related("user").filter(user__username=username).first()


def _invited_and_accepted(creator, agency, share: str, invited: datetime, accepted: datetime):
    b = bindings.binding_invite(
        agency=agency, creator=creator, agency_share=Decimal(share), actor=agency.user, at=invited
    )
    return bindings.binding_accept(binding=b, actor=creator.user, at=accepted)


def seed_bindings(today: date) -> None:
    """demo_streamer bound to demo_agency; world creators bound, one share change, one import,
    open invitations for the to-do lists and a declined one for the history."""
    start = today - timedelta(days=DAYS + 5)
    demo_agency, streamer = _agency("demo_agency"), _creator("demo_streamer")
    if demo_agency and streamer and not Binding.objects.filter(creator=streamer).exists():
        _invited_and_accepted(streamer, demo_agency, "0.30", _at(start, 10), _at(start, 21, 30))

    a1, a2 = _agency("agency01"), _agency("agency02")
    c3, c5, c7 = _creator("creator003"), _creator("creator005"), _creator("creator007")
    if a1 and c3 and not Binding.objects.filter(creator=c3).exists():
        # A share change: 40%, then a new agreement at 50% the creator consented to.
        _invited_and_accepted(c3, a1, "0.40", _at(start, 9), _at(start, 15))
        change = today - timedelta(days=40)
        b = bindings.binding_invite(
            agency=a1, creator=c3, agency_share=Decimal("0.50"), actor=a1.user, at=_at(change, 10)
        )
        bindings.binding_accept(binding=b, actor=c3.user, at=_at(change, 20))
    if a2 and c5 and not Binding.objects.filter(creator=c5).exists():
        _invited_and_accepted(
            c5, a2, "0.25", _at(start + timedelta(days=10), 11), _at(start + timedelta(days=11), 9)
        )
    if a2 and c7 and not Binding.objects.filter(creator=c7).exists():
        # Migrated from the agency back office, ended 20 days ago (now individual).
        events.ingest_objects(
            [
                {
                    "type": "binding.started",
                    "creator": "creator007",
                    "agency": "agency02",
                    "agency_share": "0.35",
                    "at": _iso(_at(start + timedelta(days=20), 0)),
                },
                {
                    "type": "binding.ended",
                    "creator": "creator007",
                    "agency": "agency02",
                    "at": _iso(_at(today - timedelta(days=20), 0)),
                },
            ],
            source="file",
        )

    # Open invitations (the to-dos of both sides) and a declined one.
    creator010, creator012, demo_creator = (
        _creator("creator010"),
        _creator("creator012"),
        _creator("demo_creator"),
    )
    recent = timezone.now() - timedelta(hours=5)
    if demo_agency and creator010 and not Binding.objects.filter(creator=creator010).exists():
        bindings.binding_invite(
            agency=demo_agency,
            creator=creator010,
            agency_share=Decimal("0.30"),
            actor=demo_agency.user,
            message="星河传媒诚邀加入，提供选品、直播运营和投流支持。",
            at=recent,
        )
    if demo_agency and creator012 and not Binding.objects.filter(creator=creator012).exists():
        b = bindings.binding_invite(
            agency=demo_agency,
            creator=creator012,
            agency_share=Decimal("0.45"),
            actor=demo_agency.user,
            at=recent - timedelta(days=12),
        )
        bindings.binding_decline(binding=b, actor=creator012.user, at=recent - timedelta(days=11))
    if a2 and demo_creator and not Binding.objects.filter(creator=demo_creator).exists():
        bindings.binding_invite(
            agency=a2,
            creator=demo_creator,
            agency_share=Decimal("0.20"),
            actor=a2.user,
            message="晨光文化希望与你签约，分成 20%，提供家居类目独家货盘。",
            at=recent - timedelta(hours=20),
        )


def order_events(today: date, now: datetime, known: set[str]) -> list[dict]:
    """90 days of order events (paid, confirmed, refunded before and after settlement)."""
    rnd = random.Random(SEED)
    out: list[dict] = []
    seq = 0
    first = today - timedelta(days=DAYS - 1)
    for offset in range(DAYS):
        day = first + timedelta(days=offset)
        for creator, merchants, per_day in SELLERS:
            if creator not in known:
                continue
            names = [m for m, _w in merchants if m in known]
            weights = [w for m, w in merchants if m in known]
            if not names:
                continue
            for _ in range(rnd.choice(per_day)):
                merchant = rnd.choices(names, weights=weights)[0]
                sku, price, rate = rnd.choice(CATALOGUE[merchant])
                qty = rnd.choice([1, 1, 1, 2, 2, 3])
                amount = quantize(Decimal(price) * qty)
                seq += 1
                order_id = f"T{day:%Y%m%d}{seq:05d}"
                paid_at = _at(day, rnd.randint(9, 23), rnd.randint(0, 59))
                if paid_at > now:
                    continue
                out.append(
                    {
                        "type": "order.paid",
                        "order_id": order_id,
                        "merchant": merchant,
                        "creator": creator,
                        "product": sku,
                        "amount": f"{amount:.2f}",
                        "service_fee_rate": rate,
                        "at": _iso(paid_at),
                    }
                )
                roll = rnd.random()
                if roll < 0.08:  # a partial refund before receipt (settles on the lower price)
                    part = quantize(amount * Decimal(rnd.choice(["0.3", "0.5"])))
                    when = paid_at + timedelta(hours=rnd.randint(6, 30))
                    if when <= now:
                        out.append(_refund(order_id, part, when))
                confirmed = paid_at + timedelta(days=rnd.randint(2, 6), hours=rnd.randint(0, 8))
                if confirmed > now:
                    continue
                out.append({"type": "order.confirmed", "order_id": order_id, "at": _iso(confirmed)})
                if 0.08 <= roll < 0.14:  # refunded after settlement: a clawback
                    full = rnd.random() < 0.4
                    part = amount if full else quantize(amount * Decimal("0.4"))
                    when = confirmed + timedelta(days=rnd.randint(2, 6), hours=3)
                    if when <= now:
                        out.append(_refund(order_id, part, when))
    return out


def _refund(order_id: str, amount: Decimal, when: datetime) -> dict:
    return {
        "type": "order.refunded",
        "order_id": order_id,
        "amount": f"{amount:.2f}",
        "at": _iso(when),
    }


def settle_days(today: date) -> list[date]:
    """The business days a settlement run closes: weekly in the older past (to keep the
    seed fast), then every night for the last month (the 资金账户's default range)."""
    first = today - timedelta(days=DAYS - 1)
    daily_from = today - timedelta(days=31)
    days = [first + timedelta(days=d) for d in range(6, (daily_from - first).days, 7)]
    days += [daily_from + timedelta(days=d) for d in range((today - daily_from).days)]
    return days


def seed_orders(today: date, now: datetime, usernames: set[str]) -> None:
    """Feed the events in time order and run the settlement after each closing day, so a
    refund that arrives after its order was settled becomes a clawback."""
    evs = sorted(order_events(today, now, usernames), key=lambda e: e["at"])
    i = 0
    for day in settle_days(today):
        cutoff = _iso(_at(day + timedelta(days=1), 0))
        # ISO strings with the same offset sort as times.
        j = i
        while j < len(evs) and evs[j]["at"] < cutoff:
            j += 1
        if j > i:
            events.ingest_objects(evs[i:j], source="file")
        i = j
        settle_through(business_date=day, now=_at(day + timedelta(days=1), 2))
    if i < len(evs):
        events.ingest_objects(evs[i:], source="file")  # today's events stay unsettled


def seed_payout_accounts() -> None:
    """Every admitted demo creator and agency gets a verified 收款账户 (SPEC §7), through the
    services (submitted by the party, verified by demo_operator), so SPEC §6's payouts
    behave as before; parties that are not admitted (demo_newbie) get none."""
    from admission.models import Role, User
    from admission.selectors import admitted_users_q
    from settlement.models import PayoutAccountStatus, PayoutMethod
    from settlement.services import payout_accounts

    operator = User.objects.filter(username="demo_operator").first()
    if operator is None:
        return
    payees = (
        User.objects.filter(role__in=[Role.CREATOR, Role.AGENCY])
        .filter(admitted_users_q())
        .exclude(payout_accounts__status=PayoutAccountStatus.VERIFIED)
        .select_related("creator", "agency")
        .order_by("pk")
    )
    for user in payees:
        name = payout_accounts.real_name_of(user)
        if not name:
            continue
        if user.role == Role.CREATOR:
            method, number, bank = PayoutMethod.ALIPAY, f"1{user.pk:010d}"[-11:], ""
        else:
            method, number, bank = PayoutMethod.BANK, f"6222{user.pk:012d}", "招商银行杭州分行"
        account = payout_accounts.payout_account_submit(
            actor=user, method=method, holder_name=name, account_number=number, bank_name=bank
        )
        if account.status == PayoutAccountStatus.PENDING:
            payout_accounts.payout_account_verify(account=account, operator=operator)


# Demo merchants' funds (SPEC §7, money in): what each has paid in beyond what its
# commission so far has used, and the credit an operator granted (授信额度).
DEMO_FUNDS = {
    "demo_merchant": {"spare": Decimal("80000.00"), "credit": Decimal("20000.00")},
    "demo_tmall": {"spare": Decimal("40000.00"), "credit": Decimal("50000.00")},
}
DEMO_FUNDS_DEFAULT = {"spare": Decimal("100000.00"), "credit": Decimal("0.00")}


def seed_funds(*, top_up: bool = True) -> None:
    """Grant every admitted demo merchant its credit (授信额度) and, unless ``top_up`` is
    off (--users-only: no money moves), top it up once through the instant provider to a
    round sum that covers its commission so far plus room for slot fees."""
    from admission.models import Role, User
    from admission.selectors import admitted_users_q
    from settlement.models import TopUp
    from settlement.selectors.merchant_funds import funds_of
    from settlement.services import funding

    merchants = (
        User.objects.filter(role=Role.MERCHANT)
        .filter(admitted_users_q())
        .select_related("merchant")
        .order_by("pk")
    )
    for user in merchants:
        merchant = user.merchant
        plan = DEMO_FUNDS.get(user.username, DEMO_FUNDS_DEFAULT)
        if plan["credit"] and funds_of(merchant.pk).credit_limit != plan["credit"]:
            funding.credit_limit_set(
                merchant=merchant, credit_limit=plan["credit"], note="演示：年度框架协议授信"
            )
        if not top_up or TopUp.objects.filter(merchant=merchant).exists():
            continue
        owed = -min(funds_of(merchant.pk).balance, Decimal("0.00"))
        thousands = (owed + plan["spare"]) / 1000
        amount = Decimal(int(thousands) + (1 if thousands % 1 else 0)) * 1000
        funding.top_up_request(actor=user, amount=amount.quantize(Decimal("0.01")))


def seed_payout_batches(today: date) -> None:
    """The demo's payout history (SPEC §7): every night's batch exported and answered 成功,
    except yesterday's (已提交, expected today) and one failure — demo_streamer's most
    recent answered item, refused by the bank, its amount back in the balance and its
    payouts held until a new account is verified. Idempotent: answered batches are skipped."""
    from settlement.models import Payout, PayoutStatus
    from settlement.services.payouts import payout_batch_export, payout_results_import

    yesterday = today - timedelta(days=1)
    days = sorted(
        set(
            Payout.objects.filter(status=PayoutStatus.PENDING, business_date__lte=yesterday)
            .values_list("business_date", flat=True)
            .distinct()
        )
    )
    for day in days:
        payout_batch_export(business_date=day, now=_at(day + timedelta(days=1), 9))
    answered = [d for d in days if d < yesterday]
    if not answered:
        return
    failing = (
        Payout.objects.filter(
            account__user__username="demo_streamer",
            batch__business_date__in=answered,
            status=PayoutStatus.SUBMITTED,
        )
        .order_by("-business_date")
        .values_list("pk", flat=True)
        .first()
    )
    for day in answered:
        items = Payout.objects.filter(batch__business_date=day, status=PayoutStatus.SUBMITTED)
        lines = ["item_id,status,reason"] + [
            f"{pk},失败,收款银行退票：账户已冻结" if pk == failing else f"{pk},成功,"
            for pk in items.order_by("pk").values_list("pk", flat=True)
        ]
        payout_results_import(
            content=("\n".join(lines) + "\n").encode(),
            file_name=f"results-{day.isoformat()}.csv",
            now=_at(day + timedelta(days=1), 15),
        )


def seed(*, users_only: bool, context: dict) -> None:
    """seed_demo step for settlement: verified payout accounts for the admitted demo parties;
    bindings and 90 days of orders, settled night by night, unless --users-only (SPEC §6)."""
    seed_payout_accounts()
    if users_only:
        # Credit only: --users-only moves no money (SPEC §6), but demo merchants can
        # still fund the slot fees of the tasks a journey starts.
        seed_funds(top_up=False)
        return
    with transaction.atomic():
        # One commit for the whole history: the services' own transactions become
        # savepoints, which keeps the seed fast on SQLite (no fsync per chunk).
        _seed(context)


def _seed(context: dict) -> None:
    now = timezone.now()
    today = timezone.localdate()
    seed_bindings(today)
    from admission.models import User

    wanted = {c for c, _m, _p in SELLERS} | set(CATALOGUE)
    usernames = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
    if (
        "demo_creator" in usernames
        and not Order.objects.filter(creator__user__username="demo_creator").exists()
    ):
        seed_orders(today, now, usernames)
    else:
        # Catch the nightly settlement up (idempotent: a run already done changes nothing).
        settle_through(business_date=today - timedelta(days=1))
    seed_payout_batches(today)
    seed_funds()
    context["settlement_bindings"] = Binding.objects.filter(status=BindingStatus.ACTIVE).count()


def summary(*, users_only: bool) -> list[str]:
    """seed_demo's report: orders and how far they are settled (the details: -v 2)."""
    if users_only:
        return []
    last = SettlementRun.objects.order_by("-business_date").first()
    settled = Order.objects.filter(settled_at__isnull=False).count()
    through = f", settled through {last.business_date}" if last else ""
    return [
        f"{Order.objects.count()} orders ({settled} settled{through}), "
        f"{Binding.objects.filter(status=BindingStatus.ACTIVE).count()} active agency bindings"
    ]
