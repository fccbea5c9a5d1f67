"""Root URLconf: each app owns its paths under its own namespace."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from hotwave import views

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # The language switch is for everyone, logged in or not (the login page has it).
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("workbench.urls")),
    path("", include("admission.urls")),
    path("", include("settlement.urls")),
    path("", include("cooperation.urls")),
    path("", include("notifications.urls")),
    path("", include("conversations.urls")),
]

handler400 = "hotwave.views.bad_request"
handler403 = "hotwave.views.permission_denied"
handler404 = "hotwave.views.page_not_found"
handler500 = "hotwave.views.server_error"

if settings.MEDIA_STORAGE == "filesystem":
    # Product images on the file system are served by Hotwave itself, DEBUG or not.
    urlpatterns.insert(
        0, path(settings.MEDIA_URL.lstrip("/") + "<path:path>", views.media, name="media")
    )
