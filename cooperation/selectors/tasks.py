"""Reads of cooperation tasks, always scoped to the actor: a task belongs to its two sides only."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from admission.models import Creator, Role, User
from cooperation.models import (
    AFTER_DEADLINE,
    Deadline,
    DeadlineKind,
    Dispute,
    Party,
    Task,
    TaskAction,
    TaskEvent,
    TaskEventKind,
    TaskProduct,
    TaskState,
    TaskTransition,
    allowed_actions,
    first_thumb,
)
from settlement.selectors.merchant_funds import last_shortfall

# Tabs of the task list, in the order of a task's life.
TAB_STATES: tuple[str, ...] = (
    TaskState.INVITED,
    TaskState.ACCEPTED,
    TaskState.SHIPPED,
    TaskState.RECEIVED,
    TaskState.LIVE_REPORTED,
    TaskState.DISPUTED,
    TaskState.COMPLETED,
    TaskState.RESOLVED,
    TaskState.DECLINED,
    TaskState.CANCELLED,
    TaskState.EXPIRED,
)


def _side_filter(actor: User) -> dict | None:
    if not actor.is_authenticated:
        return None
    if actor.role == Role.MERCHANT:
        return {"merchant_id": actor.pk}
    if actor.role == Role.CREATOR:
        return {"creator_id": actor.pk}
    return None


def can_have_tasks(actor: User) -> bool:
    return _side_filter(actor) is not None


def tasks_for(
    *,
    actor: User,
    state: str | None = None,
    due_soon: bool = False,
    countered: bool | None = None,
) -> QuerySet[Task]:
    """The actor's tasks (merchant: its invitations; creator: those it received), newest first.

    ``countered``: only tasks with (True) or without (False) a counter-offer (议价).

    Other roles get an empty queryset. Products are prefetched, parties joined.
    """
    scope = _side_filter(actor)
    if scope is None:
        return Task.objects.none()
    qs = Task.objects.filter(**scope)
    if state:
        qs = qs.filter(state=state)
    if countered is not None:
        qs = qs.filter(countered_at__isnull=not countered)
    if due_soon:
        from cooperation.todos import due_soon_q

        side = Party.MERCHANT if "merchant_id" in scope else Party.CREATOR
        qs = qs.filter(due_soon_q(side))
    return (
        qs.select_related("merchant", "creator", "activity")
        .prefetch_related(Prefetch("items", queryset=TaskProduct.objects.order_by("pk")))
        .order_by("-created_at", "-pk")
    )


def task_state_counts(*, actor: User) -> dict[str, int]:
    """{state: n} of the actor's tasks for every tab state (zeros included) plus "all". One query."""
    scope = _side_filter(actor)
    counts = dict.fromkeys(TAB_STATES, 0)
    if scope is not None:
        # COUNT(*): an index-only scan of (party, state, …), no visit to the rows.
        rows = Task.objects.filter(**scope).order_by().values_list("state").annotate(n=Count("*"))
        counts.update(dict(rows))
    counts["all"] = sum(counts[s] for s in TAB_STATES)
    return counts


def task_for(*, actor: User, pk: int) -> Task:
    """One of the actor's tasks with products and timeline. Raises Http404 for anyone else's."""
    scope = _side_filter(actor)
    if scope is None:
        raise Http404
    task = (
        Task.objects.filter(pk=pk, **scope)
        .select_related("merchant", "creator", "activity", "counter_offer")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=TaskProduct.objects.annotate(
                    thumb_name=first_thumb("product_id")
                ).order_by("pk"),
            ),
            Prefetch(
                "transitions",
                queryset=TaskTransition.objects.select_related(
                    "actor__merchant", "actor__creator"
                ).order_by("at", "pk"),
            ),
            Prefetch(
                "events",
                queryset=TaskEvent.objects.select_related(
                    "actor__merchant", "actor__creator"
                ).order_by("at", "pk"),
            ),
            Prefetch("disputes", queryset=Dispute.objects.order_by("-opened_at", "-pk")),
        )
        .first()
    )
    if task is None:
        raise Http404
    return task


@dataclass(frozen=True)
class Viewer:
    """What the viewer is to a task and what it may do next."""

    party: str
    actions: tuple[str, ...]

    @property
    def is_merchant(self) -> bool:
        return self.party == Party.MERCHANT

    @property
    def is_creator(self) -> bool:
        return self.party == Party.CREATOR


def viewer_of(*, task: Task, actor: User, now=None) -> Viewer:
    """The viewer's party and the actions it may take now.

    The transition table in the task's state, less the actions open only after a
    missed deadline while it has not passed, and a dispute the party already opened.
    """
    party = task.party_of(actor)
    if party is None:
        raise Http404
    now = now or timezone.now()
    missed = task.missed_deadline(now) is not None
    disputed_by = {d.opened_by for d in task.disputes.all()}
    countered = task.countered_at is not None
    # 议价: answering a counter-offer is the merchant's only while one waits; the creator
    # counters once, and after that waits like the merchant did.
    counter_actions = {TaskAction.ACCEPT_COUNTER, TaskAction.DECLINE_COUNTER}
    waiting_creator = {TaskAction.ACCEPT, TaskAction.DECLINE}
    actions = [
        a
        for a in allowed_actions(task.state, party)
        if (a not in AFTER_DEADLINE or missed)
        and not (a == TaskAction.OPEN_DISPUTE and party in disputed_by)
        and not (a in counter_actions and not countered)
        and not (a in waiting_creator and countered)
    ]
    if task.state == TaskState.INVITED and party == Party.CREATOR and not countered:
        actions.insert(1, TaskAction.COUNTER_OFFER)
    return Viewer(party=party, actions=tuple(actions))


@dataclass(frozen=True)
class DeadlineView:
    """The current stage's deadline as the page shows it."""

    deadline: Deadline
    label: str
    remaining: str  # 剩余 2 天 3 小时 / 已逾期 5 小时
    overdue: bool
    mine: bool  # the viewer is the one who must act

    @property
    def due_at(self):
        return self.deadline.due_at


def _duration(seconds: int) -> str:
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)s 天 %(h)s 小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s 小时 %(m)s 分") % {"h": hours, "m": minutes}
    return _("%(m)s 分钟") % {"m": minutes}


def deadline_view(*, task: Task, party: str | None, now=None) -> DeadlineView | None:
    """The deadline of the task's stage with the time left (server-rendered; JS only ticks it)."""
    d = task.deadline()
    if d is None:
        return None
    now = now or timezone.now()
    left = int((d.due_at - now).total_seconds())
    overdue = left <= 0
    if overdue:
        remaining = _("已逾期 %(t)s") % {"t": _duration(-left)}
    else:
        remaining = _("剩余 %(t)s") % {"t": _duration(left)}
    label = {
        DeadlineKind.RESPOND: _("答复截止"),
        DeadlineKind.SHIP: _("寄样截止"),
        DeadlineKind.RECEIPT: _("自动签收时间"),
        DeadlineKind.LIVE: _("直播截止"),
        DeadlineKind.CONFIRM: _("自动完成时间"),
    }[d.kind]
    return DeadlineView(d, str(label), remaining, overdue, d.party == party)


def current_dispute(*, task: Task) -> Dispute | None:
    """The task's latest dispute (prefetched), decided or not."""
    disputes = list(task.disputes.all())
    return disputes[0] if disputes else None


@dataclass(frozen=True)
class TimelineEntry:
    at: object
    title: str
    actor: object  # a user, or None for the platform
    move: str  # "待寄样 → 待签收" for a state move
    note: str
    amount: object  # a Decimal for escrow movements
    tone: str  # "", "ok", "warn", "danger"
    due_at: object


_EVENT_TONE = {
    TaskEventKind.COUNTER_OFFERED: "warn",
    TaskEventKind.DEADLINE_BREACHED: "err",
    TaskEventKind.DEADLINE_REMINDED: "warn",
    TaskEventKind.DEADLINE_MET: "ok",
    TaskEventKind.DISPUTE_OPENED: "err",
    TaskEventKind.DISPUTE_LAPSED: "warn",
    TaskEventKind.ESCROW_FROZEN: "warn",
}


def _event_title(e: TaskEvent) -> str:
    kind = TaskEventKind(e.kind).label
    if e.deadline:
        what = DeadlineKind(e.deadline).label
        party = Party(e.party).label if e.party else ""
        if e.kind == TaskEventKind.DEADLINE_BREACHED:
            return _("%(party)s逾期未%(what)s") % {"party": party, "what": what}
        if e.kind == TaskEventKind.DEADLINE_MET:
            return _("%(party)s按期%(what)s") % {"party": party, "what": what}
        if e.kind == TaskEventKind.DEADLINE_REMINDED:
            return _("提醒%(party)s：%(what)s期限将至") % {"party": party, "what": what}
        return _("%(kind)s：%(party)s%(what)s") % {"kind": kind, "party": party, "what": what}
    return str(kind)


def _counter_terms(task: Task) -> str:
    """What the counter-offer asked for, in the reader's language (joined with the task)."""
    offer = getattr(task, "counter_offer", None)
    if offer is None:
        return ""
    return " · ".join(f"{what} {was} → {asked}" for what, was, asked in offer.changes())


def task_timeline(*, task: Task) -> list[TimelineEntry]:
    """Every move and event of the task, oldest first: states, deadlines, disputes, escrow."""
    entries = [
        TimelineEntry(
            t.at,
            str(t.get_action_display()),
            t.actor,
            (f"{t.get_from_state_display()} → " if t.from_state else "")
            + str(t.get_to_state_display()),
            t.note,
            None,
            "",
            None,
        )
        for t in task.transitions.all()
    ]
    entries += [
        TimelineEntry(
            e.at,
            _event_title(e),
            e.actor,
            _counter_terms(task) if e.kind == TaskEventKind.COUNTER_OFFERED else "",
            e.note,
            e.amount,
            _EVENT_TONE.get(e.kind, ""),
            e.due_at,
        )
        for e in task.events.all()
    ]
    # Stable: at equal times a move comes before the events it caused.
    return sorted(entries, key=lambda x: x.at)


def breach_counts(*, user: User) -> int:
    """Deadlines this party missed (recorded on it), for its scorecard and the admin."""
    party = Party.MERCHANT if user.role == Role.MERCHANT else Party.CREATOR
    side = "task__merchant_id" if party == Party.MERCHANT else "task__creator_id"
    return TaskEvent.objects.filter(
        kind=TaskEventKind.DEADLINE_BREACHED, party=party, **{side: user.pk}
    ).count()


def cooperate_target(*, actor: User, creator_pk: int) -> Creator:
    """The creator a merchant may start a task with (any creator profile). Http404 for non-merchants."""
    if not actor.is_authenticated or actor.role != Role.MERCHANT:
        raise Http404
    creator = Creator.objects.select_related("user").filter(pk=creator_pk).first()
    if creator is None:
        raise Http404
    return creator


# The main path of a task, shown as steps on its page: what happens at each step (not
# the state it leads to: a finished task reads 发出邀请 ✓ … 确认完成 ✓, not 待寄样 ✓),
# the state it leads to, and the timestamp that records it.
MAIN_PATH: tuple[tuple[str, str, object], ...] = (
    (TaskState.INVITED, "created_at", pgettext_lazy("task step", "发出邀请")),
    (TaskState.ACCEPTED, "accepted_at", pgettext_lazy("task step", "达人接受")),
    (TaskState.SHIPPED, "shipped_at", pgettext_lazy("task step", "寄出样品")),
    (TaskState.RECEIVED, "received_at", pgettext_lazy("task step", "签收样品")),
    (TaskState.LIVE_REPORTED, "live_reported_at", pgettext_lazy("task step", "完成直播")),
    (TaskState.COMPLETED, "completed_at", pgettext_lazy("task step", "确认完成")),
)


@dataclass(frozen=True)
class Step:
    state: str
    label: str
    at: object  # when the step happened, or None
    status: str  # "done", "current" (the step being waited for), "todo", or "stopped"


def task_progress(*, task: Task) -> list[Step]:
    """The main path's steps: done, the one being waited for, to do (from the task's timestamps).

    A task in a main-path state has done every step up to the one that led there; the
    next is current. A closed task (declined, cancelled, expired) stopped at the step
    after the last one it reached, which is labelled with how it ended.
    """
    order = [s for s, _f, _l in MAIN_PATH]
    if task.state in order:
        reached, stopped = order.index(task.state), False
    else:
        reached = max([i for i, (_s, f, _l) in enumerate(MAIN_PATH) if getattr(task, f)] or [0])
        stopped = True
    steps = []
    for i, (state, field, label) in enumerate(MAIN_PATH):
        if i <= reached:
            status = "done"
        elif i == reached + 1:
            status = "stopped" if stopped else "current"
        else:
            status = "todo"
        shown = TaskState(task.state).label if status == "stopped" else label
        steps.append(
            Step(state, str(shown), getattr(task, field) if i <= reached else None, status)
        )
    return steps


def next_step_hint(*, task: Task, party: str) -> str:
    """What the viewer is waiting for (or may do) in the task's state, in one sentence."""
    merchant = party == Party.MERCHANT
    hints = {
        TaskState.INVITED: _("等待达人确认邀请。") if merchant else _("请在邀请过期前答复。"),
        TaskState.ACCEPTED: _("达人已接受，请寄出样品并填写快递单号。")
        if merchant
        else _("等待商家寄出样品。"),
        TaskState.SHIPPED: _("样品已寄出，等待达人签收。")
        if merchant
        else _("收到样品后请确认签收。"),
        TaskState.RECEIVED: _("达人已签收样品，等待直播。")
        if merchant
        else _("请按计划直播，结束后提交直播时间和回放链接。"),
        TaskState.LIVE_REPORTED: _("达人已提交直播，请查看回放并确认完成。")
        if merchant
        else _("等待商家确认完成；逾期未确认将自动完成。"),
        TaskState.DISPUTED: _("任务争议中：坑位费已冻结、各项期限暂停，等待对方回应和运营裁决。"),
        TaskState.COMPLETED: _("合作已完成，坑位费已结算给达人。"),
        TaskState.RESOLVED: _("争议已由运营裁决，坑位费已按裁决结算。"),
        TaskState.DECLINED: _("达人已拒绝该邀请。"),
        TaskState.CANCELLED: _("该合作已取消；托管的坑位费（如有）已退回商家。"),
        TaskState.EXPIRED: _("邀请 72 小时未答复，已自动过期。"),
    }
    if task.state == TaskState.INVITED and task.countered_at is not None:
        return (
            _("达人提出了议价：接受后按新条件合作，拒绝则邀请结束。")
            if merchant
            else _("你已提出议价，等待商家答复。")
        )
    if task.state == TaskState.DECLINED and task.countered_at is not None:
        return _("商家拒绝了议价，这份邀请已结束。")
    return hints[task.state]


def completion_split(*, task: Task, amount=None):
    """How the released slot fee (default: all of it) would be split now (settlement's rule)."""
    from settlement.commission import binding_in_force, split_fee

    binding = binding_in_force(task.creator_id)
    value = task.slot_fee if amount is None else amount
    return split_fee(value, agency_share=binding.agency_share if binding else None)


def cooperate_again_initial(*, actor: User, pk: int, creator_pk: int) -> dict:
    """再次合作: the terms of one of the merchant's completed tasks with this creator, as the
    initial data of a new invitation (the planned date is chosen anew). Http404 otherwise."""
    task = task_for(actor=actor, pk=pk)
    if task.state != TaskState.COMPLETED or task.creator_id != creator_pk:
        raise Http404
    return {
        "products": [item.product_id for item in task.items.all()],
        "slot_fee": task.slot_fee,
        "mode": task.mode,
        "gmv_target": task.gmv_target,
        "note": task.note,
        "ship_days": task.ship_days,
        "receipt_days": task.receipt_days,
        "live_grace_days": task.live_grace_days,
    }


def funds_shortfall(*, task: Task):
    """The latest acceptance of this invitation refused for want of the merchant's funds
    (settlement's FundsShortfall), or None; only while the invitation is still open."""
    if task.state != TaskState.INVITED or not task.holds_escrow:
        return None
    return last_shortfall(key=f"task:{task.pk}")


def have_worked_together(*, merchant_id: int, creator_id: int) -> bool:
    """Whether any task (in any state) joins this merchant and creator (user ids). One query."""
    return Task.objects.filter(merchant_id=merchant_id, creator_id=creator_id).exists()
