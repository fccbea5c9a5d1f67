from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    name = "workbench"
    verbose_name = _("工作台")

    def ready(self) -> None:
        from hotwave import todos
        from workbench.services import _on_todos_changed

        # Lower apps call hotwave.todos.changed(user_ids) after a change; the
        # workbench answers by recounting those users once the change commits.
        todos.on_change(_on_todos_changed)
