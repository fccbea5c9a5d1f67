from django.urls import path

from conversations import views

app_name = "conversations"

urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/badge/", views.badge, name="badge"),
    path("messages/<int:pk>/", views.thread, name="thread"),
    path("messages/<int:pk>/send/", views.send, name="send"),
    path("messages/<int:pk>/poll/", views.poll, name="poll"),
    path("messages/<int:pk>/images/<int:message_pk>/", views.image, name="image"),
    path("messages/<int:pk>/report/", views.report, name="report"),
    path("messages/<int:pk>/restrict/", views.restrict, name="restrict"),
    path("messages/restrictions/", views.restrictions, name="restrictions"),
    path("messages/restrictions/<int:pk>/lift/", views.lift, name="lift"),
    path("tasks/<int:pk>/messages/", views.task_thread, name="task_thread"),
    path("bindings/<int:pk>/messages/", views.binding_thread, name="binding_thread"),
    path("creators/<int:pk>/message/", views.direct, name="direct"),
]
