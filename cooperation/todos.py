"""To-do sources of cooperation tasks (SPEC §5 待办事项).

Each source counts one side's tasks in one state — exactly the tasks the linked
page (合作任务 filtered by ``?state=``, and ``&countered=`` for invitations with or
without a counter-offer) lists for that user.
"""

from __future__ import annotations

from django.db.models import Count, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cooperation.models import Task, TaskState
from hotwave.todos import STREAM_CHUNK, TodoBatch, TodoSource, count_of, register, register_batch

# Source key -> (side, state), for the per-side batches below.
_STATES: dict[str, tuple[str, Q]] = {}


def _source(
    key: str,
    role: str,
    side: str,
    state: str,
    title,
    description,
    order: int,
    *,
    countered: bool | None = None,
):
    field = f"{side}_id"
    match = Q(state=state)
    query = f"?state={state}"
    if countered is not None:  # invitations with (or without) a counter-offer (议价)
        match &= Q(countered_at__isnull=not countered)
        query += f"&countered={int(countered)}"
    _STATES[key] = (side, match)

    def count_all() -> dict[int, int]:
        rows = Task.objects.filter(match).order_by().values_list(field).annotate(n=Count("pk"))
        return {user_id: n for user_id, n in rows if n}

    def count_for(user) -> int:
        return Task.objects.filter(match, **{field: user.pk}).count()

    def count_expr(role: str):
        return count_of(Task.objects.filter(match, **{field: OuterRef("pk")}))

    def url(user=None) -> str:
        return f"{reverse('cooperation:task_list')}{query}"

    return register(
        TodoSource(
            key=key,
            roles=(role,),
            title=title,
            url=url,
            count_all=count_all,
            count_for=count_for,
            order=order,
            description=description,
            count_expr=count_expr,
        )
    )


# Merchants: invitations waiting for the creator, samples to ship, completions to confirm.
MERCHANT_INVITED = _source(
    "cooperation.merchant_invited",
    "merchant",
    "merchant",
    TaskState.INVITED,
    _("待达人确认"),
    _("已发出、等待达人答复的合作邀请"),
    20,
)
MERCHANT_COUNTER_OFFERS = _source(
    "cooperation.merchant_counter_offers",
    "merchant",
    "merchant",
    TaskState.INVITED,
    _("待答复的议价"),
    _("达人提出了新的坑位费、合作模式或直播日期，等待你接受或拒绝"),
    18,
    countered=True,
)
MERCHANT_TO_SHIP = _source(
    "cooperation.merchant_to_ship",
    "merchant",
    "merchant",
    TaskState.ACCEPTED,
    _("待寄样"),
    _("达人已接受，需要寄出样品的合作"),
    21,
)
MERCHANT_TO_CONFIRM = _source(
    "cooperation.merchant_to_confirm",
    "merchant",
    "merchant",
    TaskState.LIVE_REPORTED,
    _("待确认完成"),
    _("达人已提交直播，等待你确认完成的合作"),
    22,
)
# Creators: invitations to answer, samples to confirm, live sessions to report.
CREATOR_TO_ANSWER = _source(
    "cooperation.creator_to_answer",
    "creator",
    "creator",
    TaskState.INVITED,
    _("待确认的合作邀请"),
    _("商家发来、等待你接受、议价或拒绝的邀请"),
    20,
    countered=False,  # after a counter-offer the invitation waits for the merchant
)
CREATOR_TO_RECEIVE = _source(
    "cooperation.creator_to_receive",
    "creator",
    "creator",
    TaskState.SHIPPED,
    _("待签收样品"),
    _("商家已寄出、等待你确认签收的样品"),
    21,
)
CREATOR_TO_REPORT = _source(
    "cooperation.creator_to_report",
    "creator",
    "creator",
    TaskState.RECEIVED,
    _("待直播"),
    _("已签收样品、等待你直播并提交回放的合作"),
    22,
)


def _side_batch(side: str) -> TodoBatch:
    """One side's sources in one pass over its tasks: GROUP BY user, a filtered count each."""
    field = f"{side}_id"
    matches = {key: match for key, (s, match) in _STATES.items() if s == side}

    def rows():
        any_match = Q()
        for match in matches.values():
            any_match |= match
        qs = (
            Task.objects.filter(any_match)
            .order_by()
            .values_list(field)
            .annotate(**{f"n{i}": Count("pk", filter=m) for i, m in enumerate(matches.values())})
            .order_by(field)
        )
        keys = list(matches)
        for user_id, *counts in qs.iterator(chunk_size=STREAM_CHUNK):
            yield user_id, dict(zip(keys, counts, strict=True))

    return register_batch(
        TodoBatch(key=f"cooperation.{side}", source_keys=tuple(matches), rows=rows)
    )


_side_batch("merchant")
_side_batch("creator")


# --- deadlines due within 24 h (SPEC §7 reminders) ---------------------------------------


def due_soon_q(side: str):
    """Tasks whose current stage's deadline was reminded to ``side`` (the tick writes it 24 h ahead)."""
    from django.db.models import Exists

    from cooperation.models import TaskEvent, TaskEventKind

    return Exists(
        TaskEvent.objects.filter(
            task=OuterRef("pk"),
            kind=TaskEventKind.DEADLINE_REMINDED,
            stage=OuterRef("state"),
            party=side,
        )
    )


def _due_source(key: str, side: str, description, order: int):
    field = f"{side}_id"

    def base():
        return Task.objects.filter(due_soon_q(side))

    def count_all() -> dict[int, int]:
        rows = base().order_by().values_list(field).annotate(n=Count("pk"))
        return {user_id: n for user_id, n in rows if n}

    def count_for(user) -> int:
        return base().filter(**{field: user.pk}).count()

    def count_expr(role: str):
        return count_of(base().filter(**{field: OuterRef("pk")}))

    def url(user=None) -> str:
        return f"{reverse('cooperation:task_list')}?due=soon"

    return register(
        TodoSource(
            key=key,
            roles=(side,),
            title=_("即将到期"),
            url=url,
            count_all=count_all,
            count_for=count_for,
            order=order,
            description=description,
            count_expr=count_expr,
        )
    )


MERCHANT_DUE_SOON = _due_source(
    "cooperation.merchant_due_soon", "merchant", _("24 小时内到期、需要你处理的合作"), 19
)
CREATOR_DUE_SOON = _due_source(
    "cooperation.creator_due_soon", "creator", _("24 小时内到期、需要你处理的合作"), 19
)


# --- promotion plans (推广计划) -----------------------------------------------------------


def _plan_sources():
    from cooperation.models import ApplicationStatus, CartItem, PlanApplication
    from cooperation.selectors.plans import cut_pending_q, own_cut_pending_q

    def waiting():
        return PlanApplication.objects.filter(status=ApplicationStatus.PENDING)

    def applications_url(user=None) -> str:
        return f"{reverse('cooperation:application_list')}?status={ApplicationStatus.PENDING}"

    register(
        TodoSource(
            key="cooperation.plan_applications",
            roles=("merchant",),
            title=_("待审核的计划申请"),
            url=applications_url,
            count_all=lambda: dict(
                waiting()
                .order_by()
                .values_list("plan__product__merchant_id")
                .annotate(n=Count("pk"))
            ),
            count_for=lambda user: waiting().filter(plan__product__merchant_id=user.pk).count(),
            order=23,
            description=_("达人申请你的定向计划，等待你通过或拒绝"),
            count_expr=lambda role: count_of(
                waiting().filter(plan__product__merchant_id=OuterRef("pk"))
            ),
        )
    )

    def cuts():
        # Cart items whose product has a plan applying to that creator with a cut announced,
        # or whose own rate (the one the creator gets without a plan) has one.
        creator, product = OuterRef("creator_id"), OuterRef("product_id")
        return CartItem.objects.filter(
            cut_pending_q(creator, product)
            | own_cut_pending_q(creator, product, prefix="product__")
        )

    def cuts_url(user=None) -> str:
        return f"{reverse('cooperation:cart')}?rate_cut=1"

    register(
        TodoSource(
            key="cooperation.rate_cuts",
            roles=("creator",),
            title=_("费率即将下调"),
            url=cuts_url,
            count_all=lambda: dict(
                cuts().order_by().values_list("creator_id").annotate(n=Count("pk"))
            ),
            count_for=lambda user: cuts().filter(creator_id=user.pk).count(),
            order=23,
            description=_("带货车里的商品，服务费率将在通知期后下调"),
            count_expr=lambda role: count_of(cuts().filter(creator_id=OuterRef("pk"))),
        )
    )


_plan_sources()


def _sample_source():
    from cooperation.models import SampleRequest, SampleStatus

    def waiting():
        return SampleRequest.objects.filter(status=SampleStatus.PENDING)

    register(
        TodoSource(
            key="cooperation.sample_requests",
            roles=("merchant",),
            title=_("待处理的申样"),
            url=lambda user=None: f"{reverse('cooperation:sample_list')}?status=pending",
            count_all=lambda: dict(
                waiting().order_by().values_list("product__merchant_id").annotate(n=Count("pk"))
            ),
            count_for=lambda user: waiting().filter(product__merchant_id=user.pk).count(),
            order=24,
            description=_("达人申请你商品的免费样品，等待你通过或拒绝"),
            count_expr=lambda role: count_of(waiting().filter(product__merchant_id=OuterRef("pk"))),
        )
    )


_sample_source()
