"""The operators' report queue (会话举报): oldest open first; the reported thread's
messages only through a report, each opening recorded; decide with a note."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Value, When
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from conversations import services
from conversations.models import DisputeAccess, Report, ReportAccess, ReportStatus
from hotwave.admin import ReadOnlyAdmin

DISPUTE_VIEW_PERMISSION = "cooperation.view_dispute"


class ReportDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("处理结果"),
        choices=[(v, ReportStatus(v).label) for v in services.DECISIONS],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("处理说明"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )


class ReportAccessInline(admin.TabularInline):
    model = ReportAccess
    fields = ("operator", "opened_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = gettext_lazy("查看记录")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("pk", "thread", "reporter", "reason", "status", "created_at", "decided_at")
    list_filter = ("status", "reason")
    list_select_related = ("thread", "reporter")
    inlines = [ReportAccessInline]
    readonly_fields = ("read_link",)
    fields = (
        "thread",
        "reporter",
        "reason",
        "detail",
        "created_at",
        "status",
        "read_link",
        "decided_by",
        "decided_at",
        "decision_note",
    )

    def get_ordering(self, request):  # open reports first, oldest first
        open_first = Case(When(status=ReportStatus.OPEN, then=Value(0)), default=Value(1))
        return [open_first.asc(), "created_at", "pk"]

    @admin.display(description=gettext_lazy("会话消息"))
    def read_link(self, obj):
        url = reverse("admin:conversations_report_thread", args=[obj.pk])
        label = _("查看会话并处理") if obj.status == ReportStatus.OPEN else _("查看会话")
        return format_html('<a class="button" href="{}">{}</a>', url, label)

    def get_urls(self):
        return [
            path(
                "<int:pk>/thread/",
                self.admin_site.admin_view(self.thread_view),
                name="conversations_report_thread",
            ),
            *super().get_urls(),
        ]

    def thread_view(self, request, pk: int):
        """The reported thread's messages (the opening is recorded) and the decision form."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        report = (
            Report.objects.select_related(
                "thread__merchant__merchant",
                "thread__agency__agency",
                "thread__creator__creator",
                "reporter",
                "decided_by",
            )
            .filter(pk=pk)
            .first()
        )
        if report is None:
            raise Http404
        can_decide = report.status == ReportStatus.OPEN and request.user.has_perm(
            services.DECIDE_REPORT_PERMISSION
        )
        form = ReportDecisionForm(request.POST or None)
        if request.method == "POST":
            if not can_decide:
                raise PermissionDenied
            if form.is_valid():
                try:
                    services.report_decide(
                        report_id=report.pk,
                        operator=request.user,
                        outcome=form.cleaned_data["outcome"],
                        note=form.cleaned_data["note"],
                    )
                except services.MessageRefused as exc:
                    form.add_error(None, exc.message)
                else:
                    self.message_user(request, _("举报已处理。"), messages.SUCCESS)
                    return redirect("admin:conversations_report_change", report.pk)
        thread_messages = services.report_open_thread(report=report, operator=request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": _("举报 #%(pk)s 的会话") % {"pk": report.pk},
            "report": report,
            "thread": report.thread,
            "thread_messages": thread_messages,
            "form": form if can_decide else None,
            "opts": self.model._meta,
            "change_url": reverse("admin:conversations_report_change", args=[report.pk]),
        }
        return TemplateResponse(request, "admin/conversations/report/thread.html", context)


@admin.register(ReportAccess)
class ReportAccessAdmin(ReadOnlyAdmin):
    """The audit of operators opening reported threads: read only."""

    list_display = ("report", "operator", "opened_at")
    list_select_related = ("report", "operator")
    ordering = ("-opened_at",)


@admin.register(DisputeAccess)
class DisputeAccessAdmin(ReadOnlyAdmin):
    """The audit of operators opening a dispute's task thread (read only), and that page:
    the whole conversation, the messages from the dispute on highlighted."""

    list_display = ("dispute", "thread", "operator", "opened_at")
    list_select_related = ("dispute__task", "thread", "operator")
    ordering = ("-opened_at",)

    def get_urls(self):
        return [
            path(
                "dispute/<int:pk>/",
                self.admin_site.admin_view(self.dispute_thread_view),
                name="conversations_dispute_thread",
            ),
            *super().get_urls(),
        ]

    def dispute_thread_view(self, request, pk: int):
        """Read only; anyone who may not see disputes gets a 404, like a stranger's thread."""
        from cooperation.models import Dispute

        if not request.user.has_perm(DISPUTE_VIEW_PERMISSION):
            raise Http404
        dispute = (
            Dispute.objects.select_related("task__merchant", "task__creator").filter(pk=pk).first()
        )
        if dispute is None:
            raise Http404
        thread, rows, start = services.dispute_open_thread(dispute=dispute, operator=request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": _("争议 %(ref)s 的会话") % {"ref": dispute.task.reference},
            "dispute": dispute,
            "thread": thread,
            "thread_messages": rows,
            "start": start,
            "opts": self.model._meta,
            "dispute_url": reverse("admin:cooperation_dispute_change", args=[dispute.pk]),
        }
        return TemplateResponse(request, "admin/conversations/dispute_thread.html", context)
