from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "conversations"
    verbose_name = _("消息")

    def ready(self) -> None:
        from conversations.services import blocked_merchant_ids, invitation_gate
        from hotwave.gates import register_blocked_merchants, register_invitation_gate

        register_invitation_gate(invitation_gate)
        register_blocked_merchants(blocked_merchant_ids)
