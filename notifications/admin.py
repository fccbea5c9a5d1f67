"""Operator admin: the email outbox, to see what was sent, what waits and what failed."""

from __future__ import annotations

from django.contrib import admin

from notifications.models import OutboxEmail


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    """View only: rows move through notifications.services (sent once, retried, given up)."""

    list_display = ("created_at", "to", "subject", "status", "attempts", "sent_at")
    list_filter = ("status",)
    search_fields = ("to", "subject", "key", "recipient__username")
    readonly_fields = (
        "recipient",
        "key",
        "to",
        "subject",
        "body",
        "status",
        "attempts",
        "claimed_until",
        "last_error",
        "created_at",
        "sent_at",
    )
    list_select_related = ("recipient",)
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
