"""消息 pages: the inbox, a thread (older messages a page at a time), send, and the live poll.

Live without fragility: the open thread polls ``poll/?after=<last id>`` every
2 s with htmx and ``If-None-Match``; nothing new answers 304 (one query after
the session's), so a thread left open costs little. A sent message triggers
the poll at once. Without JavaScript the form posts and redirects back, and a
reload shows what arrived.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from admission.models import Role
from conversations import cards, selectors, services
from conversations.models import REPORT_DETAIL_MAX, ReportReason, RestrictionKind
from cooperation.selectors.plaza import creator_for_merchant
from cooperation.selectors.tasks import task_for
from hotwave.http import htmx_template
from hotwave.pagecache import cached_page
from settlement.selectors.bindings import binding_for

INBOX_PAGE = 20


@require_GET
def inbox(request):
    page = Paginator(selectors.threads_for(actor=request.user), INBOX_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request, htmx_template(request, "conversations/inbox.html", "threads"), {"page": page}
    )


def _int(value) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


def _compose_context(request, thread, *, writer: bool, posted=None) -> dict:
    """The compose box's choices (products and the pair's tasks) and what was posted."""
    posted = posted or {}
    products, tasks = (
        cards.compose_choices(thread=thread, actor=request.user) if writer else ([], [])
    )
    return {
        "product_choices": products,
        "task_choices": tasks,
        "chosen_product": posted.get("product", ""),
        "chosen_task": posted.get("task", ""),
        "attach_open": bool(posted.get("product") or posted.get("task")),
        "is_creator": request.user.pk == thread.creator_id,
    }


def _thread_context(
    request, thread, *, before: int = 0, text: str = "", error: str = "", posted=None
):
    page = selectors.messages_page(thread=thread, before=before or None)
    cards.attach_cards(page.messages, viewer=request.user)
    writer = selectors.can_write(thread, request.user)
    last_id, other_read, own_read = selectors.thread_marks(thread=thread, actor=request.user)
    return {
        "thread": thread,
        "page": page,
        "before": before,
        "writer": writer,
        "other_read": other_read,
        "last_id": last_id,
        "own_read": own_read,
        "text": text,
        "error": error,
        "body_max": services.BODY_MAX,
        "standing": selectors.thread_standing(thread=thread, actor=request.user),
        "reasons": ReportReason.choices,
        "detail_max": REPORT_DETAIL_MAX,
        **_compose_context(request, thread, writer=writer, posted=posted),
    }


@cached_page
@require_GET
def thread(request, pk: int):
    thread = selectors.thread_for(actor=request.user, pk=pk)
    before = _int(request.GET.get("before"))
    context = _thread_context(request, thread, before=before)
    if not before and context["last_id"] > context["own_read"]:
        services.thread_mark_read(thread=thread, actor=request.user, upto_id=context["last_id"])
    if before and request.htmx:
        return render(request, "conversations/thread.html#older", context)
    return render(request, "conversations/thread.html", context)


@require_POST
def send(request, pk: int):
    thread = selectors.thread_for(actor=request.user, pk=pk)
    text = request.POST.get("body", "")
    upload = request.FILES.get("image")
    try:
        services.message_send(
            thread=thread,
            actor=request.user,
            body=text,
            product_id=request.POST.get("product") or None,
            task_id=request.POST.get("task") or None,
            image=_read_upload(upload),
        )
    except services.MessageRefused as exc:
        context = _thread_context(
            request, thread, text=text, error=exc.message, posted=request.POST
        )
        if request.htmx:
            return render(request, "conversations/thread.html#compose", context, status=422)
        return render(request, "conversations/thread.html", context, status=422)
    if request.htmx:
        response = render(
            request, "conversations/thread.html#compose", _compose_only(request, thread)
        )
        response["HX-Trigger"] = "hw-message-sent"  # the poll fetches it at once
        return response
    return redirect(f"{reverse('conversations:thread', args=[thread.pk])}#latest", permanent=False)


def _read_upload(upload) -> bytes | None:
    """The uploaded file's bytes, read no further than the image limit (+1 to tell)."""
    if upload is None:
        return None
    from cooperation.images import MAX_UPLOAD_BYTES

    return upload.read(MAX_UPLOAD_BYTES + 1)


def _compose_only(request, thread) -> dict:
    return {
        "thread": thread,
        "writer": True,
        "text": "",
        "error": "",
        "body_max": services.BODY_MAX,
        **_compose_context(request, thread, writer=True),
    }


@require_GET
def poll(request, pk: int):
    """New messages after ``after`` and the read receipt; 304 when nothing changed."""
    thread = selectors.thread_for(actor=request.user, pk=pk)
    if not request.htmx:
        return redirect("conversations:thread", pk=thread.pk)
    after = _int(request.GET.get("after"))
    last_id, other_read = selectors.thread_state(thread=thread, actor=request.user)
    etag = f'"{thread.pk}.{last_id}.{other_read}.{after}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponse(status=304, headers={"ETag": etag})
    new = selectors.messages_after(thread=thread, after=after) if last_id > after else []
    cards.attach_cards(new, viewer=request.user)
    upto = new[-1].pk if new else after
    if new:
        services.thread_mark_read(thread=thread, actor=request.user, upto_id=upto)
    response = render(
        request,
        "conversations/_poll.html",
        {
            "thread": thread,
            "new": new,
            "after": upto,
            "other_read": other_read,
            "last_id": last_id,
            "writer": selectors.can_write(thread, request.user),
            # The ETag of the poller that replaces this one: nothing new since.
            "etag": f'"{thread.pk}.{last_id}.{other_read}.{upto}"',
        },
    )
    response["ETag"] = etag
    return response


@require_GET
def task_thread(request, pk: int):
    """From a task page: its thread (created on first use) for its two parties."""
    task = task_for(actor=request.user, pk=pk)
    return redirect("conversations:thread", pk=services.thread_for_task(task=task).pk)


@require_GET
def binding_thread(request, pk: int):
    """From a binding invitation page: its thread (created on first use) for the agency and
    the creator; anyone else, merchants included, gets a 404 from ``binding_for``."""
    binding = binding_for(actor=request.user, pk=pk)
    return redirect("conversations:thread", pk=services.thread_for_binding(binding=binding).pk)


@require_POST
def direct(request, pk: int):
    """From a creator's homepage: the merchant's direct thread with that creator."""
    if not request.user.is_merchant:
        raise Http404
    creator = creator_for_merchant(actor=request.user, pk=pk)
    try:
        thread = services.thread_direct_open(actor=request.user, creator=creator.user)
    except services.MessageRefused as exc:
        flash.error(request, exc.message)
        return redirect("cooperation:creator_detail", pk=pk)
    return redirect("conversations:thread", pk=thread.pk)


@require_GET
def badge(request):
    if not request.htmx:
        return redirect("conversations:inbox")
    return render(
        request,
        "conversations/_badge.html",
        {"unread": selectors.unread_total(actor=request.user)},
    )


@require_POST
def report(request, pk: int):
    """A party reports the thread (reason, a short note); the form shows the refusal in place."""
    thread = selectors.thread_for(actor=request.user, pk=pk)
    try:
        services.report_create(
            thread=thread,
            actor=request.user,
            reason=request.POST.get("reason", ""),
            detail=request.POST.get("detail", ""),
        )
    except services.MessageRefused as exc:
        context = _thread_context(request, thread)
        context.update(report_error=exc.message, report_detail=request.POST.get("detail", ""))
        return render(request, "conversations/thread.html", context, status=422)
    flash.success(request, _("举报已提交，平台会尽快处理。"))
    return redirect("conversations:thread", pk=thread.pk)


_RESTRICT_ACTIONS = {
    "mute": (RestrictionKind.MUTE, True),
    "unmute": (RestrictionKind.MUTE, False),
    "block": (RestrictionKind.BLOCK, True),
    "unblock": (RestrictionKind.BLOCK, False),
}


@require_POST
def restrict(request, pk: int):
    """The thread's creator mutes, blocks, unmutes or unblocks its merchant."""
    thread = selectors.thread_for(actor=request.user, pk=pk)
    if request.user.pk != thread.creator_id or thread.merchant_id is None:
        raise Http404  # mute and block are a creator's about a merchant
    action = _RESTRICT_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        flash.error(request, _("请选择要进行的操作。"))
        return redirect("conversations:thread", pk=thread.pk)
    kind, on = action
    try:
        if on:
            services.restrict(actor=request.user, merchant=thread.merchant, kind=kind)
        else:
            services.unrestrict(actor=request.user, merchant=thread.merchant, kind=kind)
    except services.MessageRefused as exc:
        flash.error(request, exc.message)
    else:
        flash.success(request, _RESTRICT_DONE[request.POST["action"]])
    return redirect("conversations:thread", pk=thread.pk)


_RESTRICT_DONE = {
    "mute": gettext_lazy("已开启免打扰：这个商家的消息不再计入未读。"),
    "unmute": gettext_lazy("已关闭免打扰。"),
    "block": gettext_lazy("已屏蔽这个商家：双方不能再发消息，对方也不能再向你发起私信或合作邀请。"),
    "unblock": gettext_lazy("已解除屏蔽。"),
}


@require_GET
def restrictions(request):
    """The creator's muted and blocked merchants (a settings list), paginated."""
    if request.user.role != Role.CREATOR:
        raise Http404
    page = Paginator(selectors.restrictions_for(actor=request.user), INBOX_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "conversations/restrictions.html", {"page": page})


@require_POST
def lift(request, pk: int):
    """Lift one of the creator's own mutes or blocks (someone else's is a 404)."""
    if request.user.role != Role.CREATOR:
        raise Http404
    row = selectors.restrictions_for(actor=request.user).filter(pk=pk).first()
    if row is None:
        raise Http404
    try:
        services.unrestrict(actor=request.user, merchant=row.merchant, kind=row.kind)
    except services.MessageRefused as exc:
        flash.error(request, exc.message)
    else:
        flash.success(request, _("已解除。"))
    return redirect("conversations:restrictions")


@require_GET
def image(request, pk: int, message_pk: int):
    """A picture sent in a thread, for the thread's readers only (``?size=thumb``)."""
    from django.core.files.storage import default_storage
    from django.http import FileResponse

    thread = selectors.thread_for(actor=request.user, pk=pk)
    message = selectors.message_image(thread=thread, pk=message_pk)
    name = message.thumb if request.GET.get("size") == "thumb" else message.image
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
