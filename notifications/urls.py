from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.center, name="center"),
    path("notifications/badge/", views.badge, name="badge"),
    path("notifications/read-all/", views.read_all, name="read_all"),
    path("notifications/settings/", views.preferences, name="preferences"),
    path("notifications/<int:pk>/open/", views.open_notification, name="open"),
    path("notifications/<int:pk>/read/", views.read, name="read"),
]
