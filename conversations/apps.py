from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "conversations"
    verbose_name = _("消息")

    def ready(self) -> None:
        from django.urls import reverse

        from conversations import selectors
        from conversations.services import blocked_merchant_ids, dispute_marked, invitation_gate
        from hotwave import threads
        from hotwave.gates import register_blocked_merchants, register_invitation_gate

        register_invitation_gate(invitation_gate)
        register_blocked_merchants(blocked_merchant_ids)
        threads.register("task_unread", selectors.task_unread)
        threads.register("dispute_opened", dispute_marked)
        threads.register(
            "dispute_thread_url",
            lambda dispute: reverse("admin:conversations_dispute_thread", args=[dispute.pk]),
        )
