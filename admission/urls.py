from django.urls import path

from admission import views

app_name = "admission"

urlpatterns = [
    path("admission/", views.center, name="center"),
    path("admission/agreement/sign/", views.agreement_sign, name="agreement_sign"),
    path("admission/operating-account/", views.operating_designate, name="operating_designate"),
    path(
        "admission/operating-account/<int:pk>/<str:decision>/",
        views.operating_decide,
        name="operating_decide",
    ),
    path("admission/assessment/", views.assessment_request, name="assessment_request"),
    path(
        "admission/products/<int:pk>/request/",
        views.product_permission_request,
        name="product_permission_request",
    ),
]
