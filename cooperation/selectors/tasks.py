"""Reads of cooperation tasks, always scoped to the actor: a task belongs to its two sides only."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from admission.models import Creator, Role, User
from cooperation.models import (
    Party,
    Task,
    TaskProduct,
    TaskState,
    TaskTransition,
    allowed_actions,
)

# Tabs of the task list, in the order of a task's life.
TAB_STATES: tuple[str, ...] = (
    TaskState.INVITED,
    TaskState.ACCEPTED,
    TaskState.SHIPPED,
    TaskState.RECEIVED,
    TaskState.LIVE_REPORTED,
    TaskState.COMPLETED,
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


def tasks_for(*, actor: User, state: str | None = None) -> QuerySet[Task]:
    """The actor's tasks (merchant: its invitations; creator: those it received), newest first.

    Other roles get an empty queryset. Products are prefetched, parties joined.
    """
    scope = _side_filter(actor)
    if scope is None:
        return Task.objects.none()
    qs = Task.objects.filter(**scope)
    if state:
        qs = qs.filter(state=state)
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
        .select_related("merchant", "creator", "activity")
        .prefetch_related(
            Prefetch("items", queryset=TaskProduct.objects.order_by("pk")),
            Prefetch(
                "transitions",
                queryset=TaskTransition.objects.select_related(
                    "actor__merchant", "actor__creator"
                ).order_by("at", "pk"),
            ),
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


def viewer_of(*, task: Task, actor: User) -> Viewer:
    """The viewer's party and the actions the transition table gives it in the task's state."""
    party = task.party_of(actor)
    if party is None:
        raise Http404
    return Viewer(party=party, actions=tuple(allowed_actions(task.state, party)))


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
        TaskState.COMPLETED: _("合作已完成，坑位费已结算给达人。"),
        TaskState.DECLINED: _("达人已拒绝该邀请。"),
        TaskState.CANCELLED: _("商家已取消该合作。"),
        TaskState.EXPIRED: _("邀请 72 小时未答复，已自动过期。"),
    }
    return hints[task.state]


def completion_split(*, task: Task):
    """How the escrowed slot fee would be split if the task completed now (settlement's rule)."""
    from settlement.commission import binding_in_force, split_fee

    binding = binding_in_force(task.creator_id)
    return split_fee(task.slot_fee, agency_share=binding.agency_share if binding else None)
