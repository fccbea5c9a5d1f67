from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "conversations"
    verbose_name = _("消息")

    def ready(self) -> None:
        from conversations import selectors
        from conversations.services import invitation_gate
        from hotwave import threads
        from hotwave.gates import register_invitation_gate

        register_invitation_gate(invitation_gate)
        threads.register("task_unread", selectors.task_unread)
